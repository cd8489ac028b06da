"""Reads of the gazetteer: search by text (汉字, pinyin, initials, "street + door number") and
the address at a map point (reverse lookup). Both only read."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, Point, Polygon
from django.db.models import Q

from gazetteer.models import Entry, EntryKind, Parity
from gazetteer.pinyin import is_pinyin_query

SEARCH_LIMIT = 10
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON_EQUATOR = 111_320.0
# "兴隆路88号", "兴隆路 88", "xll88", "xinglonglu 88 hao": a street and a door number
_DOOR = re.compile(r"^(?P<street>.+?)\s*(?P<number>\d+)\s*(?:号|hao)?$")


@dataclass(frozen=True)
class Found:
    """One answer: what it is, the address to put in the form, and its point on the map."""

    kind: str  # street, building, poi, or "door": a door number placed along its street
    code: str
    name: str
    address: str
    lon: float
    lat: float
    distance_m: float | None = None


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text or "").strip()


def _point_of(entry: Entry) -> Point:
    geom = entry.geometry
    if geom.geom_type == "Point":
        return geom
    return _along(geom, 0.5)  # a street: the middle of its line


def _found(entry: Entry, *, distance_m: float | None = None) -> Found:
    point = _point_of(entry)
    return Found(entry.kind, entry.code, entry.name, entry.address, point.x, point.y, distance_m)


def _matching(text: str) -> Q:
    if is_pinyin_query(text):
        key = re.sub(r"[^0-9a-z]", "", text.lower())
        return Q(pinyin__startswith=key) | Q(initials__startswith=key)
    return Q(name__startswith=text)


def gazetteer_search(*, text: str, limit: int = SEARCH_LIMIT) -> list[Found]:
    """Entries whose name starts with `text` (Chinese), or whose pinyin or initials start with
    it (Latin letters), streets first; for "<street><number>号" the door's place on its street
    (a building or place at that address, else the number placed along the street's range)."""
    text = _clean(text)
    if not text:
        return []
    found: list[Found] = []
    door = _DOOR.match(text)
    if door:
        found.extend(_doors(door.group("street"), int(door.group("number"))))
    order = {EntryKind.STREET: 0, EntryKind.BUILDING: 1, EntryKind.POI: 2}
    named = list(Entry.objects.filter(_matching(text)).order_by("name", "code")[: limit * 2])
    if not is_pinyin_query(text) and len(named) < limit:
        # Chinese typed from the middle of a name (路 of 兴隆路): not on an index, but a short list
        seen = {entry.pk for entry in named}
        named += [
            e for e in Entry.objects.filter(name__contains=text).order_by("name", "code")[:limit] if e.pk not in seen
        ]
    named.sort(key=lambda entry: (order.get(entry.kind, 9), len(entry.name), entry.name, entry.code))
    codes = {item.code for item in found}
    found += [_found(entry) for entry in named if entry.code not in codes]
    return found[:limit]


def _doors(street_text: str, number: int) -> list[Found]:
    """The place of door `number` on the street named (or spelt in pinyin) `street_text`."""
    streets = list(Entry.objects.filter(_matching(street_text), kind=EntryKind.STREET).order_by("name", "code")[:20])
    names = {entry.street or entry.name for entry in streets}
    if not names:
        return []
    # A building or place with exactly that address wins over a number placed along the street.
    exact = list(Entry.objects.filter(street__in=names, number=str(number)).order_by("kind", "code")[:5])
    if exact:
        return [_found(entry) for entry in exact]
    answers = []
    for entry in streets:
        if entry.number_from is None or not entry.number_from <= number <= entry.number_to:
            continue
        if entry.parity == Parity.ODD and number % 2 == 0 or entry.parity == Parity.EVEN and number % 2 == 1:
            continue
        share = (
            0.5
            if entry.number_to == entry.number_from
            else (number - entry.number_from) / (entry.number_to - entry.number_from)
        )
        point = _along(entry.geometry, share)
        street = entry.street or entry.name
        answers.append(Found("door", entry.code, f"{street}{number}号", f"{street}{number}号", point.x, point.y))
    return answers[:3]


# ---- metric helpers: a local equirectangular plane, good to a few cm over a county --------------


def _scale(lat: float) -> tuple[float, float]:
    return M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat)), M_PER_DEG_LAT


