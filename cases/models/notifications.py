"""The outbox: messages a case event owes someone outside, and every attempt to deliver them.

A department is told of a dispatch (webhook, e-mail: docs/WEBHOOKS.md); an upstream system
(exchange.UpstreamSystem) is told what became of the work order it sent (a status callback) or,
as the higher-level platform, of every case and status change (a push: docs/EXCHANGE.md). A
Notification row is written in the same transaction as the event, so nothing is lost when the
broker or the workers are down; cases.notifications delivers every kind the same way.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, CaseEvent
from cases.models.catalogue import Department


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")
    CALLBACK = "callback", _("Status callback")  # to the system a work order came from
    UPSTREAM = "upstream", _("Push to the higher-level platform")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # written, not tried yet
    SENDING = "sending", _("Sending")  # claimed by a worker right now
    RETRYING = "retrying", _("Retrying")  # a transient failure; tried again at next_attempt_at
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")  # permanent: a refusal, or out of attempts


class Notification(models.Model):
    """One message about one case event: to one of a department's channels, to a person's e-mail, or
    to an upstream system."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("case event"), on_delete=models.CASCADE, related_name="notifications"
    )
    # Whom the message is for: a department, an upstream system, or (neither) a person by e-mail
    # (a supervision order addressed to a person).
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    upstream = models.ForeignKey(
        "exchange.UpstreamSystem",
        verbose_name=_("upstream system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Sent with every attempt (X-Delivery-Id and in the body): the receiver drops repeats by it.
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due; while sending, when the claim expires (renewed while the send
    # lasts). Empty once settled.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # While sending: when the attempt started (an attempt cut short is recorded from this time).
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    # When the task last handed to the queue is due to run; empty: no task is known to be queued.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel"],
                condition=models.Q(upstream__isnull=True),
                name="notification_unique_event_channel",
            ),
            models.UniqueConstraint(
                fields=["event", "upstream"],
                condition=models.Q(upstream__isnull=False),
                name="notification_unique_event_system",
            ),
            models.CheckConstraint(
                condition=~models.Q(department__isnull=False, upstream__isnull=False),
                name="notification_one_recipient_at_most",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["upstream", "status", "created_at"], name="notification_by_system"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel} {self.status}"

    @property
    def recipient(self):
        """The department or the upstream system the message is for (None: a person, by e-mail)."""
        return self.department if self.department_id else self.upstream


class NotificationAttempt(models.Model):
    """One try at delivering a notification, kept for the case's history."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="attempts"
    )
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("delivered"))
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    # The worker stopped (killed, lost its database) during the attempt: no answer was recorded,
    # and the receiver may or may not have got the message (docs/WEBHOOKS.md, "Duplicates").
    interrupted = models.BooleanField(_("interrupted"), default=False)

    class Meta:
        verbose_name = _("notification attempt")
        verbose_name_plural = _("notification attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {'ok' if self.ok else 'failed'} {self.at:%Y-%m-%d %H:%M:%S}"
