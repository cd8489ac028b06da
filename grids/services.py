"""Writes to the territory: GeoJSON import and export, place areas of responsibility.

Import is all or nothing: every feature is checked first, and any problem
raises GridImportError naming each bad feature and the reason, with nothing
written. A valid file is upserted by code inside one transaction.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, MultiLineString, Point, Polygon
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.imports import ImportKind
from grids.geo import area_m2, as_multipolygon, buffer_m
from grids.models import (
    DEFAULT_REACH_M,
    LEVELS,
    Grid,
    ImportJob,
    Level,
    Person,
    Place,
    PlaceKind,
    RegionClass,
    parent_rule_error,
)

logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]

# A child may stick out of its parent by about a metre (digitising noise).
WITHIN_TOLERANCE_DEG = 1e-5
MAX_REPORTED_PROBLEMS = 200
PLACE_GEOMETRY_TYPES = {
    PlaceKind.SHOP: {"Point"},
    PlaceKind.STREET: {"LineString", "MultiLineString"},
    PlaceKind.LANE: {"LineString", "MultiLineString", "Polygon"},
}


@dataclass(frozen=True)
class Problem:
    index: int  # 1-based position of the feature in the file; 0: the file itself
    code: str
    reason: str

    def __str__(self) -> str:
        if self.index == 0:
            return self.reason
        where = _("feature #%(index)d") % {"index": self.index}
        if self.code:
            where += " " + _("(code %(code)s)") % {"code": self.code}
        return f"{where}: {self.reason}"


class GridImportError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportSummary:
    grids_created: int = 0
    grids_updated: int = 0
    places_created: int = 0
    places_updated: int = 0
    people_created: int = 0
    warnings: list[str] = field(default_factory=list)  # accepted, but worth saying: slivers between siblings

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "warnings": list(self.warnings)}


@dataclass
class _GridRow:
    index: int
    code: str
    name: str
    level: str
    parent_code: str | None
    boundary: Any
    valid_from: datetime.date
    valid_to: datetime.date | None
    chief: tuple[str, str] | None
    region_class: str | None = None  # the code of a micro grid's region class (一类/二类/三类 …)


@dataclass
class _PlaceRow:
    index: int
    code: str
    name: str
    kind: str
    grid_code: str
    geometry: Any
    reach_m: float
    chief: tuple[str, str] | None


@dataclass
class _Parsed:
    grids: list[_GridRow] = field(default_factory=list)
    places: list[_PlaceRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # code → index of a feature refused while parsing
    warnings: list[Problem] = field(default_factory=list)  # accepted, but worth saying (slivers)


# ---------------------------------------------------------------- parsing ---


def _geometry(value: Any) -> GEOSGeometry:
    """Build a GEOS geometry from a GeoJSON geometry object, or raise ValueError."""
    if not isinstance(value, dict):
        raise ValueError(_("missing geometry"))
    kind, coords = value.get("type"), value.get("coordinates")
    try:
        if kind == "Point":
            geom = Point(*[float(c) for c in coords[:2]])
        elif kind == "LineString":
            geom = LineString([tuple(map(float, c[:2])) for c in coords])
        elif kind == "MultiLineString":
            geom = MultiLineString([LineString([tuple(map(float, c[:2])) for c in line]) for line in coords])
        elif kind == "Polygon":
            geom = _polygon(coords)
        elif kind == "MultiPolygon":
            from django.contrib.gis.geos import MultiPolygon

            geom = MultiPolygon([_polygon(poly) for poly in coords])
        else:
            raise ValueError(_("unsupported geometry type %(type)r") % {"type": kind})
    except (TypeError, IndexError, GEOSException) as exc:
        raise ValueError(_("malformed %(type)s coordinates (%(error)s)") % {"type": kind, "error": exc}) from None
    geom.srid = 4326
    if geom.empty:
        raise ValueError(_("empty geometry"))
    return geom


def _polygon(rings: Any) -> Polygon:
    if not rings:
        raise ValueError(_("a polygon needs at least one ring"))
    built = []
    for ring in rings:
        points = [tuple(map(float, c[:2])) for c in ring]
        if len(points) < 4 or points[0] != points[-1]:
            raise ValueError(_("a polygon ring must be closed and have at least 4 positions"))
        built.append(points)
    return Polygon(*built)


def _date(value: Any, name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            _("%(name)s must be a date YYYY-MM-DD, got %(value)r") % {"name": name, "value": value}
        ) from None


def _chief(props: dict) -> tuple[str, str] | None:
    name = str(props.get("chief_name") or "").strip()
    if not name:
        return None
    return name[:50], str(props.get("chief_phone") or "").strip()[:30]


def _parse(data: Any) -> _Parsed:
    parsed = _Parsed()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        parsed.problems.append(Problem(0, "", _("the file is not a GeoJSON FeatureCollection")))
        return parsed
    features = data.get("features")
    if not isinstance(features, list):
        parsed.problems.append(Problem(0, "", _("the FeatureCollection has no features list")))
        return parsed
    seen: dict[str, int] = {}
    for index, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            parsed.problems.append(Problem(index, "", _("not a feature with properties")))
            continue
        code = str(props.get("code") or "").strip()

        def fail(reason: str, index=index, code=code) -> None:
            parsed.problems.append(Problem(index, code, reason))
            if code:
                parsed.refused.setdefault(code, index)

        if not code:
            fail(_("missing code"))
            continue
        if code in seen:
            parsed.problems.append(
                Problem(index, code, _("duplicate code (also feature #%(other)d)") % {"other": seen[code]})
            )
            continue
        seen[code] = index
        name = str(props.get("name") or "").strip()
        if not name:
            fail(_("missing name"))
            continue
        try:
            geometry = _geometry(feature.get("geometry"))
        except ValueError as exc:
            fail(str(exc))
            continue
        if "kind" in props and "level" not in props:
            _parse_place(parsed, index, code, name, props, geometry, fail)
        else:
            _parse_grid(parsed, index, code, name, props, geometry, fail)
    return parsed


def _parse_grid(parsed: _Parsed, index, code, name, props, geometry, fail) -> None:
    level = props.get("level")
    if level not in Level.values:
        fail(
            _("unknown level %(level)r (expected one of %(levels)s)")
            % {"level": level, "levels": ", ".join(Level.values)}
        )
        return
    if len(code) > 32:
        fail(_("code longer than 32 characters"))
        return
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        fail(_("a grid boundary must be a Polygon or MultiPolygon, not %(type)s") % {"type": geometry.geom_type})
        return
    if not geometry.valid:
        fail(_("invalid polygon: %(reason)s") % {"reason": geometry.valid_reason})
        return
    try:
        valid_from = _date(props.get("valid_from"), "valid_from") or datetime.date(2000, 1, 1)
        valid_to = _date(props.get("valid_to"), "valid_to")
    except ValueError as exc:
        fail(str(exc))
        return
    if valid_to and valid_to < valid_from:
        fail(_("valid_to is before valid_from"))
        return
    parent = str(props.get("parent") or "").strip() or None
    region_class = str(props.get("region_class") or "").strip() or None
    if region_class and level != Level.MICRO:
        fail(_("only micro grids have a region class"))
        return
    parsed.grids.append(
        _GridRow(
            index,
            code,
            name[:100],
            level,
            parent,
            as_multipolygon(geometry),
            valid_from,
            valid_to,
            _chief(props),
            region_class,
        )
    )


def _parse_place(parsed: _Parsed, index, code, name, props, geometry, fail) -> None:
    kind = props.get("kind")
    if kind not in PlaceKind.values:
        fail(_("unknown place kind %(kind)r (expected shop, lane or street)") % {"kind": kind})
        return
    if len(code) > 40:
        fail(_("code longer than 40 characters"))
        return
    if geometry.geom_type not in PLACE_GEOMETRY_TYPES[kind]:
        fail(
            _("a %(kind)s must be drawn as %(types)s, not %(type)s")
            % {"kind": kind, "types": " / ".join(sorted(PLACE_GEOMETRY_TYPES[kind])), "type": geometry.geom_type}
        )
        return
    if not geometry.valid:
        fail(_("invalid geometry: %(reason)s") % {"reason": geometry.valid_reason})
        return
    grid_code = str(props.get("grid") or "").strip()
    if not grid_code:
        fail(_("missing grid (the code of the micro grid the place is in)"))
        return
    try:
        reach = float(props.get("reach_m") or DEFAULT_REACH_M[kind])
    except (TypeError, ValueError):
        fail(_("reach_m must be a number of metres"))
        return
    if not 0 < reach <= 200:
        fail(_("reach_m must be between 0 and 200 metres"))
        return
    parsed.places.append(_PlaceRow(index, code, name[:100], kind, grid_code, geometry, reach, _chief(props)))


# ------------------------------------------------------------- validation ---


class _Covers:
    """Prepared, slightly buffered parent boundaries, built once per parent."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def __call__(self, code: str, boundary: GEOSGeometry, child: GEOSGeometry) -> bool:
        prepared = self._cache.get(code)
        if prepared is None:
            prepared = self._cache[code] = boundary.buffer(WITHIN_TOLERANCE_DEG, quadsegs=2).prepared
        return prepared.covers(child)


