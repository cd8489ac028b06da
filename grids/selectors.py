"""Reads of the territory: point → grid, who is responsible at a point, subtrees."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from grids.models import PLACE_PRIORITY, Grid, Level, Person, Place

ANCESTORS = "parent__parent__parent"
# Boundaries are not needed to answer "where is this point"; loading a
# district's outline on every lookup would cost more than the lookup itself.
NO_BOUNDARIES = ("boundary", "parent__boundary", "parent__parent__boundary", "parent__parent__parent__boundary")


@dataclass(frozen=True)
class GridLocation:
    """Where a point falls. `micro` is None when the point is outside the jurisdiction."""

    point: Point
    micro: Grid | None

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


def _spatial_index_filter(queryset: QuerySet, point: Point) -> QuerySet:
    """Narrow to grids whose bounding box holds the point, through the spatial index.

    PostGIS uses its GiST index for ST_Intersects by itself; SpatiaLite does
    not, so there the R*Tree that GeoDjango created is queried explicitly.
    """
    if connection.vendor != "sqlite":
        return queryset
    table = Grid._meta.db_table
    # Parameters are bound; the table name is our own constant.
    return queryset.extra(  # noqa: S610
        where=[
            f'"{table}"."id" IN (SELECT pkid FROM "idx_{table}_boundary" '
            "WHERE xmin <= %s AND xmax >= %s AND ymin <= %s AND ymax >= %s)"
        ],
        params=[point.x, point.x, point.y, point.y],
    )


def grid_at_point(*, point: Point, on: datetime.date | None = None) -> GridLocation:
    """The micro grid holding `point` (WGS84) with its ancestors loaded.

    A point on the edge shared by two micro grids belongs to the one with the
    smaller code, so every point maps to exactly one grid.
    """
    if point.srid is None:
        point = Point(point.x, point.y, srid=4326)
    day = on or timezone.localdate()
    candidates = _spatial_index_filter(
        Grid.objects.valid_on(day).filter(level=Level.MICRO, boundary__intersects=point), point
    )
    micro = candidates.select_related(ANCESTORS, "chief").defer(*NO_BOUNDARIES).order_by("code").first()
    return GridLocation(point=point, micro=micro)


@dataclass(frozen=True)
class Responsibility:
    """Who answers at a point: a person, in which capacity, for which place or grid."""

    person: Person
    role: str  # shop_chief, lane_chief, street_chief, micro_chief, community_chief, large_chief, district_chief
    place: Place | None
    grid: Grid | None


def responsible_at_point(*, point: Point, location: GridLocation | None = None) -> Responsibility | None:
    """Shop chief at its frontage, else lane or street chief, else the micro-grid chief,
    walking up the grid tree while a level has nobody. None outside the jurisdiction
    or when nobody at all is assigned."""
    location = location or grid_at_point(point=point)
    if not location.inside:
        return None
    places = list(
        Place.objects.filter(micro_grid=location.micro, reach__intersects=location.point, chief__isnull=False)
        .select_related("chief")
        .order_by("code")
    )
    places.sort(key=lambda place: PLACE_PRIORITY.index(place.kind))
    if places:
        place = places[0]
        return Responsibility(person=place.chief, role=f"{place.kind}_chief", place=place, grid=location.micro)
    for grid in location.chain:
        if grid.chief_id:
            return Responsibility(person=grid.chief, role=f"{grid.level}_chief", place=None, grid=grid)
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


def grids_for_person(*, person: Person) -> QuerySet[Grid]:
    return Grid.objects.filter(chief=person)


@dataclass(frozen=True)
class CoverageProblem:
    kind: str  # "overlap" or "gap"
    parent: Grid
    grids: tuple[Grid, ...]  # the two overlapping siblings; empty for a gap
    area_m2: float
    where: Point  # a point inside the problem area, to find it on a map


def grid_coverage_problems(*, parents: QuerySet[Grid] | None = None, min_area_m2: float = 1.0) -> list[CoverageProblem]:
    """Overlaps between sibling grids and gaps their union leaves in their parent.

    Areas below `min_area_m2` (digitising slivers) are not reported.
    """
    from grids.geo import area_m2

    if parents is None:
        parents = Grid.objects.filter(children__isnull=False).distinct()
    problems: list[CoverageProblem] = []
    for parent in parents.order_by("code"):
        children = list(parent.children.order_by("code"))
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
                    problems.append(CoverageProblem("overlap", parent, (first, second), size, shared.point_on_surface))
        union = children[0].boundary.unary_union if len(children) == 1 else _union([c.boundary for c in children])
        rest = parent.boundary.difference(union)
        for part in _parts(rest):
            size = area_m2(part)
            if size >= min_area_m2:
                problems.append(CoverageProblem("gap", parent, (), size, part.point_on_surface))
    return problems


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
