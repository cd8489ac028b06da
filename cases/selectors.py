"""Reads of cases and their catalogue."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence

from django.contrib.gis.geos import Polygon
from django.core.signals import setting_changed
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.roles import Role, user_roles
from cases.models import (
    STATUS_INFO,
    TERMINAL,
    CalendarDay,
    Case,
    CaseEvent,
    Category,
    Department,
    MajorCategory,
    RoutingRule,
    Status,
)
from cases.scope import cases_actionable_by, cases_visible_to
from cases.worktime import WorkCalendar, default_calendar
from config.memo import Memo
from grids.models import Grid


def department_for(*, category: Category, grid_ids: Sequence[int]) -> Department | None:
    """The department a case of `category` lying in `grid_ids` (its grids, nearest first) goes to.

    The routing rule for the deepest grid holding the case wins, then the
    city-wide rule, then the category's default department.
    """
    rules = {
        rule.grid_id: rule.department
        for rule in RoutingRule.objects.filter(category=category).select_related("department")
    }
    for grid_id in grid_ids:
        if grid_id in rules:
            return rules[grid_id]
    if None in rules:
        return rules[None]
    return category.default_department


def case_department(*, case: Case) -> Department | None:
    """The department the routing rules send `case` to, from the grids it lies in."""
    grids = [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]
    return department_for(category=case.category, grid_ids=[g for g in grids if g])


def _calendar_load() -> WorkCalendar:
    return default_calendar(overrides=dict(CalendarDay.objects.values_list("date", "is_workday")))


_CALENDAR = Memo("cases.calendar", _calendar_load)


def work_calendar() -> WorkCalendar:
    """The office calendar with the administrators' overrides: read once per process and again
    when an administrator changes it (config.memo)."""
    return _CALENDAR.get()


def _catalogue_load() -> dict[int, Category]:
    return {c.pk: c for c in Category.objects.select_related("major", "default_department")}


_CATALOGUE = Memo("cases.catalogue", _catalogue_load)


def category_active(*, category_id: int) -> Category | None:
    """The active category with this id (its major category and default department loaded), from
    the catalogue kept in the process (config.memo): read-only, shared by the process's threads."""
    category = _CATALOGUE.get().get(category_id)
    return category if category is not None and category.active else None


def memos_connect() -> None:
    """Tell the memos above when their rows change (called once, from the app's ready())."""

    def calendar_changed(**kwargs) -> None:
        _CALENDAR.changed()

    def catalogue_changed(**kwargs) -> None:
        _CATALOGUE.changed()

    def settings_changed(*, setting: str, **kwargs) -> None:
        if setting in ("WORK_HOURS", "TIME_ZONE"):
            _CALENDAR.forget()

    for signal in (post_save, post_delete):
        signal.connect(calendar_changed, sender=CalendarDay, weak=False, dispatch_uid="cases.calendar")
        for model in (Category, MajorCategory, Department):
            signal.connect(
                catalogue_changed, sender=model, weak=False, dispatch_uid=f"cases.catalogue.{model.__name__}"
            )
    setting_changed.connect(settings_changed, weak=False, dispatch_uid="cases.calendar.settings")


# ---- the case lists and pages --------------------------------------------------------


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


# ---- the work lists of the pages (cases.views) ------------------------------


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
    """The dispatched cases of `user`'s departments, the nearest deadline first."""
    if Role.DEPARTMENT_HANDLER not in user_roles(user):
        return Case.objects.none()
    return (
        cases_actionable_by(user=user, roles={Role.DEPARTMENT_HANDLER})
        .filter(status=Status.DISPATCHED)
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


def case_approver(*, case: Case):
    """The chief who approves a dispatch of `case`: micro, else community, else large-grid chief."""
    return next((chief for chief in case_chief_chain(case=case)[:3] if chief is not None), None)


# ---- the department's requests (延期 extension, 挂账 suspension) -------------------------


def open_request(events: Sequence[CaseEvent], *, ask: str, decisions: Iterable[str]) -> CaseEvent | None:
    """The request asked by action `ask` (request_extension, request_suspension) still waiting
    for one of `decisions`, from the case's events in order, or None.

    Open: the latest such request, not yet decided, and the case has not left handling since
    (reported handled, sent back): then the request lapses, so a rework starts without an old
    request in the way. Suspension and resumption do not close an extension request.
    """
    asked = [i for i, event in enumerate(events) if event.action == ask]
    if not asked:
        return None
    for event in events[asked[-1] + 1 :]:
        if event.action in decisions or not STATUS_INFO[event.to_status].clock_runs:
            return None
    return events[asked[-1]]


def case_events(*, case_id: int) -> list[CaseEvent]:
    """The events of a case, in order."""
    return list(CaseEvent.objects.filter(case_id=case_id).order_by("at", "id"))


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
