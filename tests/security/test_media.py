"""Uploaded files go through cases.media (issue 11, item 10): an original photo, EXIF and GPS
included, only to a user who may see its case; its clean copies to anyone with their address;
nothing else under MEDIA_ROOT. In production nginx sends the bytes (X-Accel-Redirect)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

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
