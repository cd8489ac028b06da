"""Cameras and sensors (天网/雪亮 video analysis, manhole-cover tilt sensors…), the platforms that
connect them, the event types they report, and their alerts.

An alert is authenticated by its device's own key or by the key of the integration (接入平台)
the device belongs to. Rows are written by devices.services only; alerts become cases through
cases.services (devices.services.alert_receive).
"""

from __future__ import annotations

import hashlib

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CasePhoto, Category
from grids.models import Grid


def key_hash(key: str) -> str:
    # The keys are long random strings: a plain digest is enough (nothing to guess from).
    return hashlib.sha256(key.encode()).hexdigest()


class Integration(models.Model):
    """A platform that posts the alerts of many devices (a video-analysis platform, an IoT hub)
    with one key. Only the key's SHA-256 is stored: the key is shown once, when made."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False, null=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeviceKind(models.TextChoices):
    CAMERA = "camera", _("Camera")
    SENSOR = "sensor", _("Sensor")


class Device(models.Model):
    code = models.CharField(
        _("device id"), max_length=40, unique=True, help_text=_("The id the device or its platform sends.")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=DeviceKind.choices, default=DeviceKind.CAMERA)
    location = models.PointField(_("location"), srid=4326)
    micro_grid = models.ForeignKey(
        Grid, verbose_name=_("micro grid"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        help_text=_("The platform allowed to post this device's alerts with its key."),
    )
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False, null=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_alert_at = models.DateTimeField(_("last alert at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EventType(models.Model):
    """What a device reports (exposed garbage, street vending, a tilted manhole cover), the
    subcategory its cases are filed under, and when an alert is trusted without a person."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        Category, verbose_name=_("subcategory"), on_delete=models.PROTECT, related_name="device_event_types"
    )
    threshold = models.DecimalField(
        _("auto-filing threshold"),
        max_digits=3,
        decimal_places=2,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Alerts at least this confident are filed automatically; the others wait for a person."),
    )
    merge_minutes = models.PositiveIntegerField(
        _("merge window (minutes)"),
        default=30,
        help_text=_("Alerts of one device and this type within this time of the last one join the same open case."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event type")
        verbose_name_plural = _("event types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    FILED = "filed", _("Filed automatically")  # a new case, filed at once
    HELD = "held", _("Waiting for a person")  # a new case, waiting at intake
    MERGED = "merged", _("Joined an open case")  # the same event again, within the window


class Alert(models.Model):
    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="alerts")
    event_type = models.ForeignKey(
        EventType, verbose_name=_("event type"), on_delete=models.PROTECT, related_name="alerts"
    )
    alert_id = models.CharField(
        _("alert id"), max_length=64, blank=True, help_text=_("The sender's own id: sent again, it is taken once.")
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    confidence = models.DecimalField(_("confidence"), max_digits=4, decimal_places=3)
    # The snapshot is one of the case's photos (cases.photos: checked, stored, shown only as the
    # display copy without metadata): the first alert's is the report's, the others' are added.
    photo = models.ForeignKey(
        CasePhoto, verbose_name=_("snapshot"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="alerts")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    auto_filed = models.BooleanField(_("filed the case automatically"), default=False)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "alert_id"], condition=~models.Q(alert_id=""), name="alert_unique_sender_id"
            )
        ]
        indexes = [
            models.Index(fields=["device", "event_type", "occurred_at"], name="alert_device_type_time"),
            models.Index(fields=["occurred_at"], name="alert_time"),
        ]

    def __str__(self) -> str:
        return f"{self.device.code} {self.event_type.code} {self.occurred_at:%Y-%m-%d %H:%M}"
