"""Reads of cases and their catalogue."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, user_roles
from cases.models import TERMINAL, Case, CaseEvent, Category, Department, LimitUnit, RoutingRule, Status, Urgency
from cases.transitions import CENTRE
from cases.worktime import Light, WorkCalendar, traffic_light
from grids.models import Grid
from grids.selectors import GridLocation


def department_for(*, category: Category, location: GridLocation | None) -> Department | None:
    """The department a case of `category` at `location` goes to.

    The routing rule for the deepest grid holding the case wins, then the
    city-wide rule, then the category's default department.
    """
    rules = {
        rule.grid_id: rule.department
        for rule in RoutingRule.objects.filter(category=category).select_related("department")
    }
    chain = location.chain if location is not None and location.inside else []
    for grid in chain:
        if grid.pk in rules:
            return rules[grid.pk]
    if None in rules:
        return rules[None]
    return category.default_department


# ---- what a user may see, and the case lists and pages built on it --------

# Roles that see every case: the command center, inspectors (city-wide patrols), supervisors (read-only).
SEES_ALL = CENTRE | {Role.INSPECTOR, Role.SUPERVISOR}
# The actions after which the handling clock (re)starts: dispatch, approval, rework.
_CLOCK_STARTS = {"dispatch", "approve", "check_fail"}
_CLOCK_RUNS = {Status.DISPATCHED, Status.SUSPENDED}


def cases_visible_to(*, user) -> QuerySet[Case]:
    """The cases `user` may see.

    The command center, inspectors and supervisors see all; a grid chief the cases
    in the subtrees of the grids they chief plus those waiting for their approval,
    and a street, shop or lane chief (三长, with the grid-chief role) the cases they
    were named responsible for; a department handler the cases of their departments;
    anyone else nothing.
    """
    roles = set(user_roles(user))
    if roles & SEES_ALL:
        return Case.objects.all()
    scope = Q()
    if Role.GRID_CHIEF in roles:
        # A case carries its whole chain of grids, so "in the subtree of G" is "G is one of them".
        chiefed = Grid.objects.filter(chief__user=user).values("pk")
        scope |= (
            Q(micro_grid__in=chiefed)
            | Q(community_grid__in=chiefed)
            | Q(large_grid__in=chiefed)
            | Q(district_grid__in=chiefed)
            | Q(approver__user=user)
            | Q(responsible__user=user)
        )
    if Role.DEPARTMENT_HANDLER in roles:
        scope |= Q(department__in=user.departments.values("pk"))
    if not scope:
        return Case.objects.none()
    return Case.objects.filter(scope)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def case_list(
    *,
    user,
    statuses: Iterable[str] = (),
    category_id: int | None = None,
    grid_id: int | None = None,
    urgency: str | None = None,
    overdue: bool | None = None,
    source: str | None = None,
    reported_from: datetime.date | None = None,
    reported_to: datetime.date | None = None,
    department_id: int | None = None,
) -> QuerySet[Case]:
    """The cases `user` may see, filtered, newest first, ready for a list (one query per page).

    `grid_id`: any grid; its whole subtree. `reported_from`/`reported_to`: local
    (Asia/Shanghai) dates, both included.
    """
    cases = cases_visible_to(user=user)
    if statuses:
        cases = cases.filter(status__in=list(statuses))
    if category_id is not None:
        cases = cases.filter(category_id=category_id)
    if grid_id is not None:
        cases = cases.filter(
            Q(micro_grid_id=grid_id)
            | Q(community_grid_id=grid_id)
            | Q(large_grid_id=grid_id)
            | Q(district_grid_id=grid_id)
        )
    if urgency:
        cases = cases.filter(urgency=urgency)
    if overdue is not None:
        cases = cases.filter(overdue=overdue)
    if source:
        cases = cases.filter(source=source)
    if reported_from is not None:
        cases = cases.filter(reported_at__gte=_local_midnight(reported_from))
    if reported_to is not None:
        cases = cases.filter(reported_at__lt=_local_midnight(reported_to + datetime.timedelta(days=1)))
    if department_id is not None:
        cases = cases.filter(department_id=department_id)
    return cases.select_related("category__major", "department", "micro_grid").defer("micro_grid__boundary")


def case_get(*, case_id: int, user=None) -> Case | None:
    """One case with what its page shows (grids, people, the timeline with actors), in two queries.

    With `user`, only if they may see it.
    """
    cases = cases_visible_to(user=user) if user is not None else Case.objects.all()
    grids = ("micro_grid", "community_grid", "large_grid", "district_grid")
    events = CaseEvent.objects.select_related("actor__person").order_by("at", "id")
    return (
        cases.select_related("category__major", "department", "responsible", "approver", *grids)
        .defer(*(f"{grid}__boundary" for grid in grids))
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=case_id)
        .first()
    )


@dataclass(frozen=True)
class CaseClock:
    """The handling clock (处置时限) of a dispatched case: from dispatch (or rework) to handled."""

    started_at: datetime.datetime
    stopped_at: datetime.datetime | None  # handled, sent back …: the clock no longer runs
    deadline: datetime.datetime
    paused: bool  # suspended (挂账): that time does not count
    elapsed_fraction: float | None  # of the limit; None when the deadline leaves no time at all
    light: Light


def case_clock(*, case: Case, events: Sequence[CaseEvent], calendar: WorkCalendar, now: datetime.datetime):
    """The clock of `case` from its events (in order), or None before its first dispatch.

    The limit measured against runs from the start to the deadline, so an
    extension (which moves the deadline) gives more time; suspended spans
    count neither in the time used nor in the limit.
    """
    if case.handling_deadline is None or case.category is None:
        return None
    started = [e for e in events if e.action in _CLOCK_STARTS and e.to_status == Status.DISPATCHED]
    if not started:
        return None
    start = started[-1].at
    suspensions: list[tuple[datetime.datetime, datetime.datetime]] = []
    suspended_since = stopped_at = None
    for event in events[events.index(started[-1]) + 1 :]:
        if event.action == "suspend":
            suspended_since = event.at
        elif event.action == "resume" and suspended_since is not None:
            suspensions.append((suspended_since, event.at))
            suspended_since = None
        if event.to_status not in _CLOCK_RUNS and stopped_at is None:
            stopped_at = event.at
    if stopped_at is None and case.status not in _CLOCK_RUNS:
        stopped_at = case.updated_at  # left the handling states without an event we know of
    end = stopped_at or now
    paused = case.status == Status.SUSPENDED and stopped_at is None
    _amount, unit = case.category.time_limit(urgent=case.urgency == Urgency.URGENT)
    # The deadline was moved at resume by the suspended time: measure the limit without it.
    limit = calendar.elapsed(start, case.handling_deadline, unit, suspensions)
    if paused and suspended_since is not None:
        suspensions.append((suspended_since, max(suspended_since, end)))
    if limit > 0:
        fraction = calendar.elapsed_fraction(start, end, limit, unit, suspensions)
        light = traffic_light(fraction)
    else:
        fraction, light = None, ("red" if end > case.handling_deadline else "yellow")
    return CaseClock(
        started_at=start,
        stopped_at=stopped_at,
        deadline=case.handling_deadline,
        paused=paused,
        elapsed_fraction=fraction,
        light=light,
    )


# ---- the command center's own clocks (DESIGN.md §3.4) ---------------------------

# Step → (limit, urgent limit, unit). Filing + dispatch 30 min (urgent 10), verification 30 min,
# on-site check 2 h, in office hours; the approval's own limit is APPROVAL_LIMIT_MINUTES.
STEP_LIMITS = {
    "dispatch": (Decimal("0.5"), Decimal(10) / 60, LimitUnit.WORKING_HOURS),
    "verify": (Decimal("0.5"), Decimal("0.5"), LimitUnit.WORKING_HOURS),
    "check": (Decimal(2), Decimal(2), LimitUnit.WORKING_HOURS),
}
STEP_LABELS = {
    "dispatch": _("Filing and dispatch"),
    "verify": _("Verification"),
    "approval": _("Grid-chief approval"),
    "check": _("On-site check"),
}


@dataclass(frozen=True)
class StepClock:
    """One of the command center's step clocks: when it started, stopped, is due, and its colour."""

    step: str
    label: str
    started_at: datetime.datetime
    stopped_at: datetime.datetime | None
    deadline: datetime.datetime
    elapsed_fraction: float
    light: Light


