"""Metric helpers: areas on the ellipsoid and buffers in metres."""

import math

import pytest
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Point

from grids.geo import area_m2, buffer_m
from tests.grids.factories import rect, square


def equal_area_reference(geom):
    """The same area through an equal-area projection (slower, independent)."""
    centre = geom.centroid
    laea = SpatialReference(f"+proj=laea +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m")
    projected = geom.clone()
    projected.transform(CoordTransform(SpatialReference(4326), laea))
    return projected.area


@pytest.mark.parametrize(
    "shape",
    [
        square(118.60, 34.90, 0.003),  # a micro grid, ~300 m
        rect(118.55, 34.85, 0.2, 0.15),  # a county seat
        rect(121.0, 30.7, 1.0, 1.0),  # a whole megacity, one degree tall
        square(126.5, 45.7, 0.01),  # far north (Harbin)
        square(109.5, 18.2, 0.01),  # far south (Sanya)
    ],
)
def test_it_measures_areas_like_an_equal_area_projection(shape):
    assert area_m2(shape) == pytest.approx(equal_area_reference(shape), rel=1e-4)


def test_it_knows_a_square_degree_at_the_equator():
    # 110,574 m × 111,320 m at the equator (WGS84)
    assert area_m2(square(0, -0.5, 1.0)) == pytest.approx(110_574 * 111_320, rel=5e-4)


def test_it_buffers_in_metres():
    zone = buffer_m(Point(118.6, 34.9, srid=4326), 100)
    sixteen_gon = 0.5 * 16 * 100**2 * math.sin(2 * math.pi / 16)  # quadsegs=4: 16 sides, 2.5 % under the circle
    assert area_m2(zone) == pytest.approx(sixteen_gon, rel=1e-3)
    assert zone.contains(Point(118.6 + 90 / 91_300, 34.9, srid=4326))
    assert not zone.contains(Point(118.6 + 110 / 91_300, 34.9, srid=4326))
