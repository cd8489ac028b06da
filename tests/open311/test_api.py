"""Open311 GeoReport v2: every endpoint in JSON and XML on a populated database, each JSON
answer valid against the official schemas (tests/open311/schemas.py), the XML with the same
content, the round trip into the command center's queue, and every error case."""

import datetime
import json
import re
from io import BytesIO
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case, CaseEvent, CasePhoto, Category, Source, Status, Urgency
from cases.photos import photo_make_derivatives
from cases.services import case_transition
from open311.models import ApiKey, Open311Request
from open311.render import ITEM_NAMES
from open311.services import api_key_create, service_request_create
from tests.citizens.conftest import phone_jpeg
from tests.open311.conftest import GARBAGE, IN_M1, posted
from tests.open311.schemas import validate

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def get(client, path, fmt="json", **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def post(client, key, fmt="json", headers=None, **fields):
    data = {
        "api_key": key,
        "service_code": GARBAGE,
        "lat": str(IN_M1.y),
        "long": str(IN_M1.x),
        "description": "人行道上有一堆垃圾",
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(f"{BASE}/requests.{fmt}", data, headers=headers or {})


def parse_xml(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314  (this server's own answer, in a test)


def as_strings(value):
    """JSON content as the XML writes it: every scalar a string (None stays None)."""
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def from_xml(element):
    if element.tag in ITEM_NAMES:
        return [from_xml(child) for child in element]
    if len(element):
        return {child.tag: from_xml(child) for child in element}
    return element.text


def assert_same_in_xml(client, path, json_body, root, **params):
    response = get(client, path, "xml", **params)
    assert response["Content-Type"].startswith("text/xml")
    tree = parse_xml(response.content)
    assert tree.tag == root
    if root in ITEM_NAMES:
        assert all(child.tag == ITEM_NAMES[root] for child in tree)
    assert from_xml(tree) == as_strings(json_body)
    return tree


# ---- discovery and services ---------------------------------------------------------------


def test_it_answers_discovery_in_both_formats(client, city):
    body = get(client, "discovery").json()
    validate(body, "discovery")
    assert body["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert_same_in_xml(client, "discovery", body, "discovery")


def test_it_lists_the_public_subcategories_as_services(client, city):
    Category.objects.filter(major__kind="event", code="0103").update(is_public=False)
    response = get(client, "services")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    services = response.json()
    validate(services, "services")
    for service in services:
        validate(service, "service")
    codes = [service["service_code"] for service in services]
    assert GARBAGE in codes and "E0103" not in codes and "C0101" in codes
    assert len(codes) == Category.objects.filter(active=True, is_public=True).count()
    garbage = next(service for service in services if service["service_code"] == GARBAGE)
    assert garbage["service_name"] == Category.objects.get(major__kind="event", code="0102").name
    assert garbage["group"] == "Sanitation" and garbage["type"] == "realtime" and garbage["metadata"] is True
    assert_same_in_xml(client, "services", services, "services")


def test_it_defines_each_service_with_its_attributes(client, city):
    body = get(client, f"services/{GARBAGE}").json()
    validate(body, "service-definition")
    assert body["service_code"] == GARBAGE
    urgency = body["attributes"][0]
    assert urgency["code"] == "urgency" and urgency["variable"] is True and urgency["required"] is False
    assert [value["key"] for value in urgency["values"]] == ["normal", "urgent"]
    tree = assert_same_in_xml(client, f"services/{GARBAGE}", body, "service_definition")
    assert tree.find("attributes/attribute/values/value/key").text == "normal"


@pytest.mark.parametrize("code", ["E9999", "X0102", "0102", "E0103"])
def test_it_answers_404_for_an_unknown_or_hidden_service(client, city, code):
    Category.objects.filter(major__kind="event", code="0103").update(is_public=False)
    response = get(client, f"services/{code}")
    assert response.status_code == 404
    validate(response.json(), "errors")
    assert response.json()[0]["code"] == 404 and code in response.json()[0]["description"]


# ---- posting ---------------------------------------------------------------------------------


def test_it_takes_a_posted_request_into_the_intake_queue_and_reads_it_back(client, city, key):
    response = post(
        client, key, first_name="三", last_name="张", phone="13700001111", email="zhang@example.com",
        address_string="人民路 12 号", **{"attribute[urgency]": "urgent"},
    )  # fmt: skip
    assert response.status_code == 200
    answer = response.json()
    validate(answer, "post-response")
    case = Case.objects.get()
    assert answer[0]["service_request_id"] == case.tracking_number
    assert answer[0]["token"] == Open311Request.objects.get().token
    assert case.status == Status.REPORTED and case.source == Source.HOTLINE  # the key's source
    assert case.category.full_code == GARBAGE and case.urgency == Urgency.URGENT
    assert case.reporter_name == "张 三" and case.reporter_phone == "13700001111"
    assert case.address == "人民路 12 号" and case.micro_grid == city["a"]
    assert case.events.get().action == "report"

    body = get(client, f"requests/{case.tracking_number}").json()
    validate(body, "requests")
    request = body[0]
    assert request["service_request_id"] == case.tracking_number and request["status"] == "open"
    assert request["service_code"] == GARBAGE and request["description"] == "人行道上有一堆垃圾"
    assert request["lat"] == pytest.approx(IN_M1.y) and request["long"] == pytest.approx(IN_M1.x)
    assert request["requested_datetime"].endswith("+08:00")
    text = json.dumps(body, ensure_ascii=False)
    for private in ("13700001111", "zhang@example.com", "张 三", city["a"].chief.name):
        assert private not in text
    assert_same_in_xml(client, f"requests/{case.tracking_number}", body, "service_requests")


def test_it_answers_a_post_in_xml(client, city, key):
    response = post(client, key, fmt="xml")
    tree = parse_xml(response.content)
    assert response.status_code == 200 and tree.tag == "service_requests"
    assert tree.find("request/service_request_id").text == Case.objects.get().tracking_number
    assert tree.find("request/account_id").text is None


def test_it_stores_a_posted_photo_and_gives_its_clean_copy_as_media_url(client, city, key, media):
    photo = SimpleUploadedFile("IMG_1.jpg", phone_jpeg(), content_type="image/jpeg")
    response = post(client, key, media=photo)
    assert response.status_code == 200
    stored = CasePhoto.objects.get()
    assert stored.event == CaseEvent.objects.get(action="report")
    photo_make_derivatives(photo_id=stored.pk)
    stored.refresh_from_db()
    request = get(client, f"requests/{stored.case.tracking_number}").json()[0]
    assert request["media_url"] == f"http://testserver{stored.display.url}"
    assert stored.original.url not in json.dumps(request)


def test_it_keeps_a_client_media_url_when_it_has_no_photo(client, city, key):
    post(client, key, media_url="https://photos.example.org/1.jpg")
    request = get(client, f"requests/{Case.objects.get().tracking_number}").json()[0]
    assert request["media_url"] == "https://photos.example.org/1.jpg"


def test_it_takes_a_repeated_request_with_the_same_idempotency_key_once(client, city, key):
    first = post(client, key, headers={"Idempotency-Key": "abc-1"}).json()
    second = post(client, key, headers={"Idempotency-Key": "abc-1"}).json()
    assert first == second and Case.objects.count() == 1
    post(client, key, headers={"Idempotency-Key": "abc-2"})
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 403, "api_key is required"),
        ({"api_key": "wrong-key"}, 403, "Invalid api_key"),
        ({"service_code": None}, 400, "service_code was not provided"),
        ({"service_code": "E9999"}, 404, "service_code 'E9999' was not found"),
        ({"lat": None, "long": None}, 400, "send lat and long"),
        ({"lat": None, "long": None, "address_string": "人民路"}, 400, "does not geocode"),
        ({"lat": "north"}, 400, "lat must be a number"),
        ({"long": "200"}, 400, "long must be between"),
        ({"lat": "30.0", "long": "120.0"}, 400, "outside the city"),
        ({"description": "x" * 4001}, 400, "4,000 characters"),
        ({"attribute[urgency]": "panic"}, 400, "attribute[urgency] must be one of"),
        ({"email": "not-an-address"}, 400, "email is not a valid"),
        ({"media_url": "ftp://x/y.jpg"}, 400, "media_url must be"),
        ({"media": SimpleUploadedFile("x.jpg", b"not an image")}, 400, "not an image"),
        ({"jurisdiction_id": "elsewhere.gov.cn"}, 404, "jurisdiction_id 'elsewhere.gov.cn' was not found"),
    ],
)
def test_it_refuses_a_bad_post_with_the_specs_error_and_stores_nothing(
    client, city, key, settings, fields, status, words
):
    settings.OPEN311_JURISDICTION_ID = "county.gov.cn"
    if "api_key" in fields:
        fields = {**fields}
        key = fields.pop("api_key")
    response = post(client, key, **fields)
    assert response.status_code == status
    body = response.json()
    validate(body, "errors")
    assert body[0]["code"] == status and words in body[0]["description"]
    assert Case.objects.count() == 0 and Open311Request.objects.count() == 0 and CasePhoto.objects.count() == 0
    xml = parse_xml(post(client, key, fmt="xml", **fields).content)
    assert xml.tag == "errors" and xml.find("error/code").text == str(status)


def test_it_accepts_its_own_jurisdiction_id(client, city, key, settings):
    settings.OPEN311_JURISDICTION_ID = "county.gov.cn"
    assert post(client, key, jurisdiction_id="county.gov.cn").status_code == 200
    assert get(client, "services", jurisdiction_id="county.gov.cn").status_code == 200
    assert get(client, "services", jurisdiction_id="other.gov.cn").status_code == 404


def test_it_refuses_a_revoked_key(client, city, key):
    ApiKey.objects.update(active=False)
    assert post(client, key).status_code == 403 and Case.objects.count() == 0


def test_it_records_when_a_key_was_last_used(client, city, key):
    assert ApiKey.objects.get().last_used_at is None
    post(client, key)
    assert ApiKey.objects.get().last_used_at is not None


def test_it_limits_requests_per_key(client, city, key, settings):
    settings.OPEN311_REQUESTS_PER_KEY_PER_HOUR = 1
    assert post(client, key).status_code == 200
    refused = post(client, key)
    assert refused.status_code == 429 and "Too many requests" in refused.json()[0]["description"]
    assert Case.objects.count() == 1


def test_it_keeps_the_source_of_each_key(client, city):
    _, citizen_app = api_key_create(name="随手拍 app", source=Source.CITIZEN)
    post(client, citizen_app)
    assert Case.objects.get().source == Source.CITIZEN


# ---- reading requests -------------------------------------------------------------------------


def test_it_lists_the_public_requests_of_every_source_all_valid(client, populated):
    body = get(client, "requests").json()
    validate(body, "requests")
    ids = {request["service_request_id"] for request in body}
    citizen_case = Case.objects.get(citizen_report__isnull=False)
    # The inspector's report has no subcategory yet: it is listed once filed under one.
    assert ids == {row.case.tracking_number for row in populated.values()} | {citizen_case.tracking_number}
    for request in body:
        assert isinstance(request["service_request_id"], str) and isinstance(request["service_code"], str)
        assert request["status"] in ("open", "closed")
    assert_same_in_xml(client, "requests", body, "service_requests")


def test_it_maps_internal_states_to_open_and_closed_with_notes_and_deadlines(client, populated):
    by_id = {request["service_request_id"]: request for request in get(client, "requests").json()}
    new = by_id[populated["new"].case.tracking_number]
    assert new["status"] == "open" and new["status_notes"] == "Reported"
    assert new["agency_responsible"] is None and new["expected_datetime"] is None

    dispatched_case = Case.objects.get(pk=populated["dispatched"].case_id)
    dispatched = by_id[dispatched_case.tracking_number]
    assert dispatched["status"] == "open" and dispatched["status_notes"] == str(dispatched_case.get_status_display())
    assert dispatched["agency_responsible"] == dispatched_case.department.name
    assert (
        dispatched["expected_datetime"]
        == timezone.localtime(dispatched_case.handling_deadline).replace(microsecond=0).isoformat()
    )
    assert dispatched_case.urgency == Urgency.URGENT  # from attribute[urgency]
    amount, _unit = dispatched_case.category.time_limit(urgent=True)
    assert dispatched["service_notice"].startswith(f"Handled within {float(amount):g} ")

    closed_case = Case.objects.get(pk=populated["closed"].case_id)
    closed = by_id[closed_case.tracking_number]
    assert closed["status"] == "closed" and closed["status_notes"] == "Closed"
    assert closed["updated_datetime"] == timezone.localtime(closed_case.closed_at).replace(microsecond=0).isoformat()
    after = closed_case.photos.get(kind="after")
    assert closed["media_url"] == f"http://testserver{after.display.url}"  # the after-photo, once handled


def test_it_says_closed_for_a_rejected_request(client, city, key):
    post(client, key)
    case = Case.objects.get()
    case_transition(case_id=case.pk, action="reject", actor=city["clerk"], note="重复，内部备注")
    request = get(client, f"requests/{case.tracking_number}").json()[0]
    assert request["status"] == "closed" and request["status_notes"] == "Not accepted"
    assert "内部备注" not in json.dumps(request, ensure_ascii=False)


def test_it_filters_requests_as_the_spec_says(client, populated):
    new, dispatched, closed = (populated[k].case.tracking_number for k in ("new", "dispatched", "closed"))
    citizen = Case.objects.get(citizen_report__isnull=False).tracking_number

    def ids(**params):
        response = get(client, "requests", **params)
        assert response.status_code == 200
        validate(response.json(), "requests")
        return {request["service_request_id"] for request in response.json()}

    assert ids(status="open") == {new, dispatched, citizen}
    assert ids(status="closed") == {closed}
    assert ids(status="open,closed") == {new, dispatched, closed, citizen}
    assert ids(service_code=GARBAGE) == {new, dispatched, closed}
    assert ids(service_code="greenery") == {citizen}  # a 随手拍 report's public category, until it is filed
    assert ids(service_code="E0103") == set()
    assert ids(service_request_id=f"{new},{closed}", status="open") == {new, closed}  # ids override the rest
    today = timezone.localdate()
    assert ids(start_date=f"{today + datetime.timedelta(days=1)}T00:00:00+08:00") == set()
    assert ids(start_date=f"{today - datetime.timedelta(days=1)}T00:00:00Z") == {new, dispatched, closed, citizen}
    assert ids(end_date=f"{today - datetime.timedelta(days=1)}T00:00:00+08:00") == set()


def test_it_lists_the_last_90_days_by_default(client, city, key):
    api_key = ApiKey.objects.get()
    old = service_request_create(api_key=api_key, posted=posted(), now=timezone.now() - datetime.timedelta(days=100))
    recent = service_request_create(api_key=api_key, posted=posted(), now=timezone.now() - datetime.timedelta(days=1))
    listed = {request["service_request_id"] for request in get(client, "requests").json()}
    assert listed == {recent.case.tracking_number}
    # start_date alone: the 90 days from it
    start = (timezone.now() - datetime.timedelta(days=120)).date()
    listed = {request["service_request_id"] for request in get(client, "requests", start_date=str(start)).json()}
    assert listed == {old.case.tracking_number}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "pending"}, "status must be open or closed"),
        ({"start_date": "last week"}, "start_date must be a W3C datetime"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "more than 90 days"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before start_date"),
    ],
)
def test_it_refuses_bad_filters(client, city, params, words):
    response = get(client, "requests", **params)
    assert response.status_code == 400
    validate(response.json(), "errors")
    assert words in response.json()[0]["description"]