def _metric(geom: GEOSGeometry, lat0: float) -> GEOSGeometry:
    sx, sy = _scale(lat0)
    clone = geom.clone()
    clone.srid = None

    def scaled(coords):
        if isinstance(coords[0], int | float):
            return (coords[0] * sx, coords[1] * sy)
        return [scaled(part) for part in coords]

    if clone.geom_type == "Point":
        return Point(clone.x * sx, clone.y * sy)
    if clone.geom_type == "LineString":
        return LineString(scaled(list(clone.coords)))
    return MultiLineString([LineString(scaled(list(part.coords))) for part in clone])


def _one_line(line: GEOSGeometry) -> LineString:
    """A multi-part street as one line (its parts joined end to end, in the order drawn)."""
    if line.geom_type == "LineString":
        return line
    merged = line.merged
    return merged if merged.geom_type == "LineString" else LineString([c for part in line for c in part.coords])


def _along(geom: GEOSGeometry, share: float) -> Point:
    """The point `share` (0–1) of the way along a street's line, measured in metres."""
    lat0 = geom.centroid.y
    line = _one_line(_metric(geom, lat0))
    at = line.interpolate(max(0.0, min(1.0, share)) * line.length)
    sx, sy = _scale(lat0)
    return Point(at.x / sx, at.y / sy, srid=4326)


def reverse_radius_m() -> float:
    return float(getattr(settings, "GAZETTEER_REVERSE_M", 50))


def gazetteer_reverse(*, point: Point, within_m: float | None = None) -> Found | None:
    """The address at `point`: the nearest building or place with a door address within
    `within_m` metres; else the door number along the nearest street with a number range
    (its share of the way along the line, rounded to the street's parity); else the nearest
    street's name or place's name; None when nothing is that close."""
    within_m = reverse_radius_m() if within_m is None else within_m
    sx, sy = _scale(point.y)
    dx, dy = within_m / sx, within_m / sy
    box = Polygon.from_bbox((point.x - dx, point.y - dy, point.x + dx, point.y + dy))
    box.srid = 4326
    here = _metric(point, point.y)
    near = []
    for entry in Entry.objects.filter(geometry__intersects=box):
        distance = _metric(entry.geometry, point.y).distance(here)
        if distance <= within_m:
            near.append((distance, entry))
    if not near:
        return None
    near.sort(key=lambda pair: (pair[0], pair[1].code))
    addressed = [(d, e) for d, e in near if e.kind != EntryKind.STREET and e.street and e.number]
    if addressed:
        distance, entry = addressed[0]
        return _found(entry, distance_m=round(distance, 1))
    streets = [(d, e) for d, e in near if e.kind == EntryKind.STREET and e.number_from is not None]
    if streets:
        distance, entry = streets[0]
        line = _one_line(_metric(entry.geometry, point.y))
        share = line.project(here) / line.length if line.length else 0.0
        number = _door_number(entry, share)
        street = entry.street or entry.name
        address = f"{street}{number}号"
        return Found("door", entry.code, address, address, point.x, point.y, round(distance, 1))
    distance, entry = near[0]
    return _found(entry, distance_m=round(distance, 1))


def _door_number(entry: Entry, share: float) -> int:
    first, last = entry.number_from, entry.number_to
    number = round(first + share * (last - first))
    if entry.parity == Parity.ODD and number % 2 == 0 or entry.parity == Parity.EVEN and number % 2 == 1:
        number = number + 1 if number + 1 <= last else number - 1
    return max(first, min(last, number))
