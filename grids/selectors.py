"""Reads of the territory: point → grid, who is responsible at a point, subtrees."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.memo import Memo
from grids.models import (
    PLACE_PRIORITY,
    CommandCenter,
    Grid,
    Level,
    Person,
    Place,
    PlaceKind,
    ResponsibleRole,
    RoadSegment,
)

ANCESTORS = "parent__parent__parent"
# Boundaries are not needed to answer "where is this point"; loading a
# district's outline on every lookup would cost more than the lookup itself.
NO_BOUNDARIES = ("boundary", "parent__boundary", "parent__parent__boundary", "parent__parent__parent__boundary")


@dataclass(frozen=True)
class GridLocation:
    """Where a point falls. `micro` is None when the point is outside the jurisdiction.

    Looked up with `responsible=True`, it also carries the place whose chief answers at the
    point (`place`, its chief loaded; None if no place with a chief reaches it).
    """

    point: Point
    micro: Grid | None
    place: Place | None = None
    places_loaded: bool = False

    @property
    def inside(self) -> bool:
        return self.micro is not None

    @property
    def chain(self) -> list[Grid]:
        """The micro grid and its ancestors, nearest first."""
        chain, grid = [], self.micro
        while grid is not None:
            chain.append(grid)
            grid = grid.parent
        return chain

    def at_level(self, level: str) -> Grid | None:
        return next((grid for grid in self.chain if grid.level == level), None)

    @property
    def community(self) -> Grid | None:
        return self.at_level(Level.COMMUNITY)

    @property
    def large(self) -> Grid | None:
        return self.at_level(Level.LARGE)

    @property
    def district(self) -> Grid | None:
        return self.at_level(Level.DISTRICT)


@dataclass(frozen=True)
class _LookupQuery:
    """The point → micro grid query as one constant SQL string, built once per database.

    Building and compiling the equivalent queryset (select_related over four
    grids and the chief, boundaries deferred) costs 1.5–3 ms of Python per
    call, several times the query itself. A constant string lets SQLite reuse
    its compiled statement and PostgreSQL run a prepared statement; the row
    becomes model instances the way select_related builds them.
    """

    sql: str
    grid_names: list[str]  # attnames of the grid columns loaded (all but the boundary)
    person_names: list[str]
    place_names: list[str]  # with `responsible`: the place's columns (all but its shapes), then its chief's
    converters: list  # (position, converters, expression), as the ORM's compiler applies them


_CHAIN = ("g0", "g1", "g2", "g3")  # micro, community, large, district


@functools.cache
def _lookup_query(alias: str, responsible: bool = False) -> _LookupQuery:
    conn = connections[alias]
    qn = conn.ops.quote_name
    grid_fields = [f for f in Grid._meta.concrete_fields if f.name != "boundary"]
    person_fields = list(Person._meta.concrete_fields)
    place_fields = (
        [f for f in Place._meta.concrete_fields if f.name not in ("geometry", "reach")] if responsible else []
    )
    columns = [f"{a}.{qn(f.column)}" for a in _CHAIN for f in grid_fields]
    columns += [f"p.{qn(f.column)}" for f in person_fields]
    columns += [f"pl.{qn(f.column)}" for f in place_fields]
    columns += [f"pp.{qn(f.column)}" for f in (person_fields if responsible else [])]
    grid_table, parent, pk = qn(Grid._meta.db_table), qn("parent_id"), qn("id")
    person_table, place_table = qn(Person._meta.db_table), qn(Place._meta.db_table)
    joins = "".join(
        f" LEFT JOIN {grid_table} {child} ON {child}.{pk} = {a}.{parent}"
        for a, child in zip(_CHAIN, _CHAIN[1:], strict=False)
    )
    joins += f" LEFT JOIN {person_table} p ON p.{pk} = g0.{qn('chief_id')}"
    point = (
        "MakePoint(%(x)s, %(y)s, 4326)" if conn.vendor == "sqlite" else "ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)"
    )
    if responsible:
        # The place whose chief answers here (responsible_at_point's order: shop, lane, street,
        # then code), found among the micro grid's own places by their index, not by shape.
        reaches = (
            f"Intersects(q.{qn('reach')}, {point}) > 0"
            if conn.vendor == "sqlite"
            else (f"ST_Intersects(q.{qn('reach')}, {point})")
        )
        priority = " ".join(f"WHEN '{kind}' THEN {n}" for n, kind in enumerate(PLACE_PRIORITY))
        best = (
            f"SELECT q.{pk} FROM {place_table} q WHERE q.{qn('micro_grid_id')} = g0.{pk} "
            f"AND q.{qn('chief_id')} IS NOT NULL AND {reaches} "
            f"ORDER BY CASE q.{qn('kind')} {priority} ELSE {len(PLACE_PRIORITY)} END, q.{qn('code')} LIMIT 1"
        )
        joins += f" LEFT JOIN {place_table} pl ON pl.{pk} = ({best})"
        joins += f" LEFT JOIN {person_table} pp ON pp.{pk} = pl.{qn('chief_id')}"
    if conn.vendor == "sqlite":
        # SpatiaLite does not use the R*Tree by itself: ask it for the boxes holding the point.
        spatial = (
            f"g0.{pk} IN (SELECT pkid FROM {qn('idx_' + Grid._meta.db_table + '_boundary')} "
            "WHERE xmin <= %(x)s AND xmax >= %(x)s AND ymin <= %(y)s AND ymax >= %(y)s) "
            "AND Intersects(g0.boundary, MakePoint(%(x)s, %(y)s, 4326)) > 0"
        )
    else:
        spatial = "ST_Intersects(g0.boundary, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326))"
    # The filter of Grid.objects.valid_on(day).filter(level=MICRO, boundary__intersects=point).
    sql = (
        f"SELECT {', '.join(columns)} FROM {grid_table} g0{joins} "
        "WHERE g0.level = %(level)s AND g0.valid_from <= %(day)s AND (g0.valid_to IS NULL OR g0.valid_to >= %(day)s) "
        f"AND {spatial} ORDER BY g0.{qn('code')} LIMIT 1"
    )
    expressions = [f.get_col(a) for a in _CHAIN for f in grid_fields] + [f.get_col("p") for f in person_fields]
    expressions += [f.get_col("pl") for f in place_fields]
    expressions += [f.get_col("pp") for f in (person_fields if responsible else [])]
    converters = []
    for position, expression in enumerate(expressions):
        convs = conn.ops.get_db_converters(expression) + expression.get_db_converters(conn)
        if convs:
            converters.append((position, convs, expression))
    return _LookupQuery(
        sql,
        [f.attname for f in grid_fields],
        [f.attname for f in person_fields],
        [f.attname for f in place_fields],
        converters,
    )


def _fetch_lookup_row(conn, query: _LookupQuery, params: dict) -> tuple | None:
    with conn.cursor() as cursor:
        if conn.vendor != "postgresql":
            cursor.execute(query.sql, params)
            return cursor.fetchone()
        # Server-side binding, so that psycopg prepares the statement (settings:
        # OPTIONS prepare_threshold, plan_cache_mode): planning this five-table
        # spatial join costs more than running it.
        from django.db.backends.postgresql.base import ServerBindingCursor

        wrap = conn.make_debug_cursor if conn.queries_logged else conn.make_cursor
        with wrap(ServerBindingCursor(cursor.connection)) as bound:
            bound.execute(query.sql, params)
            return bound.fetchone()


def grid_at_point(*, point: Point, on: datetime.date | None = None, responsible: bool = False) -> GridLocation:
    """The micro grid holding `point` (WGS84) with its ancestors and chief loaded, boundaries deferred.

    A point on the edge shared by two micro grids belongs to the one with the
    smaller code, so every point maps to exactly one grid. With `responsible`, the same one
    statement also finds the place whose chief answers at the point (for responsible_at_point).
    """
    if point.srid is None:
        point = Point(point.x, point.y, srid=4326)
    x, y = (point if point.srid == 4326 else point.transform(4326, clone=True)).coords[:2]
    conn = connections[DEFAULT_DB_ALIAS]
    query = _lookup_query(conn.alias, responsible)
    params = {"x": x, "y": y, "day": on or timezone.localdate(), "level": Level.MICRO.value}
    row = _fetch_lookup_row(conn, query, params)
    if row is None:
        return GridLocation(point=point, micro=None)
    row = list(row)
    for position, convs, expression in query.converters:
        for converter in convs:
            row[position] = converter(row[position], expression, conn)
    width, db = len(query.grid_names), conn.alias
    chain = [
        Grid.from_db(db, query.grid_names, row[start : start + width]) if row[start] is not None else None
        for start in range(0, width * len(_CHAIN), width)
    ]
    for child, parent in zip(chain, chain[1:], strict=False):
        if child is None:
            break
        _PARENT.set_cached_value(child, parent)
    start, people = width * len(_CHAIN), len(query.person_names)
    chief = row[start : start + people]
    _CHIEF.set_cached_value(chain[0], Person.from_db(db, query.person_names, chief) if chief[0] is not None else None)
    if not responsible:
        return GridLocation(point=point, micro=chain[0])
    start += people
    place_row = row[start : start + len(query.place_names)]
    place = None
    if place_row[0] is not None:
        place = Place.from_db(db, query.place_names, place_row)
        person_row = row[start + len(query.place_names) :]
        _PLACE_CHIEF.set_cached_value(place, Person.from_db(db, query.person_names, person_row))
    return GridLocation(point=point, micro=chain[0], place=place, places_loaded=True)


_PARENT, _CHIEF = Grid._meta.get_field("parent"), Grid._meta.get_field("chief")
_PLACE_CHIEF = Place._meta.get_field("chief")


@dataclass(frozen=True)
class Responsibility:
    """Who answers at a point: a person, in which capacity, for which place or grid; and the road
    segment the point is on (路长制: its city manager, inspector and road chief), if any."""

    person: Person
    role: ResponsibleRole
    place: Place | None
    grid: Grid | None
    segment: RoadSegment | None = None


def _segments_exist() -> bool:
    return RoadSegment.objects.exists()


_SEGMENTS = Memo("grids.road_segments", _segments_exist)


def roads_exist() -> bool:
    """Whether the installation has roads with segments (路长制 in use)."""
    return _SEGMENTS.get()


def segment_at_point(*, point: Point) -> RoadSegment | None:
    """The road segment whose reach holds `point` (the smallest code on an overlap), its road,
    road chief, city manager and inspector loaded; no query at all where there are no roads."""
    if not _SEGMENTS.get():
        return None
    return (
        RoadSegment.objects.filter(reach__intersects=point)
        .select_related("road__chief", "manager", "inspector")
        .defer("reach", "geometry", "road__geometry")
        .order_by("code")
        .first()
    )


def roads_memo_connect() -> None:
    from django.db.models.signals import post_delete, post_save

    def changed(**kwargs) -> None:
        _SEGMENTS.changed()

    for signal in (post_save, post_delete):
        signal.connect(changed, sender=RoadSegment, weak=False, dispatch_uid="grids.road_segments")


def responsible_at_point(*, point: Point, location: GridLocation | None = None) -> Responsibility | None:
    """Shop chief at its frontage, else the city manager of the road segment the point is on
    (路长制), else lane or street chief, else the micro-grid chief, walking up the grid tree while
    a level has nobody. None outside the jurisdiction or when nobody at all is assigned. The
    segment is named in any case (a case at a shop on a road is also on its segment)."""
    location = location or grid_at_point(point=point, responsible=True)
    if not location.inside:
        return None
    segment = segment_at_point(point=location.point)
    if location.places_loaded:
        places = [location.place] if location.place is not None else []
    else:
        places = list(
            Place.objects.filter(micro_grid=location.micro, reach__intersects=location.point, chief__isnull=False)
            .select_related("chief")
            .order_by("code")
        )
        places.sort(key=lambda place: PLACE_PRIORITY.index(place.kind))
    if places and places[0].kind == PlaceKind.SHOP:
        place = places[0]
        return Responsibility(place.chief, ResponsibleRole.of_place(place.kind), place, location.micro, segment)
    if segment is not None and segment.manager_id:
        return Responsibility(segment.manager, ResponsibleRole.SEGMENT_MANAGER, None, location.micro, segment)
    if places:
        place = places[0]
        return Responsibility(place.chief, ResponsibleRole.of_place(place.kind), place, location.micro, segment)
    for grid in location.chain:
        if grid.chief_id:
            return Responsibility(grid.chief, ResponsibleRole.of_grid(grid.level), None, grid, segment)
    return None


def subtree_q(grid: Grid, prefix: str = "") -> Q:
    """A Q matching `grid` and every grid below it (the tree is at most four deep)."""
    q = Q(**{f"{prefix}pk": grid.pk})
    for depth in range(1, 4):
        q |= Q(**{f"{prefix}{'parent__' * depth}pk": grid.pk})
    return q


def grid_subtree(*, grid: Grid, level: str | None = None) -> QuerySet[Grid]:
    queryset = Grid.objects.filter(subtree_q(grid))
    if level:
        queryset = queryset.filter(level=level)
    return queryset


def grid_children(*, grid: Grid | None) -> QuerySet[Grid]:
    """Children of `grid`, or the top of the tree (grids without a parent) for None."""
    if grid is None:
        return Grid.objects.filter(parent__isnull=True)
    return grid.children.all()


PLACES_MAP_LIMIT = 2000


def places_in_view(
    *, bbox: tuple[float, float, float, float], kinds: list[str] | None = None, limit: int = PLACES_MAP_LIMIT
) -> tuple[list[Place], bool]:
    """The places (streets, shops, lanes) whose area of responsibility meets `bbox` (min lon, min
    lat, max lon, max lat; its spatial index), their chief and micro grid loaded, and whether
    there were more than `limit`."""
    places = (
        Place.objects.filter(reach__intersects=_bbox(bbox))
        .select_related("chief", "micro_grid")
        .defer("reach", "micro_grid__boundary")
        .order_by("kind", "code")
    )
    if kinds:
        places = places.filter(kind__in=kinds)
    rows = list(places[: limit + 1])
    return rows[:limit], len(rows) > limit


def _bbox(bbox: tuple[float, float, float, float]):
    from django.contrib.gis.geos import Polygon

    polygon = Polygon.from_bbox(bbox)
    polygon.srid = 4326
    return polygon


def places_of_chief(*, user) -> list[Place]:
    """The places (street, shop, lane) whose chief is `user`'s person, with their micro grid."""
    return list(
        Place.objects.filter(chief__user=user)
        .select_related("micro_grid")
        .defer("reach", "micro_grid__boundary")
        .order_by("kind", "code")
    )