def test_it_answers_404_for_a_request_that_is_not_public(client, populated, settings):
    settings.OPEN311_PUBLIC_SOURCES = ["hotline"]
    inspector_case = Case.objects.get(source=Source.INSPECTOR)
    citizen_case = Case.objects.get(citizen_report__isnull=False)
    for case in (inspector_case, citizen_case):
        response = get(client, f"requests/{case.tracking_number}")
        assert response.status_code == 404
        validate(response.json(), "errors")
    assert get(client, "requests/999", "xml").status_code == 404


def test_it_gives_the_request_id_for_a_token(client, populated):
    row = populated["closed"]
    body = get(client, f"tokens/{row.token}").json()
    validate(body, "tokens")
    assert body == [{"service_request_id": row.case.tracking_number, "token": row.token}]
    assert_same_in_xml(client, f"tokens/{row.token}", body, "service_requests")
    missing = get(client, "tokens/nope")
    assert missing.status_code == 404
    validate(missing.json(), "errors")


def test_it_validates_every_endpoint_against_the_schemas_on_a_populated_database(client, populated):
    services = get(client, "services").json()
    validate(services, "services")
    for service in services:
        validate(get(client, f"services/{service['service_code']}").json(), "service-definition")
    validate(get(client, "requests").json(), "requests")
    for row in populated.values():
        validate(get(client, f"requests/{row.case.tracking_number}").json(), "requests")
        validate(get(client, f"tokens/{row.token}").json(), "tokens")
    validate(get(client, "discovery").json(), "discovery")


