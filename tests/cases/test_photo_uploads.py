"""Photos sent with a report and with handling: intake page, action forms, API."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cases.models import Case, CaseEvent, CasePhoto, PhotoKind, Status
from cases.services import InvalidInput, case_transition
from tests.cases.conftest import IN_M1, noise_jpeg
from tests.cases.test_api import dispatched


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def jpeg(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, noise_jpeg(), content_type="image/jpeg")


def fake(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<html>not an image</html>", content_type="image/jpeg")


def files_in(media):
    return [path for path in media.rglob("*") if path.is_file()]


def intake_form(city, **extra) -> dict:
    return {
        "lon": IN_M1.x,
        "lat": IN_M1.y,
        "category": city["garbage"].pk,
        "urgency": "normal",
        "source": "inspector",
        "description": "垃圾",
        "request_id": str(uuid.uuid4()),
        **extra,
    }


def test_the_intake_page_stores_the_reports_photos(client, city, media):
    client.force_login(city["inspector"])
    response = client.post("/cases/new/", intake_form(city, photos=[jpeg(), jpeg()]))
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    photos = list(CasePhoto.objects.filter(case=case))
    assert len(photos) == 2 and {p.kind for p in photos} == {PhotoKind.BEFORE}
    assert {p.event.action for p in photos} == {"report"}
    assert {p.uploaded_by for p in photos} == {city["inspector"]}


def test_the_intake_page_refuses_a_fake_photo_and_takes_in_nothing(client, city, media):
    client.force_login(city["inspector"])
    response = client.post("/cases/new/", intake_form(city, photos=[jpeg(), fake()]))
    assert response.status_code == 200
    assert "2: 该文件不是图片" in " ".join(response.context["form"].errors["photos"])  # pages are Chinese first
    assert not Case.objects.exists() and not CasePhoto.objects.exists() and files_in(media) == []


def test_the_service_refuses_a_report_whose_photo_is_refused(city, report, media):
    with pytest.raises(InvalidInput, match="not an image"):
        report(photos=[fake()])
    assert not Case.objects.exists() and files_in(media) == []


def test_the_service_takes_photos_only_with_handling(city, report, media):
    case = report()
    with pytest.raises(InvalidInput, match="Photos cannot be sent"):
        case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"], photos=[jpeg()])
    case.refresh_from_db()
    assert case.status == Status.REPORTED and files_in(media) == []


def test_a_stale_handling_stores_no_photo(city, report, media):
    from cases.services import StaleAction

    case = dispatched(city, report)
    with pytest.raises(StaleAction):
        case_transition(
            case_id=case.pk, action="handle", actor=city["handler"], note="ok", expected_status=Status.FILED,
            photos=[jpeg()],
        )  # fmt: skip
    assert not CasePhoto.objects.exists() and files_in(media) == []


def test_a_repeated_handling_stores_its_photo_once(city, report, media):
    case = dispatched(city, report)
    content, request_id = noise_jpeg(), str(uuid.uuid4())
    for _ in range(2):
        photo = SimpleUploadedFile("after.jpg", content, content_type="image/jpeg")
        case_transition(
            case_id=case.pk, action="handle", actor=city["handler"], note="ok", request_id=request_id, photos=[photo]
        )
    assert CasePhoto.objects.filter(case=case, kind=PhotoKind.AFTER).count() == 1
    assert len(files_in(media)) == 1  # the original (derivatives come from the task, eager here after commit)


def test_the_api_takes_a_report_with_photos_as_multipart(client, city, media):
    client.force_login(city["inspector"])
    data = {"lon": IN_M1.x, "lat": IN_M1.y, "source": "inspector", "photos": [jpeg(), jpeg()]}
    response = client.post("/api/cases/", data)
    assert response.status_code == 201, response.json()
    assert CasePhoto.objects.filter(case_id=response.json()["id"], kind=PhotoKind.BEFORE).count() == 2


def test_the_api_refuses_a_report_with_a_fake_photo(client, city, media):
    client.force_login(city["inspector"])
    data = {"lon": IN_M1.x, "lat": IN_M1.y, "source": "inspector", "photos": [fake()]}
    response = client.post("/api/cases/", data, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "not an image" in response.json()["error"]["message"]
    assert not Case.objects.exists() and files_in(media) == []


def test_the_api_handles_with_photos(client, city, report, media):
    case = dispatched(city, report)
    client.force_login(city["handler"])
    response = client.post(f"/api/cases/{case.pk}/actions/handle/", {"note": "已清运", "photos": [jpeg()]})
    assert response.status_code == 200 and response.json()["status"] == Status.HANDLED
    photo = CasePhoto.objects.get(case=case)
    assert photo.kind == PhotoKind.AFTER and photo.event == CaseEvent.objects.get(case=case, action="handle")


def test_the_api_asks_for_an_extension_with_an_amount(client, city, report):
    case = dispatched(city, report)
    client.force_login(city["handler"])
    url = f"/api/cases/{case.pk}/actions/request_extension/"
    response = client.post(url, {"note": "需要更多时间", "amount": "2", "unit": "working_days"}, "application/json")
    assert response.status_code == 200, response.json()
    asked = CaseEvent.objects.get(case=case, action="request_extension").payload
    assert asked == {"amount": "2.00", "unit": "working_days"}


def test_the_api_refuses_an_extension_without_an_amount(client, city, report):
    case = dispatched(city, report)
    client.force_login(city["handler"])
    url = f"/api/cases/{case.pk}/actions/request_extension/"
    response = client.post(url, {"note": "需要更多时间"}, "application/json", headers={"accept-language": "en"})
    assert response.status_code == 400 and "how much more time" in response.json()["error"]["message"]
    assert not CaseEvent.objects.filter(case=case, action="request_extension").exists()


def test_the_api_asks_for_a_new_deadline(client, city, report):
    case = dispatched(city, report)
    client.force_login(city["handler"])
    url = f"/api/cases/{case.pk}/actions/request_extension/"
    deadline = "2026-11-25T17:00:00+08:00"
    response = client.post(url, {"note": "材料未到", "deadline": deadline}, "application/json")
    assert response.status_code == 200, response.json()
    assert CaseEvent.objects.get(case=case, action="request_extension").payload == {"deadline": deadline}
