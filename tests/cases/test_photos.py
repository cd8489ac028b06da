"""Case photos: checked before anything is stored, derivatives made by a task, no metadata shown.

Every image is made in memory with Pillow (or, for the decompression bombs, written as a
PNG by hand: a 1-bit image of zeros compresses to almost nothing).
"""

import struct
import zlib
from functools import cache
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image

from cases.models import CasePhoto, PhotoKind, PhotoStatus
from cases.photos import PhotoError, case_photo_add, photo_make_derivatives
from cases.tasks import make_photo_derivatives
from tests.cases.conftest import noise_jpeg
from tests.worker import broker_unreachable, wait_for

BLUE, RED = (0, 0, 255), (255, 0, 0)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the interface defaults to Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def case(city, report, media):
    return report()


def stored(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def image_bytes(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def phone_jpeg(size=(400, 300), *, orientation=6) -> bytes:
    """What a phone held upright sends: pixels stored sideways, EXIF orientation, GPS, a comment."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, 0, 40, 40))  # a mark in the stored top-left corner
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (34.0, 54.0, 18.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (118.0, 36.0, 18.0),
    }
    return image_bytes(image, "JPEG", exif=exif, comment=b"serial 0123456789")


def png_of_zeros(width: int, height: int) -> bytes:
    """A real 1-bit greyscale PNG of width × height black pixels, in a few kilobytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = bytes(1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@cache
def bomb() -> bytes:
    return png_of_zeros(20_000, 20_000)  # 400 megapixels (1.2 GB as RGB) in about 50 kB


def add(case, content: bytes, name: str = "photo.jpg", **extra) -> CasePhoto:
    extra.setdefault("kind", PhotoKind.BEFORE)
    return case_photo_add(case=case, file=SimpleUploadedFile(name, content), **extra)


def opened(field) -> Image.Image:
    with field.open("rb") as file:
        image = Image.open(BytesIO(file.read()))
        image.load()
    return image


def refused(case, content: bytes, name: str = "photo.jpg") -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        add(case, content, name)
    return caught.value


# Adding and deriving ------------------------------------------------------------------------


def test_it_stores_the_original_as_sent_under_a_random_name(case, media, django_capture_on_commit_callbacks):
    content = phone_jpeg()
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, content, name="张三家门口.JPG")
    photo.refresh_from_db()
    assert photo.original.name.startswith("cases/photos/") and photo.original.name.endswith(".jpg")
    assert "张三" not in photo.original.name and "original" not in Path(photo.original.name).name
    with photo.original.open("rb") as file:
        assert file.read() == content  # kept for the record, GPS included
    assert opened(photo.original).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert (photo.content_type, photo.size_bytes, len(photo.sha256)) == ("image/jpeg", len(content), 64)
    assert (photo.case, photo.kind, photo.uploaded_by, photo.event) == (case, PhotoKind.BEFORE, None, None)
    names = {Path(photo.original.name).name, Path(photo.display.name).name, Path(photo.thumbnail.name).name}
    assert len(names) == 3  # each file named at random, not after the original


def test_it_turns_the_display_upright_and_strips_every_metadata(case, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, phone_jpeg(size=(400, 300), orientation=6))
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert (photo.width, photo.height) == (300, 400)  # as seen, not as stored
    for field in (photo.display, photo.thumbnail):
        image = opened(field)
        assert image.format == "JPEG" and image.mode == "RGB"
        assert len(image.getexif()) == 0
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(image.info)
        with field.open("rb") as file:
            raw = file.read()
        assert b"Exif" not in raw and b"PhoneMaker" not in raw and b"serial" not in raw
    display = opened(photo.display)
    assert display.size == (300, 400)
    # Orientation 6: the stored image is turned a quarter clockwise, its top-left corner goes top-right.
    red, green, blue = display.getpixel((display.width - 10, 10))
    assert blue > 200 and red < 60


def test_it_flattens_a_transparent_png_onto_white(case, media, django_capture_on_commit_callbacks):
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 100, 100))
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, image_bytes(image, "PNG"), name="drawing.png")
    photo.refresh_from_db()
    assert photo.original.name.endswith(".png") and photo.content_type == "image/png"
    display = opened(photo.display)
    assert display.format == "JPEG" and display.mode == "RGB" and display.size == (200, 100)
    assert min(display.getpixel((150, 50))) > 245  # was transparent: white
    red, green, blue = display.getpixel((50, 50))
    assert red > 240 and green < 20 and blue < 20