def _refused_reference(parsed: _Parsed, code: str) -> str:
    return _(
        "refers to %(code)s, which is refused (feature #%(index)d): checked against it once that feature is fixed"
    ) % {"code": code, "index": parsed.refused[code]}


def _check_tree(parsed: _Parsed, classes: dict[str, int]) -> tuple[dict[str, Grid], dict[str, Grid]]:
    """Check parents, levels, region classes and containment against the file and the database.

    Returns the grids already in the database that the file refers to or updates.
    """
    in_file = {row.code: row for row in parsed.grids}
    wanted = set(in_file) | {row.parent_code for row in parsed.grids if row.parent_code}
    wanted |= {row.grid_code for row in parsed.places}
    existing = {grid.code: grid for grid in _in_chunks(Grid.objects.all(), "code", wanted)}
    covers = _Covers()

    for row in parsed.grids:
        old = existing.get(row.code)
        if old and old.level != row.level:
            parsed.problems.append(
                Problem(
                    row.index,
                    row.code,
                    _("already exists as a %(old)s grid; a grid's level cannot change") % {"old": old.level},
                )
            )
            continue
        if row.region_class and row.region_class not in classes:
            parsed.problems.append(
                Problem(
                    row.index,
                    row.code,
                    _("unknown region class %(code)s (the classes are: %(known)s)")
                    % {"code": row.region_class, "known": ", ".join(classes) or "—"},
                )
            )
        parent = in_file.get(row.parent_code) if row.parent_code else None
        parent_db = existing.get(row.parent_code) if row.parent_code and parent is None else None
        if row.parent_code in parsed.refused:
            parsed.problems.append(Problem(row.index, row.code, _refused_reference(parsed, row.parent_code)))
            continue
        if row.parent_code and parent is None and parent_db is None:
            parsed.problems.append(
                Problem(row.index, row.code, _("unknown parent %(parent)s") % {"parent": row.parent_code})
            )
            continue
        parent_level = parent.level if parent else (parent_db.level if parent_db else None)
        message = parent_rule_error(row.level, parent_level)
        if message:
            parsed.problems.append(Problem(row.index, row.code, message))
            continue
        if row.parent_code:
            parent_boundary = parent.boundary if parent else parent_db.boundary
            if not covers(row.parent_code, parent_boundary, row.boundary):
                parsed.problems.append(
                    Problem(row.index, row.code, _("lies outside its parent %(parent)s") % {"parent": row.parent_code})
                )

    for row in parsed.places:
        grid = in_file.get(row.grid_code) or existing.get(row.grid_code)
        if grid is None and row.grid_code in parsed.refused:
            parsed.problems.append(Problem(row.index, row.code, _refused_reference(parsed, row.grid_code)))
            continue
        if grid is None:
            parsed.problems.append(Problem(row.index, row.code, _("unknown grid %(grid)s") % {"grid": row.grid_code}))
            continue
        if grid.level != Level.MICRO:
            parsed.problems.append(
                Problem(
                    row.index,
                    row.code,
                    _("a place must be in a micro grid; %(grid)s is a %(level)s grid")
                    % {"grid": row.grid_code, "level": grid.level},
                )
            )
            continue
        if not covers(row.grid_code, grid.boundary, row.geometry):
            parsed.problems.append(
                Problem(row.index, row.code, _("lies outside its micro grid %(grid)s") % {"grid": row.grid_code})
            )
    return existing, in_file