def case_step_clocks(
    *, case: Case, events: Sequence[CaseEvent], calendar: WorkCalendar, now: datetime.datetime
) -> list[StepClock]:
    """The clocks of the steps the center answers for, latest round of each, from the events:

    - filing and dispatch: from the report to the first dispatch (or the report's end: refused,
      merged, cancelled), time spent verifying left out (verification has its own clock);
    - verification: from sending an inspector to verify to filing or refusing;
    - grid-chief approval: from proposing a dispatch to the chief's decision;
    - on-site check: from sending an inspector to check to the check's result.
    """
    urgent = case.urgency == Urgency.URGENT
    clocks: list[StepClock] = []

    def span(start_actions: set[str], waiting: str) -> tuple[CaseEvent, datetime.datetime | None] | None:
        starts = [e for e in events if e.action in start_actions and e.to_status == waiting]
        return (starts[-1], _leaves(events, starts[-1], waiting)) if starts else None

    def clock(step: str, start: datetime.datetime, stop, amount, unit, excluded=()) -> StepClock:
        end = stop or now
        fraction = calendar.elapsed_fraction(start, end, amount, unit, excluded)
        deadline = calendar.add(start, amount, unit, excluded)
        return StepClock(step, str(STEP_LABELS[step]), start, stop, deadline, fraction, traffic_light(fraction))

    verifying = [(e.at, _leaves(events, e, Status.VERIFYING) or now) for e in events if e.action == "verify"]
    report = next((e for e in events if e.action == "report"), None)
    if report is not None:
        ends = {"dispatch", "reject", "merge", "cancel"}
        stop = next((e.at for e in events if e.action in ends), None)
        amount, urgent_amount, unit = STEP_LIMITS["dispatch"]
        clocks.append(clock("dispatch", report.at, stop, urgent_amount if urgent else amount, unit, verifying))
    for step, actions, waiting in (
        ("verify", {"verify"}, Status.VERIFYING),
        ("approval", {"dispatch", "approval_escalated"}, Status.PENDING_APPROVAL),
        ("check", {"send_to_check"}, Status.CHECKING),
    ):
        found = span(actions, waiting)
        if found is None:
            continue
        start, stop = found
        if step == "approval":
            minutes = Decimal(settings.APPROVAL_LIMIT_MINUTES)
            clocks.append(clock(step, start.at, stop, minutes / 60, LimitUnit.HOURS))
        else:
            amount, urgent_amount, unit = STEP_LIMITS[step]
            clocks.append(clock(step, start.at, stop, urgent_amount if urgent else amount, unit))
    return clocks


