"""A report about an asset: it takes the asset's subcategory and point, is routed to the asset's
maintaining unit (for the asset's own subcategory only), and shows the asset on its page and in
the API, once; the asset's page lists the cases about it."""

import uuid

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse

from assets.models import AssetStatus
from cases.models import Case, Category, Source, Status
from cases.services import InvalidInput, case_report, case_transition
from tests.assets.conftest import make_asset

pytestmark = pytest.mark.django_db


def dispatched(case, city, **file_params):
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], **file_params)
    return case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"])


def test_it_routes_a_case_about_an_asset_to_its_maintaining_unit(city, cover):
    case = case_report(source=Source.INSPECTOR, point=None, asset=cover, description="井盖破损")
    assert case.category == cover.category and case.location.equals_exact(cover.point, 1e-9)
    assert case.micro_grid == city["a"]
    case = dispatched(case, city)
    assert case.department.code == "housing"  # the maintainer, not 市政, the subcategory's default
    assert cover.category.default_department.code == "municipal"


def test_it_routes_by_the_rules_when_the_case_is_not_about_the_asset_itself(city, cover):
    posters = Category.objects.get(major__kind="event", code="0102")  # rubbish next to the cover
    case = case_report(source=Source.INSPECTOR, point=cover.point, asset=cover, category=posters)
    assert dispatched(case, city).department == posters.default_department


def test_it_routes_by_the_rules_when_the_asset_has_no_maintainer(city):
    lamp = make_asset("0120", 3)
    case = case_report(source=Source.INSPECTOR, point=None, asset=lamp)
    assert dispatched(case, city).department.code == "municipal"


def test_it_refuses_a_report_on_a_retired_asset_and_stores_nothing(city):
    old = make_asset("0120", 4, status=AssetStatus.RETIRED)
    with pytest.raises(InvalidInput) as refused:
        case_report(source=Source.INSPECTOR, point=None, asset=old)
    assert "retired" in refused.value.message and "asset" in refused.value.fields
    assert Case.objects.count() == 0


def test_it_takes_a_report_on_an_asset_through_the_api_and_shows_the_asset_once(client, city, cover):
    client.force_login(city["clerk"])
    response = client.post(
        "/api/cases/",
        {"lon": cover.point.x, "lat": cover.point.y, "source": "hotline", "asset": cover.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["asset"] == {
        "id": cover.pk, "code": cover.code, "name": "人民路 12 号门前", "category": "上水井盖",
        "status": "in_service", "status_label": "In service", "maintainer": "县住房和城乡建设局",
        "url": reverse("assets:detail", args=[cover.pk]),
    }  # fmt: skip
    assert body["category"]["code"] == "C0101"
    detail = client.get(f"/api/cases/{body['id']}/").json()
    assert detail["asset"]["code"] == cover.code
    without = client.post(
        "/api/cases/", {"lon": 118.605, "lat": 34.905, "source": "hotline"}, content_type="application/json"
    )
    assert without.json()["asset"] is None


def test_it_refuses_an_unknown_asset_in_the_api(client, city):
    client.force_login(city["clerk"])
    response = client.post(
        "/api/cases/",
        {"lon": 118.605, "lat": 34.905, "source": "hotline", "asset": 999},
        content_type="application/json",
    )
    assert response.status_code == 400 and "asset" in response.json()["error"]["fields"]
    assert Case.objects.count() == 0


def test_it_takes_a_report_on_an_asset_through_the_intake_page(client, city, cover):
    client.force_login(city["clerk"])
    form = client.get(reverse("cases:new") + f"?asset={cover.pk}").content.decode()
    assert f'name="asset" value="{cover.pk}"' in form and "asset-layer.js" in form
    response = client.post(
        reverse("cases:new"),
        {"lon": cover.point.x, "lat": cover.point.y, "source": "hotline", "urgency": "normal",
         "category": cover.category_id, "asset": cover.pk, "request_id": str(uuid.uuid4())},
    )  # fmt: skip
    case = Case.objects.get()
    assert response.status_code == 302 and case.asset == cover
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert page.count(f'href="{reverse("assets:detail", args=[cover.pk])}"') == 1
    assert "县住房和城乡建设局" in page  # who maintains it
    case_transition(case_id=case.pk, action="file", actor=city["clerk"])
    client.force_login(city["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "As the routing rules say: 县住房和城乡建设局" in page  # the dispatch form names where it goes


def test_it_lists_on_the_assets_page_the_cases_about_it_that_the_reader_may_see(client, city, cover):
    mine = case_report(source=Source.INSPECTOR, point=None, asset=cover, description="井盖松动")
    client.force_login(city["neighbour"])  # a chief of another community: sees none of M1's cases
    page = client.get(reverse("assets:detail", args=[cover.pk])).content.decode()
    assert mine.tracking_number not in page and "No case about this asset that you may see." in page
    client.force_login(city["clerk"])
    page = client.get(reverse("assets:detail", args=[cover.pk])).content.decode()
    assert mine.tracking_number in page and "Report a problem with this asset" in page
    api = client.get(f"/api/assets/{cover.pk}/").json()
    assert [case["tracking_number"] for case in api["cases"]] == [mine.tracking_number]
    assert api["maintainer"]["code"] == "housing" and api["point"] == [pytest.approx(118.6045), pytest.approx(34.9045)]


def test_it_keeps_the_case_when_its_asset_is_deleted(city, cover):
    case = case_report(source=Source.INSPECTOR, point=None, asset=cover)
    cover.delete()
    case.refresh_from_db()
    assert (
        case.asset is None and case.status == Status.REPORTED and case.location == Point(118.6045, 34.9045, srid=4326)
    )
