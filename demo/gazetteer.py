"""The demo county's gazetteer (地名地址): its roads with door numbers, a street through each
community named after it (兴隆社区 → 兴隆路), its compounds (家属院, 小区) as buildings and its shops
as places with the door number in front of them, as the GeoJSON gazetteer.services imports.
Pure functions of the county's GeoJSON (demo.territory), no database."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPolygon, Point, Polygon

from demo.names import ROADS_EAST_WEST
from demo.territory import CENTRE

DOORS_PER_SEGMENT = 40  # a road's ~300 m segment carries 40 door numbers
DOORS_PER_COMMUNITY_STREET = 120
SHOP_REACH_M = 120.0  # a shop takes its door number from a street this near
M_PER_DEG_LAT = 110_950.0


def _geom(geometry: dict) -> GEOSGeometry:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return Point(*coords, srid=4326)
    if kind == "LineString":
        return LineString(coords, srid=4326)
    if kind == "Polygon":
        return Polygon(*coords, srid=4326)
    if kind == "MultiPolygon":
        return MultiPolygon([Polygon(*rings) for rings in coords], srid=4326)
    raise ValueError(kind)


def _coords(geom: GEOSGeometry) -> list:
    def rounded(value):
        return [rounded(v) for v in value] if isinstance(value, list | tuple) else round(value, 7)

    return rounded(geom.coords)


def _metres(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), M_PER_DEG_LAT


def _feature(code: str, kind: str, name: str, geom: GEOSGeometry, **props) -> dict:
    geometry = {"type": geom.geom_type, "coordinates": _coords(geom)}
    return {"type": "Feature", "properties": {"code": code, "kind": kind, "name": name, **props}, "geometry": geometry}


def build_demo_gazetteer(county_geojson: dict[str, Any]) -> dict[str, Any]:
    features = county_geojson["features"]
    streets: list[tuple[str, LineString, int, int]] = []  # name, line, first, last door

    # The roads: their segments in order along the road (west→east, north→south), 40 doors each.
    segments: dict[str, list[tuple[float, GEOSGeometry]]] = defaultdict(list)
    for feature in features:
        props = feature["properties"]
        if props.get("kind") != "street":
            continue
        road = re.sub(r"\(.*\)$", "", props["name"])
        line = _geom(feature["geometry"])
        start = line.coords[0]
        segments[road].append((start[0] if road in ROADS_EAST_WEST else -start[1], line))
    out = []
    for road, parts in sorted(segments.items()):
        for k, (_key, line) in enumerate(sorted(parts, key=lambda part: part[0])):
            first, last = k * DOORS_PER_SEGMENT + 1, (k + 1) * DOORS_PER_SEGMENT
            streets.append((road, line, first, last))
            out.append(_feature(f"GZ-{road}-{k + 1:02d}", "street", road, line, number_from=first, number_to=last))

    # A street through each community, named after it, unless a road has that name already.
    for feature in features:
        props = feature["properties"]
        if props.get("level") != "community":
            continue
        name = props["name"].removesuffix("社区") + "路"
        if name in segments:
            continue
        area = _geom(feature["geometry"])
        minx, _miny, maxx, _maxy = area.extent
        y = area.point_on_surface.y
        crossing = LineString([(minx - 0.001, y), (maxx + 0.001, y)], srid=4326).intersection(area)
        if crossing.geom_type == "MultiLineString":
            crossing = max(crossing, key=lambda part: part.length)
        if crossing.geom_type != "LineString" or crossing.empty:
            continue
        crossing.srid = 4326
        streets.append((name, crossing, 1, DOORS_PER_COMMUNITY_STREET))
        out.append(
            _feature(
                f"GZ-{props['code']}", "street", name, crossing, number_from=1, number_to=DOORS_PER_COMMUNITY_STREET
            )
        )

    # Compounds (lanes drawn as polygons) as buildings; shops as places with their door number.
    for feature in features:
        props = feature["properties"]
        if props.get("kind") == "lane" and feature["geometry"]["type"] == "Polygon":
            centre = _geom(feature["geometry"]).point_on_surface
            out.append(_feature(f"GZ-{props['code']}", "building", props["name"], centre))
        elif props.get("kind") == "shop":
            point = _geom(feature["geometry"])
            door = _door(point, streets)
            extra = {"street": door[0], "number": str(door[1])} if door else {}
            out.append(_feature(f"GZ-{props['code']}", "poi", props["name"], point, **extra))
    _PREPARED.clear()
    return {"type": "FeatureCollection", "features": out}


def _door(point: Point, streets: list[tuple[str, LineString, int, int]]) -> tuple[str, int] | None:
    """The street nearest `point` (within SHOP_REACH_M) and the door number there."""
    prepared = _prepared(streets, CENTRE[1])
    sx, sy, lines = prepared
    here = Point(point.x * sx, point.y * sy)
    best = None
    for name, metric, (minx, miny, maxx, maxy), first, last in lines:
        if not (
            minx - SHOP_REACH_M <= here.x <= maxx + SHOP_REACH_M
            and miny - SHOP_REACH_M <= here.y <= maxy + SHOP_REACH_M
        ):
            continue
        distance = metric.distance(here)
        if distance <= SHOP_REACH_M and (best is None or distance < best[0]):
            share = metric.project(here) / metric.length if metric.length else 0.0
            best = (distance, name, round(first + share * (last - first)))
    return (best[1], best[2]) if best else None


_PREPARED: dict[int, tuple] = {}


def _prepared(streets: list[tuple[str, LineString, int, int]], lat: float) -> tuple:
    """The streets in metres on the county's plane (one scale for the whole county: a few cm off
    at its edges) with their extents, made once per list of streets (GEOS calls are slow)."""
    key = id(streets)
    if key not in _PREPARED:
        _PREPARED.clear()
        sx, sy = _metres(lat)
        lines = []
        for name, line, first, last in streets:
            coords = [(x * sx, y * sy) for x, y in line.coords]
            xs, ys = [c[0] for c in coords], [c[1] for c in coords]
            lines.append((name, LineString(coords), (min(xs), min(ys), max(xs), max(ys)), first, last))
        _PREPARED[key] = (sx, sy, lines)
    return _PREPARED[key]