def _leaves(events: Sequence[CaseEvent], start: CaseEvent, status: str) -> datetime.datetime | None:
    """When the case, in `status` from event `start` on, next moved to another status (None: still there)."""
    return next((e.at for e in events[events.index(start) + 1 :] if e.to_status != status), None)


# ---- the work lists of the pages (cases.views) ------------------------------


def cases_awaiting_approval(*, user) -> QuerySet[Case]:
    """Dispatch proposals `user` may decide as a grid chief, longest waiting first.

    Those naming them as approver and those in the subtree of a grid they chief (the
    service lets either approve). Only their grid-chief scope counts, even if another
    role of theirs sees every case.
    """
    if Role.GRID_CHIEF not in user_roles(user):
        return Case.objects.none()
    chiefed = Grid.objects.filter(chief__user=user).values("pk")
    scope = (
        Q(approver__user=user)
        | Q(micro_grid__in=chiefed)
        | Q(community_grid__in=chiefed)
        | Q(large_grid__in=chiefed)
        | Q(district_grid__in=chiefed)
    )
    return (
        Case.objects.filter(scope, status=Status.PENDING_APPROVAL)
        .select_related("category__major", "department", "micro_grid", "community_grid", "approver")
        .defer("community_grid__boundary")
        .order_by("updated_at", "id")
    )