def overlap_tolerance_m2() -> float:
    """Overlaps between sibling grids smaller than this (m²) are digitising slivers: accepted."""
    return float(getattr(settings, "GRID_OVERLAP_TOLERANCE_M2", 1))


def _extents_meet(a: tuple, b: tuple) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _check_overlaps(parsed: _Parsed, existing: dict[str, Grid], *, tolerance_m2: float) -> None:
    """Sibling grids (same parent and level) may not overlap: those of the file with each other and
    with the siblings already in the database that the file leaves as they are. Retired grids
    (valid_to before today) are left out on both sides. An overlap under `tolerance_m2` is a
    sliver: accepted, and named among the import's warnings."""
    today = timezone.localdate()
    in_file = {row.code for row in parsed.grids}
    groups: dict[tuple[str | None, str], list] = {}
    for row in parsed.grids:
        if row.valid_to is None or row.valid_to >= today:
            groups.setdefault((row.parent_code, row.level), []).append(row)
    if not groups:
        return
    # The siblings already imported, by (parent code, level): one query per chunk of parents.
    stored: dict[tuple[str | None, str], list[Grid]] = {}
    parents = sorted({parent for parent, _level in groups if parent})
    active = Grid.objects.valid_on(today).only("code", "level", "boundary", "parent__code")
    for start in range(0, len(parents), 2000):
        for grid in active.filter(parent__code__in=parents[start : start + 2000]).select_related("parent"):
            if grid.code not in in_file:
                stored.setdefault((grid.parent.code, grid.level), []).append(grid)
    if any(parent is None for parent, _level in groups):
        for grid in active.filter(parent__isnull=True):
            if grid.code not in in_file:
                stored.setdefault((None, grid.level), []).append(grid)

    def overlap(first, second) -> float:
        if not _extents_meet(first.boundary.extent, second.boundary.extent):
            return 0.0
        if not first.boundary.intersects(second.boundary):
            return 0.0
        shared = first.boundary.intersection(second.boundary)
        if shared.empty or shared.dims < 2:
            return 0.0  # touching along an edge or at a corner is fine
        return area_m2(shared)

    for key, rows in groups.items():
        others = stored.get(key, [])
        for i, row in enumerate(rows):
            pairs = [
                (other, _("%(code)s (feature #%(index)d)") % {"index": other.index, "code": other.code})
                for other in rows[:i]
            ]
            pairs += [(grid, _("%(code)s (already imported)") % {"code": grid.code}) for grid in others]
            for other, named in pairs:
                size = overlap(row, other)
                if size <= 0:
                    continue
                values = {"other": named, "area": f"{size:,.1f}", "tolerance": f"{tolerance_m2:g}"}
                if size >= tolerance_m2:
                    message = _("overlaps its sibling %(other)s by %(area)s m² (at most %(tolerance)s m² is tolerated)")
                    parsed.problems.append(Problem(row.index, row.code, message % values))
                else:
                    message = _(
                        "overlaps its sibling %(other)s by %(area)s m², under the tolerance of %(tolerance)s m²: accepted"
                    )
                    parsed.warnings.append(Problem(row.index, row.code, message % values))


