"""Reads of cases and their catalogue: lists and one case (within cases.scope's "who sees"),
routing, the office calendar, the department's open requests, duplicates nearby, the work lists.
Nothing here writes."""

from __future__ import annotations

import base64
import datetime
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, user_roles
from cases.models import (
    STATUS_INFO,
    TERMINAL,
    CalendarDay,
    Case,
    CaseEvent,
    Category,
    CategoryClassLimit,
    Department,
    MajorCategory,
    RoutingRule,
    Source,
    Status,
    Urgency,
)
from cases.scope import cases_actionable_by, cases_visible_to
from cases.worktime import WorkCalendar, default_calendar
from config.memo import Memo
from grids.models import Grid, Level, RegionClass


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
    """The department `case` goes to: the maintaining unit of the asset it is about, for the
    asset's own subcategory (a broken lamp goes to whoever maintains that lamp; an illegal poster
    on it does not); otherwise the routing rules, from the grids it lies in."""
    asset = case.asset if case.asset_id else None
    if asset is not None and asset.maintainer_id and asset.category_id == case.category_id and asset.maintainer.active:
        return asset.maintainer
    grids = [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]
    return department_for(category=case.category, grid_ids=[g for g in grids if g])


def _calendar_load() -> WorkCalendar:
    return default_calendar(overrides=dict(CalendarDay.objects.values_list("date", "is_workday")))


_CALENDAR = Memo("cases.calendar", _calendar_load)


def work_calendar() -> WorkCalendar:
    """The office calendar with the administrators' overrides: read once per process and again
    when an administrator changes it (config.memo)."""
    return _CALENDAR.get()


@dataclass(frozen=True)
class Catalogue:
    categories: dict[int, Category]  # with their major category and default department
    departments: dict[int, Department]
    # (category id, region class id) → that class's limits (cases.clocks.time_limit reads them)
    class_limits: dict[tuple[int, int], CategoryClassLimit]
    region_classes: dict[int, RegionClass]


def _catalogue_load() -> Catalogue:
    categories = {c.pk: c for c in Category.objects.select_related("major", "default_department")}
    return Catalogue(
        categories,
        {d.pk: d for d in Department.objects.all()},
        {(row.category_id, row.region_class_id): row for row in CategoryClassLimit.objects.all()},
        {region_class.pk: region_class for region_class in RegionClass.objects.all()},
    )


_CATALOGUE = Memo("cases.catalogue", _catalogue_load)


def catalogue_all() -> dict[int, Category]:
    """Every category by id (active or not), from the catalogue kept in the process: read-only."""
    return _CATALOGUE.get().categories


def class_limit(*, category_id: int, region_class_id: int) -> CategoryClassLimit | None:
    """A subcategory's limits in a region class, if it has its own (the catalogue kept in the process)."""
    return _CATALOGUE.get().class_limits.get((category_id, region_class_id))


def region_class_get(*, region_class_id: int | None) -> RegionClass | None:
    """A region class by id, from the catalogue kept in the process (read-only)."""
    return _CATALOGUE.get().region_classes.get(region_class_id) if region_class_id else None


def category_active(*, category_id: int) -> Category | None:
    """The active category with this id (its major category and default department loaded), from
    the catalogue kept in the process (config.memo): read-only, shared by the process's threads."""
    category = _CATALOGUE.get().categories.get(category_id)
    return category if category is not None and category.active else None


_CASE_CATEGORY, _CASE_DEPARTMENT = Case._meta.get_field("category"), Case._meta.get_field("department")


