"""Reading the audit log: the search behind the audit administrator's page and its CSV."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_search(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    user: str = "",
    action: str = "",
    result: str = "",
    obj: str = "",
) -> QuerySet[AuditEvent]:
    """Rows newest first. start/end: local dates, both included. user: a username (as it was
    then) or a user id. obj: an object type ("auth.user"), an object id, or part of its label."""
    rows = AuditEvent.objects.all()
    if start:
        rows = rows.filter(created_at__gte=_local_midnight(start))
    if end:
        rows = rows.filter(created_at__lt=_local_midnight(end + dt.timedelta(days=1)))
    if user:
        rows = rows.filter(Q(actor_username=user) | Q(actor_id=int(user)) if user.isdigit() else Q(actor_username=user))
    if action:
        rows = rows.filter(action=action)
    if result:
        rows = rows.filter(result=result)
    if obj:
        rows = rows.filter(Q(object_type=obj) | Q(object_id=obj) | Q(object_label__icontains=obj))
    return rows.order_by("-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
