"""Point → micro grid, and who answers at a point."""

import datetime

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import translation

from grids.models import RESPONSIBLE_ROLES, Level, PlaceKind, ResponsibleRole
from grids.selectors import grid_at_point, grid_subtree, responsible_at_point
from tests.grids.factories import PersonFactory, PlaceFactory, build_tree

pytestmark = pytest.mark.django_db


def pt(x, y):
    return Point(x, y, srid=4326)


def test_it_finds_the_micro_grid_and_its_ancestors():
    tree = build_tree()
    where = grid_at_point(point=pt(118.605, 34.905))
    assert where.inside
    assert where.micro == tree["a"]
    assert where.community == tree["community"]
    assert where.large == tree["large"]
    assert where.district == tree["district"]
    assert [g.code for g in where.chain] == ["M1", "C1", "L1", "D1"]


def test_it_loads_the_ancestors_in_one_query(django_assert_num_queries):
    build_tree()
    with django_assert_num_queries(1):
        where = grid_at_point(point=pt(118.615, 34.905))
        assert [g.code for g in where.chain] == ["M2", "C1", "L1", "D1"]
        assert where.micro.chief.name == "M2长"


def test_it_maps_a_point_on_a_shared_edge_to_exactly_one_grid():
    tree = build_tree()
    # x = 118.61 is the edge between M1 and M2: the smaller code wins, every time.
    for y in (34.901, 34.905, 34.9099):
        assert grid_at_point(point=pt(118.61, y)).micro == tree["a"]
    # the corner shared by both and the outside
    assert grid_at_point(point=pt(118.61, 34.90)).micro == tree["a"]


def test_it_returns_a_clear_outside_result():
    build_tree()
    where = grid_at_point(point=pt(120.0, 30.0))
    assert not where.inside
    assert where.micro is None
    assert where.chain == []
    assert where.community is None
    # inside the district and large grid but in no micro grid
    assert not grid_at_point(point=pt(118.625, 34.925)).inside


def test_it_ignores_grids_no_longer_valid():
    tree = build_tree()
    tree["a"].valid_to = datetime.date(2020, 12, 31)
    tree["a"].save()
    assert not grid_at_point(point=pt(118.605, 34.905)).inside
    assert grid_at_point(point=pt(118.605, 34.905), on=datetime.date(2020, 6, 1)).micro == tree["a"]


def test_it_accepts_a_point_without_srid():
    tree = build_tree()
    assert grid_at_point(point=Point(118.605, 34.905)).micro == tree["a"]


def test_it_names_the_shop_chief_at_the_frontage_before_street_and_grid():
    tree = build_tree()
    shop_chief, street_chief = PersonFactory(name="店长"), PersonFactory(name="街长")
    street = LineString((118.601, 34.905), (118.609, 34.905), srid=4326)
    PlaceFactory(kind=PlaceKind.STREET, micro_grid=tree["a"], geometry=street, reach_m=15, chief=street_chief)
    PlaceFactory(kind=PlaceKind.SHOP, micro_grid=tree["a"], geometry=pt(118.605, 34.9051), reach_m=10, chief=shop_chief)

    at_shop = responsible_at_point(point=pt(118.605, 34.90505))
    assert (at_shop.person, at_shop.role) == (shop_chief, "shop_chief")
    # 200 m along the street from the shop: the street chief
    on_street = responsible_at_point(point=pt(118.6028, 34.905))
    assert (on_street.person, on_street.role) == (street_chief, "street_chief")
    # away from any place: the micro-grid chief
    elsewhere = responsible_at_point(point=pt(118.605, 34.908))
    assert (elsewhere.person, elsewhere.role, elsewhere.grid) == (tree["a"].chief, "micro_chief", tree["a"])


def test_it_prefers_a_lane_to_a_street():
    tree = build_tree()
    lane_chief, street_chief = PersonFactory(name="巷长"), PersonFactory(name="街长")
    line = LineString((118.601, 34.905), (118.609, 34.905), srid=4326)
    PlaceFactory(kind=PlaceKind.STREET, micro_grid=tree["a"], geometry=line, reach_m=15, chief=street_chief)
    PlaceFactory(kind=PlaceKind.LANE, micro_grid=tree["a"], geometry=line, reach_m=8, chief=lane_chief)
    assert responsible_at_point(point=pt(118.605, 34.905)).person == lane_chief


def test_it_walks_up_the_tree_when_a_level_has_nobody():
    tree = build_tree()
    PlaceFactory(kind=PlaceKind.SHOP, micro_grid=tree["a"], geometry=pt(118.605, 34.905), chief=None)
    for key in ("a", "community"):
        tree[key].chief = None
        tree[key].save()
    found = responsible_at_point(point=pt(118.605, 34.905))
    assert (found.person, found.role, found.grid) == (tree["large"].chief, "large_chief", tree["large"])

    tree["large"].chief = None
    tree["large"].save()
    assert responsible_at_point(point=pt(118.605, 34.905)).role == "district_chief"


def test_it_has_a_labelled_role_for_every_place_kind_and_grid_level():
    roles = [ResponsibleRole.of_place(kind) for kind in PlaceKind] + [ResponsibleRole.of_grid(lv) for lv in Level]
    roles.append(ResponsibleRole.SEGMENT_MANAGER)  # 路长制: the city manager of a road segment
    assert sorted(roles) == sorted(ResponsibleRole)
    with translation.override("zh-hans"):
        assert str(RESPONSIBLE_ROLES["shop_chief"]) == "店长"
        assert str(RESPONSIBLE_ROLES[ResponsibleRole.of_grid(Level.MICRO)]) == "微网格长"


def test_it_answers_none_outside_or_when_nobody_is_assigned():
    build_tree(chiefs=False)
    assert responsible_at_point(point=pt(120.0, 30.0)) is None
    assert responsible_at_point(point=pt(118.605, 34.905)) is None


def test_it_lists_a_grid_subtree():
    tree = build_tree()
    assert set(grid_subtree(grid=tree["large"]).values_list("code", flat=True)) == {"L1", "C1", "M1", "M2"}
    assert set(grid_subtree(grid=tree["district"], level=Level.MICRO).values_list("code", flat=True)) == {"M1", "M2"}
    assert list(grid_subtree(grid=tree["a"]).values_list("code", flat=True)) == ["M1"]
