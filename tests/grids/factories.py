"""Factories for the territory. Boundaries are axis-aligned squares in degrees
near the demo county, so tests can reason about which point is where."""

import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from grids.geo import area_m2
from grids.models import Grid, Level, Person, Place, PlaceKind
from grids.services import place_reach

ORIGIN = (118.60, 34.90)


def rect(x0: float, y0: float, width: float, height: float) -> MultiPolygon:
    ring = ((x0, y0), (x0 + width, y0), (x0 + width, y0 + height), (x0, y0 + height), (x0, y0))
    return MultiPolygon(Polygon(ring), srid=4326)


def square(x0: float, y0: float, size: float) -> MultiPolygon:
    return rect(x0, y0, size, size)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"测试网格{n}")
    level = Level.MICRO
    boundary = factory.LazyFunction(lambda: square(*ORIGIN, 0.01))
    area_m2 = factory.LazyAttribute(lambda grid: area_m2(grid.boundary))


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    kind = PlaceKind.SHOP
    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"测试地点{n}")
    geometry = factory.LazyFunction(lambda: Point(*ORIGIN, srid=4326))
    reach_m = 10.0
    reach = factory.LazyAttribute(lambda place: place_reach(geometry=place.geometry, reach_m=place.reach_m))


def build_tree(*, chiefs: bool = True) -> dict[str, Grid]:
    """A district with one large grid, one community grid and two micro grids side by side:

    micro A: x 118.60–118.61, micro B: x 118.61–118.62 (shared edge at x=118.61),
    y 34.90–34.91 for both; the community grid is exactly their union,
    the large grid and the district are bigger squares around it.
    """
    district = GridFactory(level=Level.DISTRICT, code="D1", boundary=square(118.59, 34.89, 0.04))
    large = GridFactory(level=Level.LARGE, code="L1", parent=district, boundary=square(118.595, 34.895, 0.03))
    community = GridFactory(level=Level.COMMUNITY, code="C1", parent=large, boundary=rect(118.60, 34.90, 0.02, 0.01))
    micro_a = GridFactory(level=Level.MICRO, code="M1", parent=community, boundary=square(118.60, 34.90, 0.01))
    micro_b = GridFactory(level=Level.MICRO, code="M2", parent=community, boundary=square(118.61, 34.90, 0.01))
    grids = {"district": district, "large": large, "community": community, "a": micro_a, "b": micro_b}
    if chiefs:
        for grid in grids.values():
            grid.chief = PersonFactory(name=f"{grid.code}长")
            grid.save(update_fields=["chief"])
    return grids