def _with_catalogue(case: Case) -> Case:
    """The case's category (with its major category) and department from the process's catalogue,
    not joined to its row: three tables fewer to plan on every read of one case."""
    catalogue = _CATALOGUE.get()
    for field, known, pk in (
        (_CASE_CATEGORY, catalogue.categories, case.category_id),
        (_CASE_DEPARTMENT, catalogue.departments, case.department_id),
    ):
        if pk is None:
            field.set_cached_value(case, None)
        elif pk in known:
            field.set_cached_value(case, known[pk])
        # else: created after the process read its catalogue, elsewhere: loaded when first read
    return case


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
        for model in (Category, MajorCategory, Department, CategoryClassLimit, RegionClass):
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
    """The cases `user` may see, filtered, ready for a list (one query per page: case_page).

    `grid_id`: any grid; its whole subtree (one lookup of its level first: a case carries its whole
    chain of grids, so the subtree is one column, served by that column's index).
    `reported_from`/`reported_to`: local (Asia/Shanghai) dates, both included.
    """
    cases = cases_visible_to(user=user)
    if statuses:
        cases = cases.filter(status__in=list(statuses))
    if category_id is not None:
        cases = cases.filter(category_id=category_id)
    if grid_id is not None:
        level = Grid.objects.filter(pk=grid_id).values_list("level", flat=True).first()
        cases = cases.filter(**{GRID_COLUMN[level]: grid_id}) if level in GRID_COLUMN else cases.none()
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


# The case column holding a case's grid of each level.
GRID_COLUMN = {
    Level.MICRO: "micro_grid_id",
    Level.COMMUNITY: "community_grid_id",
    Level.LARGE: "large_grid_id",
    Level.DISTRICT: "district_grid_id",
}


# ---- a page of a list, and how many there are ----------------------------------------
#
# Lists (the queue page, the API) go newest first by position (keyset): a page is "the next
# `size` cases older than this one", read from the index on the order, so the thousandth page
# costs what the first does. How many: counted exactly up to a cap (reading at most that many
# index entries); beyond it PostgreSQL's planner estimates ("about"), SQLite says "at least", so
# its cap is higher (it has no estimate to give, and counts in-process).

NEWEST = ("-reported_at", "-id")
OLDEST = ("reported_at", "id")
COUNT_CAP = {"postgresql": 1_000, "sqlite": 10_000}


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Tally:
    """A number of cases: exact, an estimate (`about`), or a lower bound (`at_least`)."""

    n: int
    kind: str = "exact"  # "exact", "about", "at_least"

    @property
    def exact(self) -> bool:
        return self.kind == "exact"

    def __bool__(self) -> bool:
        return self.n > 0

    def __str__(self) -> str:
        if self.kind == "about":
            shown = int(float(f"{self.n:.2g}"))  # two significant digits: an estimate says no more
            return _("about %(n)s") % {"n": f"{shown:,}"}
        if self.kind == "at_least":
            return _("%(n)s+") % {"n": f"{self.n:,}"}
        return f"{self.n:,}"

    def __add__(self, other: Tally) -> Tally:
        kinds = {self.kind, other.kind}
        kind = "exact" if kinds == {"exact"} else "at_least" if "at_least" in kinds else "about"
        return Tally(self.n + other.n, kind)


@dataclass(frozen=True)
class CasePage:
    rows: list[Case]
    next: str | None  # the cursor of the page of older cases, None on the last page
    previous: str | None  # the cursor of the page of newer cases, None on the first page


def _cursor(case: Case, direction: str) -> str:
    text = f"{direction}|{case.reported_at.isoformat()}|{case.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _position(cursor: str) -> tuple[str, datetime.datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, at, pk = text.split("|")
        position = (direction, datetime.datetime.fromisoformat(at), int(pk))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc
    if direction not in ("older", "newer") or position[1].tzinfo is None:
        raise InvalidCursor(cursor)
    return position


