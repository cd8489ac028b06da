"""Reads of the devices app: the registry, alerts, and the alerts waiting for a person.
Nothing here writes. The alert figures (volumes, auto-filed and false-alarm shares) are
assessments' (assessments.selectors.alert_figures)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from cases.models import Status
from devices.models import Alert, Device, Outcome


def alerts_list(
    *, outcome: str | None = None, waiting: bool = False, device_code: str | None = None
) -> QuerySet[Alert]:
    alerts = Alert.objects.select_related("device", "event_type__category", "case", "photo").order_by(
        "-occurred_at", "-id"
    )
    if outcome:
        alerts = alerts.filter(outcome=outcome)
    if waiting:
        alerts = alerts.filter(case__status=Status.REPORTED)
    if device_code:
        alerts = alerts.filter(device__code=device_code)
    return alerts


def alerts_waiting() -> QuerySet[Alert]:
    """The alerts that opened a case now waiting at intake for a person's look, oldest first."""
    return (
        Alert.objects.filter(outcome=Outcome.HELD, case__status=Status.REPORTED)
        .select_related("device", "event_type__category", "case", "photo")
        .annotate(joined=Count("case__alerts"))
        .order_by("occurred_at", "id")
    )


def devices_list() -> QuerySet[Device]:
    return (
        Device.objects.select_related("integration", "micro_grid")
        .defer("micro_grid__boundary")
        .annotate(alert_count=Count("alerts"))
        .order_by("code")
    )
