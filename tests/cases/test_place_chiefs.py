"""The 三长 at work: a place chief's login sees the cases naming them and those they reported,
reports from patrol (a source of its own), confirms a fix in front of their place; places are
on the grid API and the map's places feed."""

import pytest
from django.contrib.gis.geos import LineString, Point
from django.urls import reverse

from accounts.roles import Role
from cases.models import CaseEvent, Source, Status
from cases.scope import cases_visible_to
from cases.services import CaseNotFound, case_report, case_transition
from grids.models import PlaceKind
from tests.cases.conftest import NOW
from tests.grids.factories import PlaceFactory

AT_SHOP = Point(118.6052, 34.9052, srid=4326)  # in M1, at the shop's door
ELSEWHERE = Point(118.615, 34.905, srid=4326)  # in M2, nobody's place


@pytest.fixture
def chiefs(city, make_user):
    shop_chief = make_user("shop_chief", Role.PLACE_CHIEF)
    street_chief = make_user("street_chief", Role.PLACE_CHIEF)
    shop = PlaceFactory(kind=PlaceKind.SHOP, code="S1", name="老王烧烤", micro_grid=city["a"], geometry=AT_SHOP)
    street = PlaceFactory(
        kind=PlaceKind.STREET, code="ST1", name="沭河大街", micro_grid=city["a"], reach_m=15,
        geometry=LineString((118.601, 34.908), (118.609, 34.908), srid=4326),
    )  # fmt: skip
    from tests.grids.factories import PersonFactory

    for place, user in ((shop, shop_chief), (street, street_chief)):
        place.chief = PersonFactory(name=f"{place.name}长", user=user)
        place.save()
    return {"shop": shop, "street": street, "shop_chief": shop_chief, "street_chief": street_chief}


def handled_at_shop(city):
    """A case at the shop, filed, dispatched, approved and handled (with an after-photo)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.photos import noise_jpeg

    case = case_report(source=Source.HOTLINE, point=AT_SHOP, description="门前乱堆放", now=NOW)
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"], now=NOW)
    case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"], now=NOW)
    case_transition(case_id=case.pk, action="approve", actor=city["chief"], now=NOW)
    photo = SimpleUploadedFile("after.jpg", noise_jpeg(), "image/jpeg")
    case_transition(case_id=case.pk, action="handle", actor=city["handler"], note="已清理", photos=[photo], now=NOW)
    return case


def test_a_place_chief_sees_the_cases_naming_them_and_not_others(city, chiefs):
    at_shop = case_report(source=Source.HOTLINE, point=AT_SHOP, description="店外占道", now=NOW)
    elsewhere = case_report(source=Source.HOTLINE, point=ELSEWHERE, description="别处", now=NOW)
    assert at_shop.responsible.user == chiefs["shop_chief"]
    assert list(cases_visible_to(user=chiefs["shop_chief"])) == [at_shop]
    assert elsewhere not in cases_visible_to(user=chiefs["street_chief"])


def test_a_place_chief_reports_from_patrol_and_follows_the_report(city, chiefs, client):
    client.force_login(chiefs["street_chief"])
    page = client.get(reverse("cases:new")).content.decode()
    assert 'value="place_patrol"' in page and 'value="hotline"' not in page
    response = client.post(
        reverse("cases_api:cases"),
        {"lon": ELSEWHERE.x, "lat": ELSEWHERE.y, "source": "place_patrol", "description": "巡查发现井盖缺失"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert response.json()["source"] == Source.PLACE_PATROL
    mine = client.get(reverse("cases:mine")).content.decode()
    assert response.json()["tracking_number"] in mine and "沭河大街" in mine
    # Reported, followed, not theirs to act on (it names the micro-grid chief).
    with pytest.raises(CaseNotFound):
        case_transition(case_id=case_id, action="confirm_fix", actor=chiefs["shop_chief"], now=NOW)


def test_a_place_chief_cannot_name_another_source_through_the_api(city, chiefs, client):
    """The page offers a 三长 only their own patrol; the API asks the same rule before anything is stored."""
    from cases.models import Case

    client.force_login(chiefs["street_chief"])
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("cases_api:cases"),
        {"lon": ELSEWHERE.x, "lat": ELSEWHERE.y, "source": "hotline", "description": "冒充热线"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "own patrol" in str(response.json()) and "(source: Place chief patrol)" in str(response.json())
    assert not Case.objects.exists()


def test_the_chief_confirms_a_fix_in_front_of_their_place(city, chiefs, client, media):
    case = handled_at_shop(city)
    client.force_login(chiefs["shop_chief"])
    page = client.get(reverse("cases:mine")).content.decode()
    assert reverse("cases:act", args=[case.pk, "confirm_fix"]) in page
    response = client.post(
        reverse("cases:act", args=[case.pk, "confirm_fix"]),
        {"expected_status": "handled", "note": "门前已清理干净", "request_id": "6a1c1f7e-2222-4c1a-9a55-000000000002"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CHECKED
    event = CaseEvent.objects.get(case=case, action="confirm_fix")
    assert event.actor == chiefs["shop_chief"] and event.note == "门前已清理干净"


def test_another_chief_cannot_confirm_the_fix(city, chiefs, media):
    case = handled_at_shop(city)
    with pytest.raises(CaseNotFound):
        case_transition(case_id=case.pk, action="confirm_fix", actor=chiefs["street_chief"], now=NOW)
    assert case.__class__.objects.get(pk=case.pk).status == Status.HANDLED


def test_the_grid_api_lists_a_micro_grids_places_and_the_map_feed_by_kind(city, chiefs, client):
    client.force_login(city["clerk"])
    detail = client.get(reverse("grids_api:detail", args=[city["a"].pk])).json()
    assert {(p["code"], p["kind"], p["chief"]["name"]) for p in detail["places"]} == {
        ("S1", "shop", "老王烧烤长"),
        ("ST1", "street", "沭河大街长"),
    }
    assert client.get(reverse("grids_api:detail", args=[city["community"].pk])).json()["places"] == []
    url = reverse("grids_api:places")
    shops = client.get(url, {"bbox": "118.60,34.90,118.61,34.91", "kind": "shop"}).json()
    assert [f["properties"]["code"] for f in shops["features"]] == ["S1"]
    assert shops["features"][0]["geometry"]["type"] == "Point"
    both = client.get(url, {"bbox": "118.60,34.90,118.61,34.91"}).json()
    assert {f["properties"]["kind"] for f in both["features"]} == {"shop", "street"}
    assert client.get(url, {"bbox": "118.60,34.90,118.61,34.91", "kind": "tower"}).status_code == 400
    client.logout()
    assert client.get(url, {"bbox": "118.60,34.90,118.61,34.91"}).status_code in (401, 403)


def test_the_home_page_links_a_place_chief_to_their_page(city, chiefs, client):
    client.force_login(chiefs["shop_chief"])
    assert reverse("cases:mine") in client.get(reverse("home")).content.decode()
    client.force_login(city["clerk"])
    assert client.get(reverse("cases:mine")).status_code == 403
