"""One upload never costs the server more than about 100 MB (issue 11, item 9).

A PNG of 6300 × 6300 pixels compresses to about 131 KB and is under the 40-megapixel limit, but
decoded it takes 159 MB (Pillow holds RGB as four bytes a pixel), more with each copy: posted to
/citizen/ without a login, it once took the server from 139 to 790 MB. Each case posts an image
from a process of its own (tests/security/memory_probe.py) and measures that process's peak
memory against what it held just before the post.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from io import BytesIO

import pytest
from django.conf import settings
from PIL import Image

from cases.models import Case, CasePhoto, PhotoStatus
from cases.photos import PhotoError, photo_check
from tests.security.conftest import IN_M1
from tests.worker import _database_url

MB = 1024 * 1024
BUDGET = 100 * MB


def png_bomb(side: int = 6300) -> bytes:
    """A valid RGB PNG of side × side black pixels, written row by row (never held decoded)."""
    raw = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * side)  # filter byte, then the pixels
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def big_jpeg(side: int = 6300) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (side, side), (120, 90, 60)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def probe(tmp_path, data: bytes, name: str, content_type: str) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SECRET_KEY", "PII_KEYS") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.memory_probe", str(path), content_type],
        cwd=settings.BASE_DIR,
        env={
            **keep,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "1",  # embedded: the display copies are made in this same process, as on one machine
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "LOG_FORMAT": "plain",
            "PROBE_LAT": str(IN_M1.y),
            "PROBE_LNG": str(IN_M1.x),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["warm_status"] == 302, result.stderr[-3000:]
    answer["cost"] = answer["peak"] - answer["before"]
    return answer


def test_the_bomb_is_small_and_under_the_pixel_limit():
    bomb = png_bomb()
    assert len(bomb) < 200 * 1024
    with Image.open(BytesIO(bomb)) as image:
        assert image.size == (6300, 6300) and settings.PHOTO_MAX_PIXELS >= 6300 * 6300


@pytest.mark.django_db(transaction=True)
def test_a_png_bomb_posted_to_the_citizens_page_costs_under_100_mb_and_is_refused(city, tmp_path):
    answer = probe(tmp_path, png_bomb(), "bomb.png", "image/png")
    assert answer["status"] == 200  # the form again, saying why
    assert answer["cost"] < BUDGET, f"{answer['cost'] / MB:.0f} MB"
    assert Case.objects.count() == 1  # the warm-up's only


@pytest.mark.django_db(transaction=True)
def test_a_40_megapixel_jpeg_is_taken_and_reduced_under_100_mb(city, tmp_path):
    answer = probe(tmp_path, big_jpeg(), "big.jpg", "image/jpeg")
    assert answer["status"] == 302
    assert answer["cost"] < BUDGET, f"{answer['cost'] / MB:.0f} MB"
    photo = CasePhoto.objects.order_by("pk").last()
    assert (photo.width, photo.height) == (6300, 6300) and photo.status == PhotoStatus.READY
    with Image.open(tmp_path / "media" / photo.display.name) as display:
        assert display.size == (1600, 1600)


def test_a_png_too_large_to_decode_is_refused_with_a_message():
    with pytest.raises(PhotoError) as refused:
        photo_check(BytesIO(png_bomb(4000)))
    assert refused.value.code == "too_many_pixels" and "send a JPEG" in refused.value.message
    photo_check(BytesIO(png_bomb(2000)))  # 4 megapixels: taken


def test_pillow_itself_refuses_more_than_the_pixel_limit_anywhere():
    assert Image.MAX_IMAGE_PIXELS == settings.PHOTO_MAX_PIXELS
