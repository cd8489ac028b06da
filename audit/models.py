"""The security audit log: append-only rows, each chained to the one before by a hash.

Rows are written only by audit.services.audit_record. The database refuses UPDATE and DELETE
on the table (triggers of migration 0002); the hash chain makes any edit or removal made
around them (a database superuser can disable triggers) visible to `manage.py audit_verify`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64  # the "previous hash" of the first row


class Result(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEvent(models.Model):
    # The position in the chain: set by audit_record (1, 2, 3, …), never by a sequence, so
    # that a missing row leaves a gap and the row's number is part of what its hash covers.
    id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField(_("when"), db_index=True)
    # Who: the id without a foreign key (a row outlives its user) and the username at the time.
    actor_id = models.IntegerField(_("user id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True, db_index=True)
    client_ip = models.CharField(_("client address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.OK)
    details = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.actor_username or '-'} {self.result}"


class ChainHead(models.Model):
    """One row (pk 1): the last event's number and hash. Writers lock it, so the chain stays
    linear however many processes write; audit_verify compares it with the last row, so
    removing the newest rows shows too."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_id} {self.last_hash[:12]}"