def test_it_accepts_webp(case, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, image_bytes(Image.new("RGB", (50, 40), RED), "WEBP"), name="x.webp")
    photo.refresh_from_db()
    assert (photo.content_type, photo.status, opened(photo.display).size) == ("image/webp", PhotoStatus.READY, (50, 40))


def test_it_shrinks_the_display_to_1600_and_the_thumbnail_to_320_px(case, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, image_bytes(Image.new("RGB", (2000, 1000), RED), "JPEG"))
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (2000, 1000)
    assert opened(photo.display).size == (1600, 800)
    assert opened(photo.thumbnail).size == (320, 160)


def test_it_links_the_photo_to_its_event_and_uploader(city, case, media):
    event = case.events.get(action="report")
    photo = add(case, noise_jpeg(), kind=PhotoKind.AFTER, actor=city["handler"], event=event)
    assert (photo.kind, photo.uploaded_by, photo.event) == (PhotoKind.AFTER, city["handler"], event)
    assert list(case.photos.all()) == [photo] and list(event.photos.all()) == [photo]


def test_it_keeps_one_row_for_the_same_photo_sent_twice(case, media):
    content = noise_jpeg()
    first = add(case, content)
    again = add(case, content, name="retry.jpg", kind=PhotoKind.AFTER)
    assert again.pk == first.pk and CasePhoto.objects.count() == 1
    assert len(stored(media)) == 1  # the second file was never written


def test_it_stores_the_same_photo_for_two_cases(case, report, media):
    content = noise_jpeg()
    add(case, content)
    add(report(), content)
    assert CasePhoto.objects.count() == 2


def test_it_reads_a_file_object_without_a_size(case, media):
    photo = case_photo_add(case=case, file=BytesIO(noise_jpeg()), kind=PhotoKind.BEFORE)
    assert photo.status == PhotoStatus.PENDING and photo.original.name.endswith(".jpg")


# Refusing -----------------------------------------------------------------------------------


def assert_nothing_stored(media: Path) -> None:
    assert CasePhoto.objects.count() == 0
    assert stored(media) == []


def test_it_refuses_a_decompression_bomb_and_stores_nothing(case, media):
    assert len(bomb()) < 200_000
    error = refused(case, bomb(), "bomb.png")
    assert error.code == "too_many_pixels" and "40" in error.message
    assert_nothing_stored(media)


def test_it_refuses_more_pixels_than_the_limit(case, media):
    error = refused(case, png_of_zeros(8000, 6000), "big.png")  # 48 MP: under Pillow's limit, over ours
    assert error.code == "too_many_pixels" and "8000 × 6000" in error.message
    assert_nothing_stored(media)


def test_it_refuses_a_text_file_named_jpg(case, media):
    error = refused(case, b"This is not a photo, only text.\n" * 20, "photo.jpg")
    assert error.code == "not_an_image"
    assert_nothing_stored(media)


def test_it_refuses_a_damaged_png(case, media):
    content = bytearray(image_bytes(Image.new("RGB", (60, 40), RED), "PNG"))
    content[-30] ^= 0xFF  # a flipped byte in the image data: the checksum no longer matches
    assert refused(case, bytes(content), "photo.png").code == "not_an_image"
    assert_nothing_stored(media)


def test_it_refuses_an_empty_file(case, media):
    assert refused(case, b"").code == "empty"
    assert_nothing_stored(media)


def test_it_refuses_a_file_over_the_size_limit(case, media, settings):
    settings.PHOTO_MAX_BYTES = 1000
    content = noise_jpeg()
    assert len(content) > 1000
    error = refused(case, content)
    assert error.code == "too_large" and "1000" in error.message
    assert_nothing_stored(media)
    # a file object that does not tell its size is read no further than the limit
    with pytest.raises(PhotoError, match="1000"):
        case_photo_add(case=case, file=BytesIO(content), kind=PhotoKind.BEFORE)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_it_refuses_a_format_it_does_not_accept(case, media, fmt):
    error = refused(case, image_bytes(Image.new("RGB", (40, 30), RED), fmt), "photo.jpg")
    assert error.code == "unsupported_format" and fmt in error.message and "JPEG" in error.message
    assert_nothing_stored(media)


def test_it_names_heic_when_no_plugin_reads_it(case, media):
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is installed here")
    content = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200)
    error = refused(case, content, "IMG_0001.HEIC")
    assert error.code == "unsupported_format" and "HEIC" in error.message
    assert_nothing_stored(media)


