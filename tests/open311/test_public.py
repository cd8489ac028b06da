"""Open311 lists the city's public requests from every source (a flag per source), never a
reporter's name, phone, words or an internal note; filters by update time (updated_after /
updated_before) and gives one request's status history as `notes`; every answer valid against
the official schemas, the XML the same as the JSON."""

import datetime
import json
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from cases.models import Case, Category, Source
from cases.services import case_report, case_transition
from citizens.services import citizen_report
from open311.apps import Open311Config
from tests.citizens.conftest import upload
from tests.open311.conftest import IN_M1
from tests.open311.schemas import validate
from tests.open311.test_api import assert_same_in_xml, get

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture
def suishoupai(city):
    """A citizen's 随手拍 report, with a phone number and words that name someone."""
    report = citizen_report(
        point=IN_M1, public_category="sanitation", description=f"楼下张大爷家门口垃圾堆，我的电话 {PHONE}",
        photo=upload(), client_ip="10.0.0.9", request_id=str(uuid.uuid4()), phone=PHONE,
    )  # fmt: skip
    return report.case


def test_it_lists_a_suishoupai_report_without_its_phone_or_words(client, suishoupai):
    body = get(client, "requests").json()
    validate(body, "requests")
    request = next(r for r in body if r["service_request_id"] == suishoupai.tracking_number)
    assert request["service_code"] == "sanitation" and request["service_name"] == "Sanitation"
    assert request["description"] is None and request["media_url"] is None  # no before-photo of a citizen
    assert request["status"] == "open" and request["lat"] == pytest.approx(IN_M1.y)
    text = json.dumps(body, ensure_ascii=False)
    assert PHONE not in text and "张大爷" not in text
    assert_same_in_xml(client, "requests", body, "service_requests")


def test_it_gives_the_subcategory_once_the_report_is_filed(client, city, suishoupai):
    case_transition(case_id=suishoupai.pk, action="file", actor=city["clerk"], category=city["garbage"],
                    note=f"回电 {PHONE} 核实")  # fmt: skip
    request = get(client, f"requests/{suishoupai.tracking_number}").json()[0]
    assert request["service_code"] == "E0102" and request["service_name"] == city["garbage"].name
    assert PHONE not in json.dumps(request, ensure_ascii=False)


def test_it_lists_only_the_sources_that_are_public(client, city, suishoupai, settings, key):
    inspector = case_report(source=Source.INSPECTOR, point=IN_M1, category=city["garbage"], reporter_phone=PHONE)
    camera = case_report(source=Source.CAMERA, point=IN_M1, category=city["garbage"])
    posted = client.post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "E0102", "lat": str(IN_M1.y), "long": str(IN_M1.x)},
    ).json()[0]["service_request_id"]

    def listed():
        return {r["service_request_id"] for r in get(client, "requests").json()}

    assert listed() == {suishoupai.tracking_number, inspector.tracking_number, posted}  # cameras: not by default
    settings.OPEN311_PUBLIC_SOURCES = ["camera"]
    assert listed() == {camera.tracking_number, posted}  # what a client posted is listed whatever its source
    assert get(client, f"requests/{suishoupai.tracking_number}").status_code == 404


def test_it_refuses_to_start_with_an_unknown_public_source(settings):
    settings.OPEN311_PUBLIC_SOURCES = ["citizen", "pigeon"]
    with pytest.raises(ImproperlyConfigured, match="OPEN311_PUBLIC_SOURCES.*pigeon"):
        Open311Config("open311", __import__("open311")).ready()


# ---- updated_after / updated_before -----------------------------------------------------------


def moment(days: float) -> str:
    return (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0).isoformat()


