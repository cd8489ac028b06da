import datetime
import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.roles import Role
from grids.models import Level
from tests.grids.factories import GridFactory, build_tree, square

pytestmark = pytest.mark.django_db

ABSOLUTE_URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user("dispatcher", Role.DISPATCHER))
    return client


def json_script(response, element_id: str) -> dict:
    pattern = rf'<script id="{element_id}" type="application/json">(.*?)</script>'
    return json.loads(re.search(pattern, response.content.decode(), re.S).group(1))


def map_config(response) -> dict:
    return json_script(response, "map-config")


def test_it_redirects_anonymous_users_from_the_map_to_login(client):
    url = reverse("grids:map")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_it_renders_the_map_with_local_leaflet(operator):
    build_tree()
    response = operator.get(reverse("grids:map"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'src="/static/leaflet/leaflet.js"' in body
    assert 'href="/static/leaflet/leaflet.css"' in body
    assert 'src="/static/js/grid-map.js"' in body
    assert "网格地图" in body


@override_settings(LEAFLET_CONFIG={"TILES": []})
def test_it_loads_nothing_from_the_internet_without_tiles(operator):
    body = operator.get(reverse("grids:map")).content.decode()
    assert ABSOLUTE_URL.findall(body) == []
    assert "no-tiles" in body


def test_it_loads_only_the_configured_tiles_from_elsewhere(operator):
    tiles = [("本地瓦片", "http://tiles.intranet/{z}/{x}/{y}.png", {"maxZoom": 19})]
    with override_settings(LEAFLET_CONFIG={"TILES": tiles}):
        response = operator.get(reverse("grids:map"))
    assert set(ABSOLUTE_URL.findall(response.content.decode())) == {"http://tiles.intranet/{z}/{x}/{y}.png"}
    assert map_config(response)["tiles"] == [
        {"name": "本地瓦片", "url": "http://tiles.intranet/{z}/{x}/{y}.png", "options": {"maxZoom": 19}}
    ]


def test_it_passes_the_api_urls_and_translated_levels(operator):
    config = map_config(operator.get(reverse("grids:map")))
    assert config["featuresUrl"] == reverse("grids_api:features")
    assert config["detailUrl"] == reverse("grids_api:detail", args=[0]).replace("/0/", "/{id}/")
    assert [level["label"] for level in config["levels"]] == ["区/街道", "大网格", "社区网格", "微网格"]


def test_it_opens_inside_the_district_when_it_is_the_only_root(operator):
    grids = build_tree()
    assert map_config(operator.get(reverse("grids:map")))["startParent"] == grids["district"].pk


def test_it_opens_at_the_top_when_there_are_several_roots(operator):
    GridFactory(level=Level.LARGE, code="L1", boundary=square(118.60, 34.90, 0.02))
    GridFactory(level=Level.LARGE, code="L2", boundary=square(118.62, 34.90, 0.02))
    assert map_config(operator.get(reverse("grids:map")))["startParent"] is None


def test_it_ignores_an_expired_district_when_choosing_where_to_open(operator):
    grids = build_tree()
    GridFactory(level=Level.DISTRICT, code="D0", valid_to=datetime.date(2001, 1, 1))
    assert map_config(operator.get(reverse("grids:map")))["startParent"] == grids["district"].pk


def test_it_translates_the_map_strings(operator):
    strings = json_script(operator.get(reverse("grids:map")), "map-strings")
    assert strings["drillDown"] == "进入下级"
    assert strings["allGrids"] == "全部网格"


def test_it_shows_the_map_in_english(operator):
    operator.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = operator.get(reverse("grids:map"))
    assert json_script(response, "map-strings")["drillDown"] == "Show lower level"
    assert [level["label"] for level in map_config(response)["levels"]][-1] == "Micro grid"
