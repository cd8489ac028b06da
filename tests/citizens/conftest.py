"""The lifecycle personas (tests.cases.conftest), media in a temporary folder, photos made in memory."""

from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image

from cases.models import Status
from cases.services import case_transition
from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401  (fixtures)
from tests.photos import with_after_photo

__all__ = ["IN_M1", "NOW"]


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in English: the pages follow the language cookie only."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def phone_jpeg(size=(400, 300), colour=(200, 30, 30)) -> bytes:
    """A photo as a phone sends it: with GPS coordinates and the phone's make in its EXIF."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (34.0, 54.0, 18.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (118.0, 36.0, 18.0),
    }
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(data: bytes | None = None, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else phone_jpeg(), content_type=content_type)


def walk_to_closed(case, people, *, after_photo: bytes | None = None):
    """File, dispatch, approve, handle (with an after-photo), and close: whichever way the
    transition table closes a handled case (directly, or check passed and then 结案)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import CasePhoto, PhotoKind
    from cases.photos import photo_make_derivatives

    def act(action, user, **kwargs):
        return case_transition(
            case_id=case.pk,
            action=action,
            actor=user,
            note="内部备注：张三 13900001111",
            **with_after_photo(action, kwargs),
        )

    act("file", people["clerk"], category=people["garbage"])
    current = act("dispatch", people["dispatcher"])
    if current.status == Status.PENDING_APPROVAL:
        act("approve", people["chief"])
    if after_photo is not None:
        act("handle", people["handler"], photos=[SimpleUploadedFile("after.jpg", after_photo, "image/jpeg")])
        photo = CasePhoto.objects.get(case=case, kind=PhotoKind.AFTER)
        photo_make_derivatives(photo_id=photo.pk)
    else:
        act("handle", people["handler"])
    act("send_to_check", people["dispatcher"])
    current = act("check_pass", people["inspector"])
    if current.status != Status.CLOSED:
        current = act("close", people["leader"])
    assert current.status == Status.CLOSED
    return current