def test_it_lists_what_changed_in_a_window_oldest_change_first(client, city):
    garbage = city["garbage"]
    old = case_report(
        source=Source.HOTLINE, point=IN_M1, category=garbage, now=timezone.now() - datetime.timedelta(days=200)
    )
    recent = case_report(source=Source.HOTLINE, point=IN_M1, category=garbage)
    Case.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=150))
    Case.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - datetime.timedelta(days=2))
    case_transition(case_id=old.pk, action="file", actor=city["clerk"])  # touched now, reported 200 days ago

    def ids(**params):
        response = get(client, "requests", **params)
        assert response.status_code == 200
        validate(response.json(), "requests")
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [recent.tracking_number]  # by default: requested in the last 90 days
    assert ids(updated_after=moment(-3)) == [recent.tracking_number, old.tracking_number]  # oldest change first
    assert ids(updated_after=moment(-1)) == [old.tracking_number]
    assert ids(updated_before=moment(-1)) == [recent.tracking_number]
    assert ids(updated_after=moment(-3), updated_before=moment(-1)) == [recent.tracking_number]
    assert ids(updated_after=moment(-3), start_date=moment(-10)) == [recent.tracking_number]  # both windows hold
    body = get(client, "requests", updated_after=moment(-1)).json()
    assert body[0]["updated_datetime"] >= moment(-1)
    assert_same_in_xml(client, "requests", body, "service_requests", updated_after=moment(-1))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"updated_after": "yesterday"}, "updated_after must be a W3C datetime"),
        ({"updated_before": "soon"}, "updated_before must be a W3C datetime"),
        ({"updated_after": "2026-06-01T00:00:00Z", "updated_before": "2026-01-01T00:00:00Z"}, "before updated_after"),
    ],
)
def test_it_refuses_a_bad_update_window(client, city, params, words):
    response = get(client, "requests", **params)
    assert response.status_code == 400 and words in response.json()[0]["description"]
    validate(response.json(), "errors")


# ---- one request's status history -------------------------------------------------------------


def test_it_gives_one_requests_status_history_as_notes_without_internal_notes(client, city, suishoupai):
    secret = f"内部：联系 {PHONE}"
    case_transition(case_id=suishoupai.pk, action="file", actor=city["clerk"], category=city["garbage"], note=secret)
    case_transition(case_id=suishoupai.pk, action="dispatch", actor=city["dispatcher"], note=secret)
    case_transition(case_id=suishoupai.pk, action="refuse", actor=city["chief"], note=secret)
    body = get(client, f"requests/{suishoupai.tracking_number}").json()
    validate(body, "requests")
    notes = body[0]["notes"]
    assert [(n["type"], n["summary"]) for n in notes] == [
        ("opened", "Reported"),
        ("activity", "Filed"),
        ("activity", "Awaiting grid-chief approval"),
        ("activity", "Filed"),
    ]
    assert all(n["datetime"].endswith("+08:00") for n in notes)
    text = json.dumps(body, ensure_ascii=False)
    assert PHONE not in text and "内部" not in text and city["a"].chief.name not in text
    tree = assert_same_in_xml(client, f"requests/{suishoupai.tracking_number}", body, "service_requests")
    assert [note.find("summary").text for note in tree.findall("request/notes/note")][0] == "Reported"
    case_transition(case_id=suishoupai.pk, action="cancel", actor=city["leader"], note=secret)
    notes = get(client, f"requests/{suishoupai.tracking_number}").json()[0]["notes"]
    assert notes[-1]["type"] == "closed" and notes[-1]["summary"] == "Cancelled"
    assert "notes" not in get(client, "requests").json()[0]  # the list stays lean


def test_it_lists_a_camera_case_about_an_asset_when_cameras_are_public(client, city, settings):
    settings.OPEN311_PUBLIC_SOURCES = ["camera"]
    case = case_report(
        source=Source.CAMERA, point=IN_M1, category=Category.objects.get(major__kind="component", code="0101")
    )
    request = get(client, f"requests/{case.tracking_number}").json()[0]
    assert request["service_code"] == "C0101" and request["description"] is None
