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
from django.db.models import Count, F, FloatField, Func, Prefetch, Q, QuerySet
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
from grids.selectors import centers_known


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


def departments_active() -> list[Department]:
    """The active departments by code, from the catalogue kept in the process: read-only."""
    return sorted((d for d in _CATALOGUE.get().departments.values() if d.active), key=lambda d: d.code)


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
    tracking_number: str = "",
    center_id: int | None = None,
) -> QuerySet[Case]:
    """The cases `user` may see, filtered, ready for a list (one query per page: case_page).

    `tracking_number`: those whose number starts with it (the queue's search box).

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
    if tracking_number:
        cases = cases.filter(tracking_number__startswith=tracking_number)
    if center_id is not None:
        # Held by a center (镇街三级); the district's also holds the cases of no center.
        centers = centers_known()
        held = Q(center_id=center_id)
        cases = cases.filter(held | Q(center__isnull=True) if center_id == centers.root_id else held)
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
        cases.select_related(
            "responsible", "approver", "asset__category", "asset__maintainer", "inspector__person", *grids
        )
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


# ---- the queue in other orders (sortable columns) ------------------------------------------
#
# Besides newest first (case_page), the queue sorts by age (the oldest first), by deadline (the
# nearest first, cases without one last) and by light (overdue first, then the nearest deadline:
# a red light is an overdue flag or a deadline passed, a yellow one a deadline close). Pages still
# follow each other by position: the cursor carries the sort keys of the row it starts after.

# order → its keys, each (field, descending, nullable: None sorts last); the id settles ties,
# ascending. Each order has its index (Case.Meta.indexes), so a page reads its rows and no more.
SORTS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    "age": (("reported_at", False, False),),
    "deadline": (("handling_deadline", False, True),),
    "light": (("overdue", True, False), ("handling_deadline", False, True)),
}
SORT_CHOICES = ("newest", *SORTS)
_DATETIMES = {"reported_at", "handling_deadline"}


def _sort_order(keys, *, backwards: bool) -> list:
    order = []
    for name, desc, nullable in keys:
        if desc != backwards:
            order.append(F(name).desc(nulls_first=True) if nullable else F(name).desc())
        else:
            order.append(F(name).asc(nulls_last=True) if nullable else F(name).asc())
    return [*order, F("id").desc() if backwards else F("id").asc()]


def _sort_value(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _sort_cursor(case: Case, sort: str, direction: str) -> str:
    values = [_sort_value(getattr(case, name)) for name, _desc, _null in SORTS[sort]]
    text = json.dumps({"s": sort, "d": direction, "v": values, "id": case.pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _sort_position(cursor: str, sort: str) -> tuple[str, list, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        keys = SORTS[sort]
        if data["s"] != sort or data["d"] not in ("older", "newer") or len(data["v"]) != len(keys):
            raise ValueError(cursor)
        values = []
        for (name, _desc, nullable), value in zip(keys, data["v"], strict=True):
            if value is None and nullable:
                values.append(None)
            elif name in _DATETIMES:
                at = datetime.datetime.fromisoformat(value)
                if at.tzinfo is None:
                    raise ValueError(cursor)
                values.append(at)
            else:
                values.append(bool(value))
        return data["d"], values, int(data["id"])
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc


_NOTHING = Q(pk__in=[])


def _past(keys, values: list, pk: int, *, backwards: bool) -> Q:
    """The rows after (values, pk) in the order `keys` (+ id ascending), or before it with
    `backwards`: an OR over the keys' prefixes, None sorting last."""
    q = Q(pk__lt=pk) if backwards else Q(pk__gt=pk)
    for (name, desc, nullable), value in reversed(list(zip(keys, values, strict=True))):
        if nullable and value is None:
            # last of all: nothing of this key comes after; before it, every row with a value
            strict = Q(**{f"{name}__isnull": False}) if backwards else _NOTHING
            equal = Q(**{f"{name}__isnull": True})
        else:
            later = "lt" if desc != backwards else "gt"
            strict = Q(**{f"{name}__{later}": value})
            if nullable and not backwards and not desc:
                strict |= Q(**{f"{name}__isnull": True})
            equal = Q(**{name: value})
        q = strict | (equal & q)
    return q