def roads_of_chief(*, user) -> list:
    """The roads whose road chief (路长) is `user`'s person, with their segments and people."""
    from grids.models import Road

    return list(
        Road.objects.filter(chief__user=user)
        .defer("geometry")
        .prefetch_related(
            models.Prefetch(
                "segments",
                queryset=RoadSegment.objects.select_related("manager", "inspector").defer("geometry", "reach"),
            )
        )
        .order_by("code")
    )


def grids_for_person(*, person: Person) -> QuerySet[Grid]:
    return Grid.objects.filter(chief=person)


@dataclass(frozen=True)
class CoverageProblem:
    kind: str  # "overlap" or "gap"
    parent: Grid
    grids: tuple[Grid, ...]  # the two overlapping siblings; empty for a gap
    area_m2: float
    where: Point  # a point inside the problem area, to find it on a map
    shape: object = None  # the overlap or the gap itself (a GEOS polygon), to draw it


def grid_coverage_problems(*, parents: QuerySet[Grid] | None = None, min_area_m2: float = 1.0) -> list[CoverageProblem]:
    """Overlaps between sibling grids and gaps their union leaves in their parent, among the grids
    valid today (a retired grid, valid_to in the past, is neither checked nor counted as cover).

    Areas below `min_area_m2` (digitising slivers) are not reported.
    """
    from grids.geo import area_m2

    today = timezone.localdate()
    if parents is None:
        parents = Grid.objects.filter(children__isnull=False).distinct()
    problems: list[CoverageProblem] = []
    for parent in parents.valid_on(today).order_by("code"):
        children = list(parent.children.valid_on(today).order_by("code"))
        if not children:
            continue
        for i, first in enumerate(children):
            for second in children[i + 1 :]:
                if not first.boundary.envelope.intersects(second.boundary.envelope):
                    continue
                shared = first.boundary.intersection(second.boundary)
                if shared.empty or shared.dims < 2:
                    continue  # touching along an edge or at a corner is fine
                size = area_m2(shared)
                if size >= min_area_m2:
                    problems.append(
                        CoverageProblem("overlap", parent, (first, second), size, shared.point_on_surface, shared)
                    )
        union = children[0].boundary.unary_union if len(children) == 1 else _union([c.boundary for c in children])
        rest = parent.boundary.difference(union)
        for part in _parts(rest):
            size = area_m2(part)
            if size >= min_area_m2:
                problems.append(CoverageProblem("gap", parent, (), size, part.point_on_surface, part))
    return problems