def case_page(*, cases: QuerySet[Case], cursor: str | None = None, size: int) -> CasePage:
    """One page of `cases`, newest first, from a cursor of an earlier page (None: the first page).
    One query. Raises InvalidCursor for a cursor it did not make."""
    if not cursor:
        rows = list(cases.order_by(*NEWEST)[: size + 1])
        return CasePage(rows[:size], _cursor(rows[size - 1], "older") if len(rows) > size else None, None)
    direction, at, pk = _position(cursor)
    if direction == "older":  # reported_at <= at bounds the index scan; the OR only settles ties
        rows = list(
            cases.filter(Q(reported_at__lt=at) | Q(id__lt=pk), reported_at__lte=at).order_by(*NEWEST)[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size]
        return CasePage(rows, _cursor(rows[-1], "older") if more and rows else None,
                        _cursor(rows[0], "newer") if rows else None)  # fmt: skip
    rows = list(cases.filter(Q(reported_at__gt=at) | Q(id__gt=pk), reported_at__gte=at).order_by(*OLDEST)[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return CasePage(rows, _cursor(rows[-1], "older") if rows else None, _cursor(rows[0], "newer") if more else None)


def case_tally(*, cases: QuerySet[Case], cap: int | None = None) -> Tally:
    """How many `cases` there are (see case_tallies); one query, two beyond `cap` on PostgreSQL."""
    return case_tallies(cases=cases, by={"": Q()}, cap=cap)[""]


def case_tallies(*, cases: QuerySet[Case], by: dict[str, Q], cap: int | None = None) -> dict[str, Tally]:
    """How many of `cases` match each filter of `by` (the queue's tabs: one per status), in one
    statement: each counted up to `cap` + 1 rows, read from its index; for those past `cap`, one
    more statement asks PostgreSQL's planner for its estimate."""
    cap = COUNT_CAP.get(connection.vendor, 1_000) if cap is None else cap
    capped = {key: cases.filter(q).order_by().values("pk")[: cap + 1] for key, q in by.items()}
    parts, params = [], []
    for n, queryset in enumerate(capped.values()):
        sql, args = queryset.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS t{n})")
        params.extend(args)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        counts = dict(zip(capped, cursor.fetchone(), strict=True))
    tallies = {key: Tally(n) for key, n in counts.items() if n <= cap}
    over = [key for key in capped if key not in tallies]
    if over:
        estimates = _estimates([cases.filter(by[key]).order_by().values("pk") for key in over])
        for key, estimate in zip(over, estimates, strict=True):
            tallies[key] = Tally(max(estimate, cap + 1), "about") if estimate is not None else Tally(cap, "at_least")
    return {key: tallies[key] for key in capped}


def _estimates(querysets: list[QuerySet]) -> list[int | None]:
    """The planner's estimate of how many rows each query gives (PostgreSQL), in one EXPLAIN; None elsewhere."""
    if connection.vendor != "postgresql":
        return [None] * len(querysets)
    parts, params = [], []
    for queryset in querysets:
        sql, args = queryset.query.sql_with_params()
        parts.append(f"({sql})")
        params.extend(args)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(parts), params)
        plan = cursor.fetchone()[0]
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    branches = top["Plans"] if top["Node Type"] == "Append" and len(querysets) > 1 else [top]
    return [round(branch["Plan Rows"]) for branch in branches]


def list_rows(rows: list[Case]) -> list[Case]:
    """The rows of a list with their labels (status, source, urgency) set as text, looked up once
    per list, not once per row."""
    labels = {
        "status": {value: str(label) for value, label in Status.choices},
        "source": {value: str(label) for value, label in Source.choices},
        "urgency": {value: str(label) for value, label in Urgency.choices},
    }
    for case in rows:
        case.status_label = labels["status"].get(case.status, case.status)
        case.source_label = labels["source"].get(case.source, case.source)
        case.urgency_label = labels["urgency"].get(case.urgency, case.urgency)
    return rows


def case_get(*, case_id: int, user=None) -> Case | None:
    """One case with what its page shows (grids, people, the timeline with actors), in two queries;
    its category and department from the process's catalogue.

    With `user`, only if they may see it.
    """
    cases = cases_visible_to(user=user) if user is not None else Case.objects.all()
    grids = ("micro_grid", "community_grid", "large_grid", "district_grid")
    events = CaseEvent.objects.select_related("actor__person").order_by("at", "id")
    case = (
        cases.select_related("responsible", "approver", "asset__category", "asset__maintainer", *grids)
        .defer(*(f"{grid}__boundary" for grid in grids))
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=case_id)
        .first()
    )
    return _with_catalogue(case) if case is not None else None


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