def case_page_sorted(*, cases: QuerySet[Case], sort: str = "newest", cursor: str | None = None, size: int) -> CasePage:
    """One page of `cases` in the order `sort` (SORT_CHOICES; "newest" is case_page), from a cursor
    of an earlier page of the same order. One query. Raises InvalidCursor for a cursor it did not
    make (or made for another order)."""
    if sort == "newest" or sort not in SORTS:
        return case_page(cases=cases, cursor=cursor, size=size)
    keys = SORTS[sort]
    forwards, backwards = _sort_order(keys, backwards=False), _sort_order(keys, backwards=True)
    if not cursor:
        rows = list(cases.order_by(*forwards)[: size + 1])
        return CasePage(rows[:size], _sort_cursor(rows[size - 1], sort, "older") if len(rows) > size else None, None)
    direction, values, pk = _sort_position(cursor, sort)
    if direction == "older":
        rows = list(cases.filter(_past(keys, values, pk, backwards=False)).order_by(*forwards)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return CasePage(
            rows,
            _sort_cursor(rows[-1], sort, "older") if more and rows else None,
            _sort_cursor(rows[0], sort, "newer") if rows else None,
        )
    rows = list(cases.filter(_past(keys, values, pk, backwards=True)).order_by(*backwards)[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return CasePage(
        rows,
        _sort_cursor(rows[-1], sort, "older") if rows else None,
        _sort_cursor(rows[0], sort, "newer") if more and rows else None,
    )


# ---- the supervision map (/cases/map/, the wall) ------------------------------------------

OPEN_STATUSES = tuple(status for status in Status.values if status not in TERMINAL)
MAP_LIMIT = 2_000  # markers in one answer; beyond it the map says "N of M: zoom in"
MAP_COUNT_CAP = 5_000  # how far the "of M" is counted exactly (PostgreSQL estimates beyond)
# The supervision flag (督办, issue 14 item 5) is read if the case model has one: the map marks it.
SUPERVISED_FIELD = next((f.attname for f in Case._meta.concrete_fields if f.name == "supervised"), None)
_MAP_FIELDS = (
    "id", "tracking_number", "status", "address", "reported_at", "handling_deadline", "handled_at", "overdue",
    "urgency", "category_id",
)  # fmt: skip


@dataclass(slots=True)
class MapCase:
    """An open case as the map shows it: read as plain values (no model instance, no geometry
    object: 2,000 of them are built in a few milliseconds); what cases.clocks.row_light reads."""

    id: int
    tracking_number: str
    status: str
    address: str
    reported_at: datetime.datetime
    handling_deadline: datetime.datetime | None
    handled_at: datetime.datetime | None
    overdue: bool
    urgency: str
    category_id: int | None
    lon: float
    lat: float
    supervised: bool = False
    category: Category | None = None


@dataclass(frozen=True)
class CaseMap:
    rows: list[MapCase]  # newest first, like the queue
    total: Tally  # how many open cases match (in the view): len(rows) unless truncated
    truncated: bool


def case_map(
    *, cases: QuerySet[Case], bbox: tuple[float, float, float, float] | None = None, limit: int | None = None
) -> CaseMap:
    """The open cases of `cases` (the queue's list for the same user and filters: case_list) whose
    point lies in `bbox` (min lon, min lat, max lon, max lat), newest first as the queue lists
    them, at most `limit` (MAP_LIMIT); each with its category from the process's catalogue.

    One query; a second one counts them when there are more than `limit` (exactly up to
    MAP_COUNT_CAP, then PostgreSQL's estimate, in a third).
    """
    limit = MAP_LIMIT if limit is None else limit
    cases = cases.exclude(status__in=TERMINAL)
    if bbox is not None:
        # A point's box meeting the view's box: the point is in the view. On PostGIS `&&`, whose
        # selectivity the planner estimates from the column's statistics (a whole city in view: the
        # time index, newest first, stops at `limit`; a street: the spatial index); `@` would be
        # estimated at a fixed 100 rows and sort every case of a city. SpatiaLite's MbrOverlaps is
        # strict (a point never "overlaps"): its MbrWithin.
        lookup = "bboverlaps" if connection.vendor == "postgresql" else "contained"
        cases = cases.filter(**{f"location__{lookup}": Polygon.from_bbox(bbox)})
    fields = (*_MAP_FIELDS, "lon", "lat", *((SUPERVISED_FIELD,) if SUPERVISED_FIELD else ()))
    values = (
        cases.select_related(None)
        .annotate(
            lon=Func("location", function="ST_X", output_field=FloatField()),
            lat=Func("location", function="ST_Y", output_field=FloatField()),
        )
        .order_by(*NEWEST)
        .values_list(*fields)[: limit + 1]
    )
    rows = [MapCase(*row) for row in values]
    truncated = len(rows) > limit
    rows = rows[:limit]
    categories = _CATALOGUE.get().categories
    for case in rows:
        case.category = categories.get(case.category_id) if case.category_id else None
    total = case_tally(cases=cases, cap=MAP_COUNT_CAP) if truncated else Tally(len(rows))
    return CaseMap(rows, total, truncated)


def case_arrivals(*, cases: QuerySet[Case], since: datetime.datetime, cap: int = 99) -> Tally:
    """How many of `cases` were reported after `since` (the queue's "3 new reports"), counted up to `cap`."""
    return case_tally(cases=cases.filter(reported_at__gt=since), cap=cap)


# ---- the wall (指挥大屏) -------------------------------------------------------------


@dataclass(frozen=True)
class WallFigures:
    today: dict[str, int]  # reports, filed, dispatched, closed since local midnight
    stages: dict[str, Tally]  # open cases by status
    overdue: list[Case]  # open and overdue, the longest overdue first
    newest: list[Case]  # the newest reports


WALL_LIST = 10


def wall_figures(*, user, now: datetime.datetime | None = None) -> WallFigures:
    """What the command center's wall shows, within what `user` may see: four statements."""
    now = now or timezone.now()
    local_today = timezone.localdate(now)
    # Today as a closed range, [midnight, next midnight): each moment is read from its own index
    # (Case.Meta.indexes). An open range (>= midnight) would do on PostgreSQL, but SQLite, which has
    # no statistics of ranges, guesses that each matches a quarter of the cases and scans them all.
    day = (_local_midnight(local_today), _local_midnight(local_today + datetime.timedelta(days=1)))
    cases = case_list(user=user)
    moments = {"reports": "reported_at", "filed": "filed_at", "dispatched": "dispatched_at", "closed": "closed_at"}
    today_q = {key: Q(**{f"{field}__gte": day[0], f"{field}__lt": day[1]}) for key, field in moments.items()}
    any_today = Q()
    for q in today_q.values():
        any_today |= q
    today = cases.filter(any_today).order_by().aggregate(**{key: Count("pk", filter=q) for key, q in today_q.items()})
    stages = case_tallies(cases=cases, by={status: Q(status=status) for status in OPEN_STATUSES})
    # overdue: marked by the sweep, or a dispatched case past its deadline the sweep has not reached
    late = Q(overdue=True) | Q(status=Status.DISPATCHED, handling_deadline__lt=now)
    overdue = list(
        cases.filter(late, status__in=OPEN_STATUSES).order_by(F("handling_deadline").asc(nulls_last=True), "id")[
            :WALL_LIST
        ]
    )
    newest = list(cases.order_by(*NEWEST)[:WALL_LIST])
    return WallFigures({key: today[key] or 0 for key in moments}, stages, list_rows(overdue), list_rows(newest))
