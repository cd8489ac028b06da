"""What every page of the centre shows besides its own content: the calendar's warning."""

from __future__ import annotations

import contextlib
import datetime

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.roles import Role, user_roles
from cases.models import TERMINAL, Case, SupervisionOrder
from cases.models.supervision import CURRENT
from cases.selectors import work_calendar
from config.cache import CacheDown, cached

# Who is warned: those who answer for the deadlines (shift leaders) and those who enter the calendar.
WARNED = frozenset({Role.SHIFT_LEADER, Role.SYSTEM_ADMIN})
# Beyond the deadlines set already, new ones reach this far ahead (the longest limit, 15 working
# days, and an extension or two).
AHEAD = datetime.timedelta(days=60)
CACHE_KEY, CACHE_SECONDS = "cases:latest-deadline", 600


def latest_deadline() -> datetime.datetime | None:
    """The latest deadline an open case or a current supervision order has (cached ten minutes)."""
    try:
        found = cached("get", CACHE_KEY)
    except CacheDown:
        found = None
    if found is not None:
        return found or None
    cases = Case.objects.exclude(status__in=TERMINAL).aggregate(at=Max("handling_deadline"))["at"]
    orders = SupervisionOrder.objects.filter(status__in=CURRENT).aggregate(at=Max("deadline"))["at"]
    latest = max((moment for moment in (cases, orders) if moment is not None), default=None)
    with contextlib.suppress(CacheDown):  # no cache: read again next time
        cached("set", CACHE_KEY, latest or "", CACHE_SECONDS)
    return latest


def calendar_missing_years(*, now: datetime.datetime | None = None) -> list[int]:
    """The years deadlines reach (from today to 60 days ahead, or the latest deadline set) whose
    official schedule is unknown (no package data, no administrator entry): counted Monday–Friday."""
    now = now or timezone.now()
    horizon = max(now + AHEAD, latest_deadline() or now)
    return work_calendar().missing_years(now, horizon)


def calendar_warning(request) -> dict:
    """`calendar_missing`: the years to warn of (lazy: computed when a page shows it), for shift
    leaders, system administrators and superusers; with `calendar_url`, where to enter them, for
    those who may."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    if not (set(user_roles(user)) & WARNED or user.is_superuser):
        return {}
    may_enter = user.has_perm("cases.add_calendarday")
    return {
        "calendar_missing": SimpleLazyObject(lambda: calendar_missing_years() or ""),
        "calendar_url": reverse("admin:cases_calendarday_changelist") if may_enter else "",
    }
