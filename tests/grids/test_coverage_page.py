"""The admin's coverage page: overlaps and gaps between sibling grids, on a map and in a table."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from tests.grids.factories import GridFactory, build_tree, rect, square

pytestmark = pytest.mark.django_db
URL = reverse("admin:grids_grid_coverage")


@pytest.fixture
def admin_client_en(admin_client):
    admin_client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield admin_client


@pytest.fixture
def flawed():
    """C1's children: M2 overlapped by M3, M1 shrunk (a strip of C1 uncovered), and a retired
    M4 lying right over M1 (left out)."""
    tree = build_tree()
    GridFactory(code="M3", level="micro", parent=tree["community"], boundary=square(118.618, 34.90, 0.002))
    GridFactory(
        code="M4",
        level="micro",
        parent=tree["community"],
        boundary=square(118.60, 34.90, 0.01),
        valid_to=datetime.date(2020, 1, 1),
    )
    tree["a"].boundary = rect(118.60, 34.90, 0.01, 0.009)
    tree["a"].save()
    return tree


def test_it_shows_overlaps_and_gaps_on_a_map_and_in_a_table(admin_client_en, flawed):
    response = admin_client_en.get(URL, {"parent": "C1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 problems (slivers under 1 m² ignored)" in page
    assert ">M2 测试网格" in page and "M3 测试网格" in page and "M4 测试网格" not in page  # the retired M4 is left out
    features = response.context["coverage"]["features"]
    kinds = sorted(feature["properties"]["kind"] for feature in features)
    assert kinds == ["gap", "overlap", "parent"]
    overlap = next(f for f in features if f["properties"]["kind"] == "overlap")
    assert overlap["properties"]["grids"] == ["M2", "M3"] and overlap["geometry"]["type"] == "Polygon"
    assert 'id="coverage-data"' in page and "js/grid-coverage.js" in page
    assert "<script>" not in page  # no inline script: data in json_script, code in static/js


def test_it_says_so_when_the_grids_tile_their_parents(admin_client_en):
    build_tree()
    page = admin_client_en.get(URL, {"parent": "C1"}).content.decode()
    assert "No overlaps or gaps" in page


def test_it_speaks_chinese_by_default(admin_client, flawed):
    page = admin_client.get(URL, {"parent": "C1"}).content.decode()
    assert "重叠" in page and "缺口" in page


def test_a_user_without_the_grid_permission_is_refused(client, make_user, flawed):
    client.force_login(make_user("clerk", Role.INTAKE_CLERK, is_staff=True))
    assert client.get(URL).status_code in (302, 403)


def test_the_system_administrator_may_see_it(client, make_user, flawed):
    from accounts.services import roles_sync

    roles_sync()
    client.force_login(make_user("sys", Role.SYSTEM_ADMIN, is_staff=True))
    assert client.get(URL, {"parent": "C1"}).status_code == 200
