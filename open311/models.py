"""Open311 API keys (one per client system, each tied to a case source) and the requests
posted through the API. Rows are written by open311.services only.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Source
from config.pii import EncryptedTextField


class ApiKey(models.Model):
    """A client system's key. Only its SHA-256 is stored: the key is shown once, when made."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, e.g. the 12345 hotline system."))
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, help_text=_("Reports posted with this key get this source.")
    )
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False, help_text=_("To tell keys apart."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        # The keys are long random strings: a plain digest is enough (nothing to guess from).
        return hashlib.sha256(key.encode()).hexdigest()


class Open311Request(models.Model):
    """A case posted through Open311: what the client sent that the case does not hold."""

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311_request")
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), null=True, on_delete=models.SET_NULL, related_name="requests"
    )
    token = models.CharField(_("token"), max_length=32, unique=True)
    service_code = models.CharField(_("service code"), max_length=20)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    # The submitter's contact and client ids: kept for the command center, never returned by the API.
    email = EncryptedTextField(_("e-mail"), blank=True)  # encrypted at rest (config.pii)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.token