def coverage_geojson(*, problems: list[CoverageProblem], parent: Grid | None = None) -> dict:
    """The coverage problems as GeoJSON for a map: each overlap and gap with its parent's outline."""
    import json

    parents = {problem.parent.pk: problem.parent for problem in problems}
    if parent is not None:
        parents.setdefault(parent.pk, parent)
    features = [
        {
            "type": "Feature",
            "properties": {"kind": "parent", "code": grid.code, "name": grid.name},
            "geometry": json.loads(grid.boundary.json),
        }
        for grid in parents.values()
    ]
    for problem in problems:
        if problem.shape is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": problem.kind,
                    "parent": problem.parent.code,
                    "grids": [grid.code for grid in problem.grids],
                    "area_m2": round(problem.area_m2, 1),
                },
                "geometry": json.loads(problem.shape.json),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _union(geometries):
    from django.contrib.gis.geos import MultiPolygon

    pieces = []
    for geom in geometries:
        pieces.extend(geom)
    return MultiPolygon(pieces, srid=4326).unary_union


def _parts(geom):
    if geom.empty:
        return []
    if geom.geom_type in ("Polygon",):
        return [geom]
    return [part for part in geom if part.geom_type == "Polygon"]


# ---- command centers (镇街三级) ------------------------------------------------------


