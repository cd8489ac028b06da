"""Metric geometry helpers for WGS84 shapes (areas in m², buffers in metres).

Buffers go through a Lambert azimuthal equal-area projection centred near the
shape (distances within 0.01 % over a county; transforms cached per whole
degree). Areas use the ellipsoid's local scale, which needs no transform.
"""

from __future__ import annotations

import math
from functools import lru_cache

from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

WGS84 = 4326
_A = 6378137.0  # WGS84 semi-major axis, m
_E2 = 6.69437999014e-3  # WGS84 first eccentricity squared


@lru_cache(maxsize=256)
def _transforms(lon: int, lat: int) -> tuple[CoordTransform, CoordTransform]:
    local = SpatialReference(f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")
    wgs84 = SpatialReference(WGS84)
    return CoordTransform(wgs84, local), CoordTransform(local, wgs84)


def _to_metric(geom: GEOSGeometry) -> tuple[GEOSGeometry, CoordTransform]:
    centre = geom.centroid if not geom.empty else geom
    forward, back = _transforms(round(centre.x), round(centre.y))
    metric = geom.clone()
    metric.srid = WGS84
    metric.transform(forward)
    return metric, back


def area_m2(geom: GEOSGeometry) -> float:
    """Area on the WGS84 ellipsoid, in m².

    The area in square degrees times the size of one square degree at the
    shape's centroid (meridional × parallel radius of curvature). Over a shape
    a degree tall the error stays below 1e-4 (a micro grid's, below 1e-8), and it costs two GEOS calls instead
    of a coordinate transform: 40,000 grids import seconds faster.
    """
    if geom.empty:
        return 0.0
    phi = math.radians(geom.centroid.y)
    sin2 = math.sin(phi) ** 2
    meridional = _A * (1 - _E2) / (1 - _E2 * sin2) ** 1.5  # M(φ)
    normal = _A / math.sqrt(1 - _E2 * sin2)  # N(φ)
    square_degree = (math.pi / 180) ** 2 * meridional * normal * math.cos(phi)
    return geom.area * square_degree


def buffer_m(geom: GEOSGeometry, metres: float) -> Polygon:
    """The area within `metres` of `geom`, as one WGS84 polygon."""
    metric, back = _to_metric(geom)
    zone = metric.buffer(metres, quadsegs=4)
    zone.transform(back)
    zone.srid = WGS84
    if isinstance(zone, MultiPolygon):  # buffer of a multi-part shape: keep its hull in one piece
        zone = zone.convex_hull
    return zone


def as_multipolygon(geom: GEOSGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        result = MultiPolygon(geom)
        result.srid = geom.srid or WGS84
        return result
    raise TypeError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
