"""The systems this platform exchanges work orders with (12345 hotlines, the higher-level platform
上级平台, other upstream systems) and the orders they sent.

A system posts work orders (12345 工单, 上级交办) with its own key; each becomes a case through the
one intake service (cases.services.case_report) and keeps the sender's id (ExternalOrder, unique per
system). What happens to the case is told back by signed webhook through the notification outbox of
cases.notifications (cases.Notification rows with `upstream` set): status callbacks to the system an
order came from, and every case and status change to the systems that receive everything (the
higher-level platform). Format: docs/EXCHANGE.md.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Source


def key_hash(key: str) -> str:
    # The keys are long random strings: a plain digest is enough (nothing to guess from).
    return hashlib.sha256(key.encode()).hexdigest()


class UpstreamSystem(models.Model):
    """A system that sends work orders (and is told what became of them), or receives every case."""

    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short and stable, e.g. 12345 or city-platform.")
    )
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(
        _("source of its cases"),
        max_length=20,
        choices=Source.choices,
        default=Source.HOTLINE,
        help_text=_("12345 hotline for a hotline system; higher-level assignment for the higher-level platform."),
    )
    callback_url = models.URLField(
        _("callback URL"),
        blank=True,
        help_text=_("Where status callbacks (and pushes) are posted. Empty: nothing is sent to this system."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=128, blank=True, help_text=_("Signs every message (X-Signature).")
    )
    push_all = models.BooleanField(
        _("receives every case"),
        default=False,
        help_text=_("The higher-level platform: every case and each change of its status is pushed to it."),
    )
    active = models.BooleanField(_("active"), default=True)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False, null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("upstream system")
        verbose_name_plural = _("upstream systems")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ExternalOrder(models.Model):
    """A work order (12345 工单) or assignment (上级交办) received from a system, with its id there."""

    system = models.ForeignKey(
        UpstreamSystem, verbose_name=_("system"), on_delete=models.PROTECT, related_name="orders"
    )
    external_id = models.CharField(_("external id"), max_length=64, help_text=_("The sender's own id of the order."))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="external_orders")
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("external work order")
        verbose_name_plural = _("external work orders")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "external_id"], name="external_order_unique_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.external_id}"
