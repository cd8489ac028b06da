"""Every page with a map describes it the same way (grids.maps.map_config) and loads the
shared map script (static/js/map-base.js) before its own."""

import json
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.cases import conftest as cases_conftest

city, report = cases_conftest.city, cases_conftest.report  # the lifecycle tests' fixtures, here too

pytestmark = pytest.mark.django_db

TILES = [("本地瓦片", "http://tiles.intranet/{z}/{x}/{y}.png", {"maxZoom": 18})]
LEAFLET = {"DEFAULT_CENTER": (30.5, 120.1), "DEFAULT_ZOOM": 11, "MIN_ZOOM": 5, "MAX_ZOOM": 18, "TILES": TILES}
VIEW = {
    "center": [30.5, 120.1],
    "zoom": 11,
    "minZoom": 5,
    "maxZoom": 18,
    "tiles": [{"name": "本地瓦片", "url": "http://tiles.intranet/{z}/{x}/{y}.png", "options": {"maxZoom": 18}}],
}
GRIDS_API = {
    "featuresUrl": "/api/grids/features/",
    "locateUrl": "/api/grids/locate/",
    "detailUrl": "/api/grids/{id}/",
}


def map_page(client, user, url: str) -> tuple[dict, str]:
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    found = re.search(r'<script id="map-config" type="application/json">(.*?)</script>', body, re.S)
    return json.loads(found.group(1)), body


def staff_pages(city, case) -> list[tuple]:
    return [
        (city["dispatcher"], reverse("grids:map"), "grid-map.js"),
        (city["clerk"], reverse("cases:new"), "case-intake.js"),
        (city["dispatcher"], reverse("cases:detail", args=[case.pk]), "case-map.js"),
        (city["supervisor"], reverse("assessments:dashboard"), "assessments.js"),
    ]


@override_settings(LEAFLET_CONFIG=LEAFLET)
def test_it_gives_every_map_the_same_view_tiles_levels_and_grids_api(client, city, report):
    pages = [*staff_pages(city, report()), (None, reverse("citizens:report"), "citizen-report.js")]
    levels = None
    for user, url, script in pages:
        config, body = map_page(client, user, url)
        assert {key: config[key] for key in VIEW} == VIEW, url
        assert [level["value"] for level in config["levels"]] == ["district", "large", "community", "micro"]
        levels = levels or config["levels"]
        assert config["levels"] == levels, url
        # Leaflet, then the shared set-up, then the page's own script.
        order = [body.index(f"/static/{name}") for name in ("leaflet/leaflet.js", "js/map-base.js", f"js/{script}")]
        assert order == sorted(order), url


def test_it_names_the_grids_api_to_staff_pages_only(client, city, report):
    for user, url, _script in staff_pages(city, report()):
        config, _body = map_page(client, user, url)
        assert {key: config[key] for key in GRIDS_API} == GRIDS_API, url
    public, _body = map_page(client, None, reverse("citizens:report"))
    assert not set(GRIDS_API) & set(public)
    assert public["outline"]["type"] in ("Polygon", "MultiPolygon")