# ----------------------------------------------------------------- import ---


def grid_import(*, data: str | bytes | dict, progress: Progress | None = None) -> ImportSummary:
    """Import grids and places from GeoJSON; all or nothing.

    Raises GridImportError listing every bad feature; writes nothing then.
    """
    report = progress or (lambda done, total, stage: None)
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GridImportError(
                [Problem(0, "", _("the file is not valid JSON: %(error)s") % {"error": exc})]
            ) from None
    parsed = _parse(data)
    total = len(parsed.grids) + len(parsed.places)
    report(0, total, "check")
    if any(problem.index == 0 for problem in parsed.problems):  # not a FeatureCollection: nothing to check
        raise GridImportError(parsed.problems)
    # Every check runs over every feature the file could be read for, so one pass lists it all.
    classes = dict(RegionClass.objects.values_list("code", "pk"))
    existing, _in_file = _check_tree(parsed, classes)
    _check_overlaps(parsed, existing, tolerance_m2=overlap_tolerance_m2())
    if parsed.problems:
        parsed.problems.sort(key=lambda problem: problem.index)
        raise GridImportError(parsed.problems[:MAX_REPORTED_PROBLEMS])
    if total == 0:
        raise GridImportError([Problem(0, "", _("the file holds no features"))])

    summary = ImportSummary(warnings=[str(warning) for warning in sorted(parsed.warnings, key=lambda w: w.index)])
    with transaction.atomic():
        people = _people([row.chief for row in (*parsed.grids, *parsed.places) if row.chief], summary)
        ids = {code: grid.pk for code, grid in existing.items()}
        done = 0
        for level in LEVELS:
            rows = [row for row in parsed.grids if row.level == level]
            for batch in _batches(rows, 1000):
                _write_grids(batch, existing, ids, people, summary, classes)
                done += len(batch)
                report(done, total, "write")
        for batch in _batches(parsed.places, 1000):
            _write_places(batch, ids, people, summary)
            done += len(batch)
            report(done, total, "write")
    if connection.vendor == "postgresql" and summary.grids_created > 1000:
        # Fresh statistics now, not when autovacuum gets round to it: without
        # them the point lookup's (prepared, generic) plan is 10x slower.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Grid._meta.db_table)}")
    return summary


