"""Uploaded files go through cases.media (issue 11, item 10): an original photo, EXIF and GPS
included, only to a user who may see its case; its clean copies to anyone with their address;
nothing else under MEDIA_ROOT. In production nginx sends the bytes (X-Accel-Redirect)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases.models import CasePhoto
from cases.photos import case_photo_add, photo_make_derivatives
from tests.citizens.conftest import phone_jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(report):
    case = report()
    photo = case_photo_add(case=case, file=SimpleUploadedFile("p.jpg", phone_jpeg()), kind="before")
    return photo_make_derivatives(photo_id=photo.pk) or CasePhoto.objects.get(pk=photo.pk)


def url(name: str) -> str:
    return "/media/" + name


def test_an_original_is_refused_to_anyone_who_may_not_see_its_case(client, city, photo):
    assert client.get(url(photo.original.name)).status_code == 404  # no login
    client.force_login(city["outsider"])
    assert client.get(url(photo.original.name)).status_code == 404
    client.force_login(city["other_handler"])  # another department's handler
    assert client.get(url(photo.original.name)).status_code == 404


def test_an_original_is_sent_to_staff_who_see_the_case_and_kept_by_nobody(client, city, photo):
    client.force_login(city["supervisor"])
    response = client.get(url(photo.original.name))
    assert response.status_code == 200
    sent = b"".join(response.streaming_content)
    assert b"PhoneMaker" in sent and sent == photo.original.open("rb").read()  # byte for byte, EXIF and all
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"


def test_the_clean_copies_are_sent_to_anyone_with_their_address(client, city, photo):
    for name in (photo.display.name, photo.thumbnail.name):
        response = client.get(url(name))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"PhoneMaker" not in b"".join(response.streaming_content)  # no EXIF


def test_nothing_else_under_media_is_served(client, city, photo, media, make_user):
    (media / "exports").mkdir()
    (media / "exports" / "table.xlsx").write_bytes(b"secret")
    client.force_login(city["supervisor"])
    for path in ("exports/table.xlsx", "cases/photos/none.jpg", "../etc/passwd", "cases/../exports/table.xlsx"):
        assert client.get(url(path)).status_code == 404, path


def test_production_lets_nginx_send_the_bytes(client, city, photo, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    client.force_login(city["supervisor"])
    response = client.get(url(photo.original.name))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/protected-media/" + photo.original.name
    client.logout()
    assert client.get(url(photo.original.name)).status_code == 404
    assert "X-Accel-Redirect" not in client.get(url(photo.original.name))


# ---- every original sent is audited (case.photo_viewed) -----------------------------------


def photo_views():
    return AuditEvent.objects.filter(action="case.photo_viewed")


def test_an_original_sent_is_a_row_of_the_audit_log(client, city, photo):
    before = set(photo_views().values_list("pk", flat=True))  # the log outlives tests
    client.force_login(city["supervisor"])
    assert client.get(url(photo.original.name), HTTP_USER_AGENT="TestBrowser").status_code == 200
    rows = list(photo_views().exclude(pk__in=before))
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor_id, row.actor_username, row.result) == (city["supervisor"].pk, "supervisor", "ok")
    assert (row.object_type, row.object_id, row.object_label) == (
        "cases.case", str(photo.case_id), photo.case.tracking_number
    )  # fmt: skip
    assert row.details == {"photo": photo.pk, "kind": "before"} and row.user_agent == "TestBrowser"


def test_an_original_sent_by_nginx_is_audited_too(client, city, photo, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    before = photo_views().count()
    client.force_login(city["supervisor"])
    assert client.get(url(photo.original.name)).status_code == 200
    assert photo_views().count() == before + 1


def test_no_row_for_a_refused_original_its_clean_copies_or_a_head(client, city, photo):
    before = photo_views().count()
    assert client.get(url(photo.original.name)).status_code == 404  # no login
    client.force_login(city["other_handler"])  # may not see the case
    assert client.get(url(photo.original.name)).status_code == 404
    client.force_login(city["supervisor"])
    for name in (photo.display.name, photo.thumbnail.name):  # public copies, no metadata
        assert client.get(url(name)).status_code == 200
    assert client.head(url(photo.original.name)).status_code == 200  # no bytes sent
    assert photo_views().count() == before


def test_a_missing_original_file_is_not_audited(client, city, photo):
    before = photo_views().count()
    photo.original.storage.delete(photo.original.name)
    client.force_login(city["supervisor"])
    assert client.get(url(photo.original.name)).status_code == 404
    assert photo_views().count() == before
