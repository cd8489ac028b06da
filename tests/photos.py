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


def with_after_photo(action: str, params: dict) -> dict:
    """`params` of case_transition, with a photo of the result added to a `handle` that has none."""
    if action == "handle" and not params.get("photos"):
        return {**params, "photos": [after_photo()]}
    return params