def test_it_refuses_an_unknown_kind_or_another_cases_event(case, report, media):
    with pytest.raises(PhotoError, match="kind"):
        add(case, noise_jpeg(), kind="during")
    other = report()
    with pytest.raises(PhotoError, match="another case"):
        add(case, noise_jpeg(), event=other.events.get())
    assert_nothing_stored(media)


# The task -----------------------------------------------------------------------------------


def test_it_makes_the_derivatives_once(case, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        photo = add(case, phone_jpeg())
    assert len(callbacks) == 1
    photo.refresh_from_db()
    files = stored(media)
    assert photo.status == PhotoStatus.READY and len(files) == 3
    assert make_photo_derivatives(photo.pk) is None  # a broker delivering the task again
    assert photo_make_derivatives(photo_id=photo.pk) is None
    again = CasePhoto.objects.get(pk=photo.pk)
    assert (again.display.name, again.thumbnail.name) == (photo.display.name, photo.thumbnail.name)
    assert stored(media) == files


def test_it_waits_for_the_commit_to_make_the_derivatives(case, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photo = add(case, noise_jpeg())
    assert len(callbacks) == 1
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.PENDING and not photo.display and not photo.thumbnail
    assert make_photo_derivatives(photo.pk) == PhotoStatus.READY


def test_it_marks_a_photo_it_cannot_decode_as_failed(case, media, caplog):
    content = phone_jpeg(size=(800, 600))
    truncated = content[: len(content) // 2]  # the header is intact: accepted, and broken
    photo = add(case, truncated)
    assert make_photo_derivatives(photo.pk) == PhotoStatus.FAILED
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.FAILED and not photo.display and not photo.thumbnail
    assert f"photo {photo.pk}" in caplog.text and "truncated" in caplog.text
    assert make_photo_derivatives(photo.pk) is None  # not tried again


def test_it_marks_a_photo_whose_original_is_gone_as_failed(case, media, caplog):
    photo = add(case, noise_jpeg())
    Path(photo.original.path).unlink()
    assert make_photo_derivatives(photo.pk) == PhotoStatus.FAILED
    assert "FileNotFoundError" in caplog.text


def test_it_keeps_the_photo_pending_when_the_broker_is_down(case, media, django_capture_on_commit_callbacks, caplog):
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        photo = add(case, noise_jpeg())
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.PENDING and photo.original
    assert "not handed to the broker" in caplog.text


def test_the_sweep_hands_over_photos_left_pending_once_the_broker_is_back(
    case, media, django_capture_on_commit_callbacks
):
    from cases.photos import PENDING_GRACE, photos_sweep

    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        photo = add(case, noise_jpeg())
    assert photos_sweep(now=photo.created_at + PENDING_GRACE / 2) == 0  # too recent: its task may be on its way
    assert photos_sweep(now=photo.created_at + PENDING_GRACE) == 1  # eager here: made at once
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY and photo.thumbnail
    assert photos_sweep(now=photo.created_at + PENDING_GRACE * 3) == 0


# Admin --------------------------------------------------------------------------------------


def test_it_previews_the_thumbnail_never_the_original_in_the_admin(
    case, media, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = add(case, phone_jpeg())
    photo.refresh_from_db()
    page = admin_client.get("/admin/cases/casephoto/").content.decode()
    assert photo.thumbnail.url in page and photo.original.url not in page
    detail = admin_client.get(f"/admin/cases/casephoto/{photo.pk}/change/")
    assert detail.status_code == 200 and photo.thumbnail.url in detail.content.decode()
    assert admin_client.get("/admin/cases/casephoto/add/").status_code == 403


# A real worker ------------------------------------------------------------------------------


@pytest.fixture
def worker(media, celery_worker_process):
    """A real worker whose MEDIA_ROOT is this test's (`media` sets it in the environment first)."""
    return celery_worker_process


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_makes_the_derivatives_in_a_real_worker(worker, case, media):
    photo = add(case, phone_jpeg(size=(400, 300)))  # autocommit: queued at once

    def ready():
        return CasePhoto.objects.filter(pk=photo.pk, status=PhotoStatus.READY).first()

    done = wait_for(ready, timeout=15)
    assert done is not None, worker.output()
    assert "cases.tasks.make_photo_derivatives[" in worker.output()
    display = opened(done.display)
    assert display.size == (300, 400) and len(display.getexif()) == 0
    assert (media / done.thumbnail.name).is_file()
