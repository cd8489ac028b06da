"""The inventory over JSON and on its pages: the map's features, the list, and a census (专项普查)
recording found, damaged and missing assets; who may do what."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import AssetStatus, Census, CensusFinding, Finding
from assets.selectors import census_progress
from assets.services import CensusError, census_record
from tests.assets.conftest import make_asset

pytestmark = pytest.mark.django_db
M1_VIEW = "118.600,34.900,118.610,34.910"


def test_it_gives_the_assets_in_a_maps_view_as_geojson(client, city, cover, django_assert_max_num_queries):
    make_asset("0120", 1, line=[(118.601, 34.902), (118.603, 34.902)])
    make_asset("0305", 1, at=(118.615, 34.905))  # in M2, outside the view
    make_asset("0305", 2, at=(118.606, 34.906), status=AssetStatus.RETIRED)
    client.force_login(city["clerk"])
    with django_assert_max_num_queries(6):  # session, user, roles, the assets with their subcategory and maintainer
        body = client.get("/api/assets/features/", {"bbox": M1_VIEW}).json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    codes = {f["properties"]["code"]: f for f in body["features"]}
    assert set(codes) == {cover.code, "3713290120000001"}
    props = codes[cover.code]["properties"]
    assert props["category"] == {"id": cover.category_id, "code": "C0101", "name": "上水井盖"}
    assert props["maintainer"]["name"] == "县住房和城乡建设局" and props["status_label"] == "In service"
    assert codes["3713290120000001"]["geometry"]["type"] == "LineString"


def test_it_says_when_a_view_holds_more_assets_than_it_sends(client, city, monkeypatch):
    for serial in range(1, 4):
        make_asset("0305", serial, at=(118.605 + serial * 0.0001, 34.905))
    monkeypatch.setattr("assets.selectors.MAP_LIMIT", 2)
    client.force_login(city["clerk"])
    body = client.get("/api/assets/features/", {"bbox": M1_VIEW}).json()
    assert body["truncated"] is True and len(body["features"]) == 2


@pytest.mark.parametrize("bbox", ["", "1,2,3", "a,b,c,d", "118.61,34.9,118.60,34.91", "100,20,120,40"])
def test_it_refuses_a_bad_view(client, city, bbox):
    client.force_login(city["clerk"])
    response = client.get("/api/assets/features/", {"bbox": bbox})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_it_shows_the_inventory_only_to_people_with_a_role(client, city, cover):
    assert client.get("/api/assets/features/", {"bbox": M1_VIEW}).status_code == 403
    client.force_login(city["outsider"])
    assert client.get("/api/assets/features/", {"bbox": M1_VIEW}).status_code == 403
    assert client.get(f"/api/assets/{cover.pk}/").status_code == 403
    assert client.get(reverse("assets:index")).status_code == 403
    client.force_login(city["handler"])
    assert client.get(f"/api/assets/{cover.pk}/").status_code == 200
    assert client.get("/api/assets/999/").status_code == 404


def test_it_lists_the_inventory_filtered(client, city, cover):
    make_asset("0305", 1, at=(118.615, 34.905))
    client.force_login(city["supervisor"])
    assert client.get("/api/assets/").json()["count"] == 2
    assert [a["code"] for a in client.get("/api/assets/", {"grid": city["b"].pk}).json()["results"]] == [
        "3713290305000001"
    ]
    assert client.get("/api/assets/", {"category": cover.category_id}).json()["count"] == 1
    assert client.get("/api/assets/", {"code": "3713290101"}).json()["count"] == 1
    assert client.get("/api/assets/", {"page": 9}).status_code == 404
    page = client.get(reverse("assets:index"), {"grid": city["large"].pk}).content.decode()
    assert cover.code in page and "asset-layer.js" in page


# ---- census (专项普查) ---------------------------------------------------------------------


@pytest.fixture
def census(city):
    today = timezone.localdate()
    census = Census.objects.create(
        name="2026 井盖普查", starts_on=today - datetime.timedelta(days=1), ends_on=today + datetime.timedelta(days=9)
    )
    census.grids.add(city["a"])
    return census


def test_it_records_census_findings_and_sets_the_assets_status(client, city, cover, census):
    lamp = make_asset("0120", 1, at=(118.606, 34.906))
    bin_ = make_asset("0305", 1, at=(118.607, 34.907))
    make_asset("0305", 2, at=(118.615, 34.905))  # in M2: not in this census
    client.force_login(city["inspector"])
    url = f"/api/assets/censuses/{census.pk}/findings/"
    answer = client.post(
        url, {"asset": cover.pk, "finding": "damaged", "note": "井盖裂缝"}, content_type="application/json"
    )
    assert answer.status_code == 201 and answer.json()["asset_status"] == "damaged"
    client.post(url, {"asset": lamp.pk, "finding": "missing"}, content_type="application/json")
    client.post(url, {"asset": lamp.pk, "finding": "found"}, content_type="application/json")  # the latest word counts
    cover.refresh_from_db()
    lamp.refresh_from_db()
    assert (
        cover.status == AssetStatus.DAMAGED and cover.checked_at is not None and lamp.status == AssetStatus.IN_SERVICE
    )
    progress = census_progress(census=census)
    assert (progress.total, progress.checked, progress.found, progress.damaged, progress.missing) == (3, 2, 1, 1, 0)
    assert client.get(f"/api/assets/censuses/{census.pk}/").json()["checked"] == 2
    page = client.get(reverse("assets:census", args=[census.pk])).content.decode()
    assert bin_.code in page  # not checked yet
    assert "井盖裂缝" in page  # among the damaged and missing
    assert CensusFinding.objects.get(asset=cover).recorded_by == city["inspector"]


def test_it_refuses_census_findings_from_other_roles_and_for_other_assets(client, city, cover, census):
    outside = make_asset("0305", 2, at=(118.615, 34.905))
    url = f"/api/assets/censuses/{census.pk}/findings/"
    client.force_login(city["handler"])
    assert client.post(url, {"asset": cover.pk, "finding": "found"}, content_type="application/json").status_code == 403
    client.force_login(city["inspector"])
    refused = client.post(url, {"asset": outside.pk, "finding": "found"}, content_type="application/json")
    assert refused.status_code == 400 and "not part of this census" in refused.json()["error"]["message"]
    assert client.post(url, {"asset": cover.pk, "finding": "lost"}, content_type="application/json").status_code == 400
    assert client.post("/api/assets/censuses/999/findings/", {"asset": cover.pk, "finding": "found"},
                       content_type="application/json").status_code == 404  # fmt: skip
    assert CensusFinding.objects.count() == 0


def test_it_refuses_a_finding_outside_the_census_period(city, cover, census):
    census.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    census.save()
    with pytest.raises(CensusError):
        census_record(census=census, asset=cover, finding=Finding.FOUND, actor=city["inspector"])


def test_it_offers_the_census_form_on_the_assets_page_to_inspectors(client, city, cover, census):
    client.force_login(city["inspector"])
    page = client.get(reverse("assets:detail", args=[cover.pk])).content.decode()
    assert "Census: 2026 井盖普查" in page
    response = client.post(
        reverse("assets:census_finding", args=[cover.pk, census.pk]), {f"census-{census.pk}-finding": "missing"}
    )
    assert response.status_code == 302
    cover.refresh_from_db()
    assert cover.status == AssetStatus.MISSING
    client.force_login(city["supervisor"])
    assert "Census: 2026" not in client.get(reverse("assets:detail", args=[cover.pk])).content.decode()
    assert client.post(reverse("assets:census_finding", args=[cover.pk, census.pk]), {}).status_code == 403