def _in_chunks(queryset, field_name: str, values: Iterable[str], size: int = 2000) -> list:
    """`queryset.filter(field__in=values)` in chunks: a stock SQLite build allows
    only 32,766 bound parameters, and a city has more grids than that."""
    values = sorted(set(values))
    found: list = []
    for start in range(0, len(values), size):
        found.extend(queryset.filter(**{f"{field_name}__in": values[start : start + size]}))
    return found


def _batches(rows: list, size: int) -> Iterable[list]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _people(pairs: list[tuple[str, str]], summary: ImportSummary) -> dict[tuple[str, str], Person]:
    wanted = set(pairs)
    found: dict[tuple[str, str], Person] = {}
    names = {name for name, _phone in wanted}
    for person in _in_chunks(Person.objects.all(), "name", names):
        if (person.name, person.phone) in wanted:
            found[(person.name, person.phone)] = person
    missing = [Person(name=name, phone=phone) for name, phone in sorted(wanted - set(found))]
    for person in Person.objects.bulk_create(missing, batch_size=500):
        found[(person.name, person.phone)] = person
    summary.people_created += len(missing)
    return found


def _write_grids(rows, existing, ids, people, summary, classes) -> None:
    creates, updates = [], []
    for row in rows:
        values = {
            "name": row.name,
            "level": row.level,
            "parent_id": ids[row.parent_code] if row.parent_code else None,
            "boundary": row.boundary,
            "area_m2": area_m2(row.boundary),
            "valid_from": row.valid_from,
            "valid_to": row.valid_to,
            "chief": people[row.chief] if row.chief else None,
            "region_class_id": classes[row.region_class] if row.region_class else None,
        }
        grid = existing.get(row.code)
        if grid is None:
            creates.append(Grid(code=row.code, **values))
        else:
            for key, value in values.items():
                setattr(grid, key, value)
            updates.append(grid)
    for grid in Grid.objects.bulk_create(creates):
        ids[grid.code] = grid.pk
    if updates:
        Grid.objects.bulk_update(
            updates, ["name", "parent", "boundary", "area_m2", "valid_from", "valid_to", "chief", "region_class"]
        )
    summary.grids_created += len(creates)
    summary.grids_updated += len(updates)


