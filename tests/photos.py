"""Photos for tests: real JPEGs, as a phone would send them."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def noise_jpeg(size=(64, 48)) -> bytes:
    """A real JPEG, different every time (so two are never the same photo)."""
    buffer = BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def after_photo(name: str = "after.jpg") -> SimpleUploadedFile:
    """A photo of the result, which reporting a case handled needs."""
    return SimpleUploadedFile(name, noise_jpeg(), content_type="image/jpeg")


# The actions that take a photo: reporting handled (the result), checking on site (passed or failed).
WITH_PHOTO = ("handle", "check_pass", "check_fail")


def with_after_photo(action: str, params: dict) -> dict:
    """`params` of case_transition, with a photo added to an action that needs one and has none:
    the result with `handle`, one taken on site with `check_pass` and `check_fail`."""
    if action in WITH_PHOTO and not params.get("photos"):
        return {**params, "photos": [after_photo("onsite.jpg" if action != "handle" else "after.jpg")]}
    return params