def test_it_reads_the_list_in_a_fixed_number_of_queries(client, populated, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        get(client, "requests")
    api_key = ApiKey.objects.get()
    for _ in range(5):
        service_request_create(api_key=api_key, posted=posted(), media=BytesIO(phone_jpeg(colour=(1, 2, _))))
    with django_assert_max_num_queries(3):
        assert len(get(client, "requests").json()) == 9  # and the citizen's report


def test_it_answers_unknown_paths_formats_and_methods_in_the_error_format(client, city):
    response = client.get(f"{BASE}/services.yaml")
    assert response.status_code == 404
    validate(response.json(), "errors")
    assert parse_xml(client.get(f"{BASE}/nothing.xml").content).tag == "errors"
    response = client.put(f"{BASE}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    validate(response.json(), "errors")


def test_it_writes_well_formed_xml_whatever_the_client_posted(client, city, key):
    post(client, key, description="第一行\n<b>粗体</b> & \x01控制字符")
    case = Case.objects.get()
    tree = parse_xml(get(client, f"requests/{case.tracking_number}", "xml").content)
    assert tree.find("request/description").text == "第一行\n<b>粗体</b> & 控制字符"


def test_it_puts_a_posted_request_in_the_intake_clerks_queue(client, city, key):
    post(client, key)
    case = Case.objects.get()
    client.force_login(city["clerk"])
    assert case.tracking_number in client.get(reverse("cases:queue")).content.decode()


def test_it_answers_in_the_clients_accept_language(city):
    from django.test import Client

    with translation.override(None):
        english = Client().get("/open311/v2/services/E9999.json", headers={"accept-language": "en"})
        chinese = Client().get("/open311/v2/services/E9999.json")
    assert english.status_code == chinese.status_code == 404
    assert english.json()[0]["description"] != chinese.json()[0]["description"]
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()[0]["description"])
    assert not re.search(r"[\u4e00-\u9fff]", english.json()[0]["description"])