def urgent_dispatches_told_to(*, user, since: datetime.datetime) -> QuerySet[CaseEvent]:
    """Urgent dispatches sent without waiting for `user`'s approval (they are told), newest first."""
    person = getattr(user, "person", None)
    if person is None or Role.GRID_CHIEF not in user_roles(user):
        return CaseEvent.objects.none()
    return (
        CaseEvent.objects.filter(action="dispatch", payload__informed__id=person.pk, at__gte=since)
        .select_related("case__category", "case__department")
        .only(
            "id", "at", "payload", "case__id", "case__tracking_number", "case__status", "case__address",
            "case__category__name", "case__department__name",
        )
        .order_by("-at", "-id")
    )  # fmt: skip


def cases_at_work(*, user) -> QuerySet[Case]:
    """Dispatched cases of `user`'s departments, the nearest deadline first."""
    if Role.DEPARTMENT_HANDLER not in user_roles(user):
        return Case.objects.none()
    return (
        Case.objects.filter(status=Status.DISPATCHED, department__in=user.departments.values("pk"))
        .select_related("category__major", "department", "micro_grid", "community_grid")
        .defer("community_grid__boundary")
        .order_by(F("handling_deadline").asc(nulls_last=True), "dispatched_at", "id")
    )


def case_chief_chain(*, case: Case) -> list:
    """The chiefs of the case's micro, community, large grid and district, in that order
    (None where a level has no grid or no chief); one query."""
    ids = [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]
    chiefs = {g.pk: g.chief for g in Grid.objects.filter(pk__in=[i for i in ids if i]).select_related("chief")}
    return [chiefs.get(grid_id) if grid_id else None for grid_id in ids]


# ---- duplicates (DESIGN.md §3.5) ------------------------------------------------

DUPLICATE_RADIUS_M = 50
DUPLICATE_DAYS = 7
_EARTH_RADIUS_M = 6_371_008.8


def distance_m(a, b) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine; ample at 50 m)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a.x, a.y, b.x, b.y))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def case_duplicates_near(
    *,
    point,
    category_id: int | None,
    exclude_id: int | None = None,
    now: datetime.datetime | None = None,
    radius_m: float = DUPLICATE_RADIUS_M,
    days: int = DUPLICATE_DAYS,
    limit: int = 10,
) -> list[Case]:
    """Open cases of the same subcategory reported within `radius_m` of `point` in the last
    `days` days, nearest first, each with `.distance_m`: what intake suggests merging into.

    A box in degrees narrows the rows in the database (indexed by status and time); the exact
    distance is measured here, the same on SpatiaLite and PostGIS.
    """
    if point is None or not category_id:
        return []
    now = now or timezone.now()
    dlat = radius_m / 111_000
    dlon = radius_m / (111_000 * max(math.cos(math.radians(point.y)), 0.01))
    rows = (
        Case.objects.filter(
            category_id=category_id,
            reported_at__gte=now - datetime.timedelta(days=days),
            location__within=Polygon.from_bbox((point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)),
        )
        .exclude(status__in=TERMINAL)
        .select_related("category", "micro_grid")
        .defer("micro_grid__boundary")
    )
    if exclude_id:
        rows = rows.exclude(pk=exclude_id)
    found = []
    for case in rows[:200]:
        case.distance_m = distance_m(point, case.location)
        if case.distance_m <= radius_m:
            found.append(case)
    found.sort(key=lambda case: (case.distance_m, case.pk))
    return found[:limit]
