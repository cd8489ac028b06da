"""Every page with a map describes it the same way (grids.maps.map_config) and loads the
shared map script (static/js/map-base.js) before its own."""

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from grids.maps import bbox_parse
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


# ---- a map's view: the bbox query parameter (grids.maps.bbox_parse) ---------------------

FOUR_NUMBERS = "Four numbers: min lon, min lat, max lon, max lat."


def refusal(value: str, **options) -> list[str]:
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            bbox_parse(value, **options)
        return [str(message) for message in refused.value.messages]


@pytest.mark.django_db(False)
def test_a_view_is_four_numbers_in_order():
    assert bbox_parse("118.60,34.90,118.61,34.91") == (118.60, 34.90, 118.61, 34.91)
    assert bbox_parse(" 118.6 , 34.9 ,118.6,34.9") == (118.6, 34.9, 118.6, 34.9)  # a point is a view
    assert bbox_parse("-180,-90,-179.5,-89.5") == (-180, -90, -179.5, -89.5)  # the edges of the earth


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "value", ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "118.6;34.9;118.7;35", "nan,0,1,1", "0,0,inf,1", "1e999,0,1,1"]
)
def test_a_view_that_is_not_four_finite_numbers_is_refused(value):
    assert refusal(value) == [FOUR_NUMBERS]


@pytest.mark.django_db(False)
@pytest.mark.parametrize("value", ["118.61,34.90,118.60,34.91", "118.60,34.91,118.61,34.90"])
def test_a_view_whose_minimum_is_above_its_maximum_is_refused(value):
    assert refusal(value) == [FOUR_NUMBERS]


@pytest.mark.django_db(False)
@pytest.mark.parametrize(
    "value, message",
    [
        ("-180.5,0,-180,0.5", "The longitude must be between -180 and 180."),
        ("179.9,0,180.1,0.1", "The longitude must be between -180 and 180."),
        ("0,-90.2,0.1,-90.1", "The latitude must be between -90 and 90."),
        ("0,89.9,0.1,90.1", "The latitude must be between -90 and 90."),
    ],
)
def test_a_view_off_the_earth_is_refused(value, message):
    assert refusal(value) == [message]


@pytest.mark.django_db(False)
def test_a_view_larger_than_allowed_is_refused():
    assert refusal("100,20,102,21") == ["The view is too large: zoom in."]  # 2 square degrees, 1 allowed
    assert bbox_parse("100,20,102,21", max_area=25) == (100, 20, 102, 21)
    assert refusal("100,20,110,30", max_area=25) == ["The view is too large: zoom in."]


def test_the_apis_that_take_a_view_refuse_it_alike(client, city):
    client.force_login(city["dispatcher"])
    for url in ("/api/assets/features/", "/api/grids/places/", "/api/cases/map/"):
        answer = client.get(url, {"bbox": "179.9,0,180.1,0.1"}, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 400, url
        assert answer.json()["error"]["fields"] == {"bbox": ["The longitude must be between -180 and 180."]}, url