@dataclass(frozen=True)
class Centers:
    """The command centers as a small table kept in each process (config.memo): read at intake
    (a case belongs to the center of its location) without a query."""

    root_id: int | None  # the district's center (the first without a parent)
    parent: dict[int, int | None]
    names: dict[int, str]
    tops: dict[int, tuple[int, ...]]  # center → the grids whose subtrees it covers
    by_grid: dict[int, int]  # grid → the center covering its subtree from it

    def covering(self, chain: list[int | None]) -> list[int]:
        """The centers covering a location, deepest first, ending with the district's: `chain`
        is the location's grids nearest first (micro, community, large, district)."""
        found = [self.by_grid[g] for g in chain if g is not None and g in self.by_grid]
        found = list(dict.fromkeys(found))
        if self.root_id is not None and self.root_id not in found:
            found.append(self.root_id)
        return found

    def ancestors(self, center_id: int | None) -> list[int]:
        """The centers above `center_id`, nearest first."""
        out, current = [], self.parent.get(center_id) if center_id is not None else None
        while current is not None and current not in out:
            out.append(current)
            current = self.parent.get(current)
        return out


def _centers_load() -> Centers:
    centers = list(CommandCenter.objects.order_by("id").values("id", "name", "parent_id"))
    tops: dict[int, list[int]] = {c["id"]: [] for c in centers}
    by_grid: dict[int, int] = {}
    for center_id, grid_id in CommandCenter.grids.through.objects.order_by("commandcenter_id", "grid_id").values_list(
        "commandcenter_id", "grid_id"
    ):
        tops[center_id].append(grid_id)
        by_grid.setdefault(grid_id, center_id)
    root = next((c["id"] for c in centers if c["parent_id"] is None), None)
    return Centers(
        root_id=root,
        parent={c["id"]: c["parent_id"] for c in centers},
        names={c["id"]: c["name"] for c in centers},
        tops={k: tuple(v) for k, v in tops.items()},
        by_grid=by_grid,
    )


_CENTERS = Memo("grids.centers", _centers_load)


def centers_known() -> Centers:
    """Every command center, from the table kept in the process: read-only."""
    return _CENTERS.get()


def town_centers_exist() -> bool:
    """Whether the installation has centers below the district's (镇街三级 in use)."""
    return any(parent is not None for parent in centers_known().parent.values())


def center_for_chain(chain: list[int | None]) -> int | None:
    """The center a location belongs to: the deepest covering it (the district's if no town's
    does); None when the installation has no center at all."""
    covering = centers_known().covering(chain)
    return covering[0] if covering else None


def centers_memo_connect() -> None:
    """Tell the memo when centers or their grids change (called once, from the app's ready())."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    def changed(**kwargs) -> None:
        _CENTERS.changed()

    for signal in (post_save, post_delete):
        signal.connect(changed, sender=CommandCenter, weak=False, dispatch_uid="grids.centers")
    m2m_changed.connect(changed, sender=CommandCenter.grids.through, weak=False, dispatch_uid="grids.centers.grids")