def _write_places(rows, ids, people, summary) -> None:
    existing = {place.code: place for place in _in_chunks(Place.objects.all(), "code", [row.code for row in rows])}
    creates, updates = [], []
    for row in rows:
        values = {
            "kind": row.kind,
            "name": row.name,
            "micro_grid_id": ids[row.grid_code],
            "geometry": row.geometry,
            "reach_m": row.reach_m,
            "reach": place_reach(geometry=row.geometry, reach_m=row.reach_m),
            "chief": people[row.chief] if row.chief else None,
        }
        place = existing.get(row.code)
        if place is None:
            creates.append(Place(code=row.code, **values))
        else:
            for key, value in values.items():
                setattr(place, key, value)
            updates.append(place)
    Place.objects.bulk_create(creates)
    if updates:
        Place.objects.bulk_update(updates, ["kind", "name", "micro_grid", "geometry", "reach_m", "reach", "chief"])
    summary.places_created += len(creates)
    summary.places_updated += len(updates)


def place_reach(*, geometry: GEOSGeometry, reach_m: float) -> Polygon:
    """The area where a place's chief answers: the drawn shape plus `reach_m` metres."""
    return buffer_m(geometry, reach_m)


# ----------------------------------------------------------------- export ---


def _coords(geom: GEOSGeometry) -> Any:
    def rounded(value):
        if isinstance(value, (list, tuple)):
            return [rounded(v) for v in value]
        return round(value, 7)

    return rounded(json.loads(geom.json)["coordinates"])


def _person(person: Person | None) -> dict[str, str]:
    return {"chief_name": person.name, "chief_phone": person.phone} if person else {}


def grid_export(*, grids: Iterable[Grid] | None = None, places: Iterable[Place] | None = None) -> dict:
    """A FeatureCollection that grid_import reads back unchanged: grids top-down, then places."""
    order = {level: rank for rank, level in enumerate(LEVELS)}
    if grids is None:
        grids = Grid.objects.select_related("parent", "chief", "region_class")
    if places is None:
        places = Place.objects.select_related("micro_grid", "chief")
    features = []
    for grid in sorted(grids, key=lambda g: (order[g.level], g.code)):
        properties = {
            "code": grid.code,
            "name": grid.name,
            "level": grid.level,
            "parent": grid.parent.code if grid.parent_id else None,
            "valid_from": grid.valid_from.isoformat(),
            "valid_to": grid.valid_to.isoformat() if grid.valid_to else None,
            "area_m2": round(grid.area_m2, 1),
            **({"region_class": grid.region_class.code} if grid.region_class_id else {}),
            **_person(grid.chief),
        }
        geometry = {"type": "MultiPolygon", "coordinates": _coords(grid.boundary)}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    for place in places:
        properties = {
            "code": place.code,
            "name": place.name,
            "kind": place.kind,
            "grid": place.micro_grid.code,
            "reach_m": place.reach_m,
            **_person(place.chief),
        }
        geometry = {"type": place.geometry.geom_type, "coordinates": _coords(place.geometry)}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


# ------------------------------------------------------ single-row writes ---

# The classes a new installation starts with (grids migration 0003 makes them; DESIGN.md §7).
DEFAULT_REGION_CLASSES = [("1", "一类区域", 1), ("2", "二类区域", 2), ("3", "三类区域", 3)]


def region_classes_ensure() -> dict[str, RegionClass]:
    """The default region classes, made if missing (a city's own names are left as they are)."""
    return {
        code: RegionClass.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})[0]
        for code, name, rank in DEFAULT_REGION_CLASSES
    }


def grid_save(*, grid: Grid) -> Grid:
    """Save a grid edited by hand (admin): validate the tree rules, keep its area in step."""
    grid.full_clean()
    grid.area_m2 = area_m2(grid.boundary)
    grid.save()
    return grid


def place_save(*, place: Place) -> Place:
    """Save a place edited by hand: keep its area of responsibility in step with its shape."""
    place.reach = place_reach(geometry=place.geometry, reach_m=place.reach_m)
    place.full_clean()
    place.save()
    return place


# ------------------------------------------------------------ import jobs ---

# The admin's upload, run by grids.tasks.run_import_job (config.imports: create, run once, progress).
GRID_IMPORTS = ImportKind(
    model=ImportJob,
    task="grids.tasks.run_import_job",
    run=lambda job, progress: grid_import(data=job.payload, progress=progress),
    error=GridImportError,
    audit_action="grids.imported",
)
