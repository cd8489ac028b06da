"""The public 随手拍 page: a report from a phone into the intake queue, and everything that
must be refused (no photo, a fake photo, a point outside the city, too many reports)."""

import re
import uuid

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, CasePhoto, PhotoKind, Source, Status
from citizens.models import CitizenReport
from citizens.services import citizen_report
from tests.citizens.conftest import IN_M1, phone_jpeg, upload

pytestmark = pytest.mark.django_db
URL = "/citizen/"


def form(**extra):
    data = {
        "photo": upload(),
        "category": "sanitation",
        "description": "路边垃圾堆了三天",
        "phone": "138 0013-8000",
        "lat": str(IN_M1.y),
        "lng": str(IN_M1.x),
        "request_id": str(uuid.uuid4()),
    }
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()]


def test_it_shows_the_form_with_stable_field_names_and_local_assets(client, city):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("photo", "category", "description", "phone", "lat", "lng", "request_id"):
        assert f'name="{name}"' in html
    assert html.count('name="category"') == 6  # the six public categories
    assert 'enctype="multipart/form-data"' in html
    assert "/static/leaflet/leaflet.js" in html and "/static/js/citizen-report.js" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from a CDN
    assert 'name="viewport"' in html
    assert response["Cache-Control"].startswith("max-age=0")  # each render gets a fresh request id


def test_it_gives_each_rendering_a_new_request_id(client, city):
    ids = {re.search(r'name="request_id" value="([^"]+)"', client.get(URL).content.decode()).group(1) for _ in "ab"}
    assert len(ids) == 2


def test_it_takes_a_report_into_the_intake_queue_as_a_citizen_case(client, city, media):
    response = client.post(URL, form())
    report = CitizenReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("citizens:receipt", args=[report.code])
    case = report.case
    assert case.source == Source.CITIZEN and case.status == Status.REPORTED
    assert case.category is None  # the clerk files it under a subcategory
    assert case.description == "【环境卫生】路边垃圾堆了三天"
    assert case.reporter_phone == "13800138000"
    assert case.micro_grid == city["a"] and case.responsible == city["a"].chief
    assert report.public_category == "sanitation"
    photo = CasePhoto.objects.get(case=case)
    assert photo.kind == PhotoKind.BEFORE and photo.event == case.events.get(action="report")
    receipt = client.get(response["Location"]).content.decode()
    assert re.search(r'id="tracking-code">' + report.code + "<", receipt)


def test_it_makes_a_tracking_code_that_is_not_the_tracking_number(client, city):
    for _ in range(3):
        client.post(URL, form())
    reports = list(CitizenReport.objects.select_related("case"))
    assert len({report.code for report in reports}) == 3
    for report in reports:
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{10}", report.code)
        assert report.case.tracking_number not in report.code and not report.code.isdigit()


def test_it_takes_a_double_submitted_form_once(client, city):
    data = form()
    first = client.post(URL, data)
    data["photo"] = upload()  # the browser sends the file again
    second = client.post(URL, data)
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1 and CitizenReport.objects.count() == 1 and CasePhoto.objects.count() == 1


def test_it_refuses_a_point_outside_the_city_with_a_clear_message_and_stores_nothing(client, city, media):
    response = client.post(URL, form(lat="30.0", lng="120.0"))
    assert response.status_code == 200
    assert "outside the city" in response.content.decode()
    assert 'id="location-error"' in response.content.decode()
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0 and CasePhoto.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (None, "Take or choose a photo"),
        (upload(b"just some text, not a picture", name="fake.jpg"), "not an image"),
        (upload(b"GIF89a" + b"\x00" * 40, name="anim.gif", content_type="image/gif"), "not an image"),
    ],
)
def test_it_refuses_a_missing_or_fake_photo_and_stores_nothing(client, city, media, photo, message):
    response = client.post(URL, form(photo=photo))
    assert response.status_code == 200 and message in response.content.decode()
    assert Case.objects.count() == 0 and stored_files(media) == []


def test_it_refuses_a_photo_over_the_size_limit(client, city, settings, media):
    settings.PHOTO_MAX_BYTES = 1000
    response = client.post(URL, form(photo=upload(phone_jpeg(size=(800, 600)))))
    assert "too large" in response.content.decode()
    assert Case.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("category", "potholes", "Select a valid choice"),
        ("category", None, "Choose what kind of problem"),
        ("description", "", "Say in a few words"),
        ("description", "x" * 1001, "at most 1000 characters"),
        ("phone", "call me", "7 to 20 digits"),
        ("lat", None, "Set the location"),
        ("lng", "east", "Enter a number"),
    ],
)
def test_it_says_what_is_wrong_with_each_field(client, city, field, value, message):
    response = client.post(URL, form(**{field: value}))
    assert response.status_code == 200 and message in response.content.decode()
    assert Case.objects.count() == 0


def test_it_limits_reports_per_address(client, city, settings):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = 2
    assert [client.post(URL, form(phone="")).status_code for _ in range(2)] == [302, 302]
    refused = client.post(URL, form(phone=""))
    assert refused.status_code == 429 and "Too many reports from this network" in refused.content.decode()
    assert Case.objects.count() == 2
    other = client.post(URL, form(phone=""), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302 and Case.objects.count() == 3


def test_it_limits_reports_per_phone_number_however_it_is_written(client, city, settings):
    settings.CITIZEN_REPORTS_PER_PHONE_PER_DAY = 1
    assert client.post(URL, form(phone="13800138000")).status_code == 302
    refused = client.post(URL, form(phone="138-0013 8000"), REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429 and "this phone number" in refused.content.decode()
    assert client.post(URL, form(phone=""), REMOTE_ADDR="10.9.9.9").status_code == 302


def test_it_does_not_count_refused_or_repeated_reports_against_the_limit(client, city, settings):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = 1
    client.post(URL, form(lat="30.0", lng="120.0"))  # outside: refused
    data = form()
    assert client.post(URL, data).status_code == 302
    data["photo"] = upload()
    assert client.post(URL, data).status_code == 302  # the same form again: no second count, same receipt
    assert client.post(URL, form()).status_code == 429


def test_it_believes_forwarded_addresses_only_from_trusted_proxies(client, city, settings):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = 1
    assert client.post(URL, form(phone=""), HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 302
    # No trusted proxy: a forged header does not make a new address.
    assert client.post(URL, form(phone=""), HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.post(URL, form(phone=""), HTTP_X_FORWARDED_FOR="3.3.3.3").status_code == 302
    assert client.post(URL, form(phone=""), HTTP_X_FORWARDED_FOR="3.3.3.3").status_code == 429


def test_it_keeps_the_citizens_category_and_photo_with_the_service(city):
    report = citizen_report(
        point=IN_M1,
        public_category="municipal",
        description="井盖丢了",
        photo=upload(),
        client_ip="10.0.0.1",
        request_id=str(uuid.uuid4()),
    )
    assert report.case.description.startswith("【市政设施】")
    assert report.case.photos.count() == 1 and report.case.reporter_phone == ""


def test_it_puts_the_report_in_the_intake_clerks_queue(client, city):
    client.post(URL, form())
    case = Case.objects.get()
    client.force_login(city["clerk"])
    queue = client.get(reverse("cases:queue")).content.decode()
    assert case.tracking_number in queue
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "【环境卫生】路边垃圾堆了三天" in detail
