"""Malformed input on the public endpoints and the API's filters answers 400 (or the page's own
"not found" / form error), never 500 (issue 11, item 9): impossible and out-of-range dates, NUL
bytes (which PostgreSQL refuses in any text) and overlong values. Runs on both databases."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from cases.models import Case, Source
from open311.services import api_key_create
from tests.citizens.conftest import upload
from tests.open311.test_api import GARBAGE
from tests.security.conftest import IN_M1

pytestmark = pytest.mark.django_db

NUL = "\x00"
BAD_DATES = ["2026-13-45", "9999-12-31T23:59:59", "0001-01-01", "2026-11-01T00:00:00+99:00", "2026-02-30",
             "99999-01-01", "2026-11-01T25:61:00", NUL, "2026-11-01" + NUL, "x" * 5000]  # fmt: skip
LONG = "A" * 20_000

PUBLIC_GETS = [
    "/citizen/track/%00/",
    "/citizen/track/%00.json",
    "/citizen/receipt/%00/",
    "/citizen/track/?code=%00",
    f"/citizen/track/{LONG[:3000]}/",
    f"/citizen/track/{LONG[:3000]}.json",
    f"/citizen/track/?code={LONG}",
    "/citizen/?lat=%00",
    "/open311/v2/tokens/%00.json",
    "/open311/v2/tokens/%00.xml",
    "/open311/v2/requests/%00.json",
    "/open311/v2/requests/%00.xml",
    "/open311/v2/services/%00.json",
    "/open311/v2/requests.json?service_request_id=%00",
    "/open311/v2/requests.json?service_code=%00",
    "/open311/v2/requests.json?status=%00",
    "/open311/v2/requests.json?jurisdiction_id=%00",
    f"/open311/v2/requests.json?service_request_id={','.join(['202611180001'] * 5000)}",
    f"/open311/v2/requests/{LONG[:3000]}.json",
    f"/open311/v2/tokens/{LONG[:3000]}.json",
    f"/open311/v2/requests.json?service_code={LONG}",
]


def get_is_not_500(client, url: str, allowed=(400, 404)):
    response = client.get(url)
    assert response.status_code in allowed, (url[:120], response.status_code, response.content[:300])
    return response


@pytest.mark.parametrize("url", PUBLIC_GETS, ids=range(len(PUBLIC_GETS)))
def test_public_pages_answer_malformed_urls_without_500(client, city, url):
    """400 for a NUL; an unknown code is "not found" (404), a form says what is wrong (200)."""
    response = get_is_not_500(client, url, allowed=(400, 404) if "%00" in url else (200, 400, 404))
    if "%00" in url:
        assert response.status_code == 400


@pytest.mark.parametrize("value", BAD_DATES, ids=range(len(BAD_DATES)))
@pytest.mark.parametrize("name", ["start_date", "end_date", "updated_after", "updated_before"])
def test_open311_answers_malformed_dates_with_400_in_its_error_format(client, city, name, value):
    response = get_is_not_500(client, f"/open311/v2/requests.json?{name}={quote(value)}", allowed=(400,))
    assert response.json()[0]["code"] == 400 and response.json()[0]["description"]


def test_open311_nul_in_a_path_answers_its_own_error_format(client, city):
    response = client.get("/open311/v2/requests/%00.xml")
    assert response.status_code == 400 and b"<errors>" in response.content
    assert client.get("/open311/v2/tokens/%00.json").json()[0]["code"] == 400


@pytest.fixture
def key(city):
    return api_key_create(name="12345 热线系统", source=Source.HOTLINE)[1]


OPEN311_BAD_POSTS = [
    {"description": "垃圾" + NUL},
    {"first_name": NUL},
    {"last_name": "张" * 500},
    {"phone": "138" + NUL},
    {"phone": "1" * 500},
    {"email": "a" + NUL + "@example.com"},
    {"email": "a" * 300 + "@example.com"},
    {"address_string": "人民路" * 200},
    {"address_string": NUL},
    {"service_code": NUL},
    {"service_code": LONG},
    {"lat": "nan"},
    {"long": "inf"},
    {"lat": NUL},
    {"media_url": "https://example.com/" + "a" * 600},
    {"media_url": "https://example.com/" + NUL},
    {"attribute[urgency]": NUL},
    {"attribute[colour]": "red" + NUL},
    {"device_id": NUL},
    {"account_id": "x" * 500},
    {"api_key": NUL},
    {"jurisdiction_id": NUL},
]


@pytest.mark.parametrize("fields", OPEN311_BAD_POSTS, ids=range(len(OPEN311_BAD_POSTS)))
def test_open311_posts_with_malformed_fields_answer_400_or_are_cleaned(client, key, fields):
    data = {"api_key": key, "service_code": GARBAGE, "lat": str(IN_M1.y), "long": str(IN_M1.x),
            "description": "人行道上有一堆垃圾", **fields}  # fmt: skip
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code in (200, 400, 403, 404), (fields, response.status_code, response.content[:300])
    if response.status_code == 200:  # taken in: nothing overlong or with NUL was stored
        case = Case.objects.get(tracking_number=response.json()[0]["service_request_id"])
        for value in (case.description, case.address, case.reporter_name, case.reporter_phone):
            assert NUL not in value


CITIZEN_BAD_POSTS = [
    {"description": "垃圾" + NUL},
    {"description": LONG},
    {"phone": "138" + NUL},
    {"lat": "nan"},
    {"lng": "inf"},
    {"lat": NUL},
    {"category": NUL},
    {"request_id": NUL},
    {"request_id": LONG},
]


@pytest.mark.parametrize("fields", CITIZEN_BAD_POSTS, ids=range(len(CITIZEN_BAD_POSTS)))
def test_citizen_reports_with_malformed_fields_are_refused_with_a_message(client, city, fields):
    data = {"photo": upload(), "category": "sanitation", "description": "路边垃圾", "phone": "",
            "lat": str(IN_M1.y), "lng": str(IN_M1.x), "request_id": str(uuid.uuid4()), **fields}  # fmt: skip
    response = client.post("/citizen/", data)
    assert response.status_code in (200, 400), (fields, response.status_code)
    assert Case.objects.count() == 0


API_FILTERS = [
    "/api/cases/?reported_from={}",
    "/api/cases/?reported_to={}",
    "/api/cases/?cursor={}",
    "/api/cases/?status={}",
    "/api/cases/?grid={}",
    "/api/cases/duplicates/?lon={}&lat=34.9&category=1",
    "/api/grids/locate/?lon={}&lat=34.9",
    "/api/assessments/figures/?period=day&day={}",
    "/api/assessments/figures/?period=custom&start={}&end=2026-11-30",
    "/api/assessments/figures/?period=custom&start=2026-11-01&end={}",
    "/api/assessments/trend/?period=custom&start={}&end=2026-11-30",
    "/api/assessments/rankings/department/?period=day&day={}",
    "/api/assessments/allocation/?period=month&day={}",
    "/api/assessments/bulletin-issues/{}/",
    "/api/assets/features/?bbox={}",
    "/cases/?reported_from={}",
    "/cases/?q={}",
    "/cases/?cursor={}",
    "/assessments/?period=day&day={}",
    "/assessments/?period=custom&start={}&end=2026-11-30",
]
API_VALUES = ["2026-13-45", "0001-01-01", "9999-12-31", "9999-12-31T23:59:59", NUL, LONG, "nan", "-inf"]


@pytest.mark.parametrize("value", API_VALUES, ids=range(len(API_VALUES)))
@pytest.mark.parametrize("url", API_FILTERS)
def test_api_and_page_filters_answer_malformed_values_without_500(client, city, url, value):
    client.force_login(city["supervisor"])
    response = client.get(url.format(quote(value)))
    assert response.status_code in (200, 400, 404), (url, value[:20], response.status_code, response.content[:300])
    if value == NUL:
        assert response.status_code == 400
