"""Photos of a case (DESIGN.md §3.5): checked, stored, and made safe to show by a worker.

The flow, and why:

1. `case_photo_add` checks the upload before anything is stored: its size, that it is an image
   Pillow can read, in an accepted format (JPEG, PNG, WebP; HEIC only where a Pillow plugin
   such as pillow-heif is installed), and its pixel count, read from the header before any
   pixel is decoded, so that a small file that would unpack into gigabytes (a decompression
   bomb) is refused; and what its pixels would take in memory once decoded: a JPEG is decoded
   at a reduced scale that still covers the display copy (Pillow's draft: 1/2, 1/4, 1/8), a PNG
   or WebP cannot be and is refused above PHOTO_DECODE_MAX_BYTES (a 131 KB PNG of 6300 × 6300
   pixels would take 159 MB), so that one upload never costs the server more than about
   100 MB. A refusal is a PhotoError naming the reason, and nothing is stored.
2. It stores the original byte for byte under a random name, writes the row (pending) and,
   once the transaction commits, queues cases.tasks.make_photo_derivatives. The same photo
   sent twice for one case (a retried upload) gives the row of the first.
3. The task calls `photo_make_derivatives`: the original is decoded, turned upright by its
   EXIF orientation, converted to sRGB, flattened on white, and written as two new JPEGs
   (display ≤ 1,600 px, thumbnail ≤ 320 px; the decoded pixels are reduced to the display size
   first, so no full-size copy is ever made of them) from the pixels alone: no EXIF, GPS, XMP,
   comment or colour profile reaches them. The row becomes ready by a conditional UPDATE, so
   a second run (a broker redelivering, two workers) changes nothing. An original that
   cannot be decoded makes the row failed, with the reason in the log.

Status changes of the case are not made here: they go through cases.services.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import struct
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from cases.models import Case, CaseEvent, CasePhoto, PhotoKind, PhotoStatus
from config.broker import publish

logger = logging.getLogger(__name__)

# Pillow format → (content type, file extension) of what is accepted.
ACCEPTED = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
# Accepted only where a Pillow plugin has registered them (none is installed by default).
WITH_PLUGIN = {"HEIF": ("image/heic", ".heic")}
# ISO-BMFF brands of HEIC/HEIF files (iPhones), to name them when no plugin reads them.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
PHOTOS_MAX = 9  # per report or action, as the phone apps allow
DISPLAY_SIZE = 1600  # px, the long side at most
THUMBNAIL_SIZE = 320
JPEG_QUALITY = 85
# What Pillow raises on a file it cannot decode (a truncated or corrupt file, a bad chunk).
DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,  # when warnings are turned into errors
)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoError(ValueError):
    """A photo that is refused; `message` says why (translated), `code` is for API clients."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    format: str
    content_type: str
    extension: str
    width: int  # as seen: after the EXIF orientation
    height: int
    sha256: str


def accepted_formats() -> dict[str, tuple[str, str]]:
    """ACCEPTED, plus HEIC when a Pillow plugin reads it here."""
    Image.init()
    return {**ACCEPTED, **{name: kind for name, kind in WITH_PLUGIN.items() if name in Image.OPEN}}


# Adding -----------------------------------------------------------------------------------


def case_photo_add(
    *,
    case: Case,
    file: IO[bytes],
    kind: str,
    actor=None,
    event: CaseEvent | None = None,
    now: datetime.datetime | None = None,
    checked: CheckedPhoto | None = None,
) -> CasePhoto:
    """Check and store a photo of a case; its display image and thumbnail are made after commit.

    `file`: an uploaded file, or any binary file object. Raises PhotoError, with nothing
    stored, for a file that is too large, not an image, of a format not accepted or of too
    many pixels. The same photo (same bytes) sent again for the case returns the first row.
    """
    if kind not in PhotoKind.values:
        raise PhotoError(_("Unknown photo kind %(kind)r.") % {"kind": kind})
    if event is not None and event.case_id != case.pk:
        raise PhotoError(_("The event belongs to another case."))
    checked = checked or photo_check(file)  # `checked`: photo_check's answer for `file`, if the caller has it
    existing = CasePhoto.objects.filter(case=case, sha256=checked.sha256).first()
    if existing is not None:
        return existing
    photo = CasePhoto(
        case=case,
        kind=kind,
        width=checked.width,
        height=checked.height,
        content_type=checked.content_type,
        size_bytes=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        event=event,
        created_at=now or timezone.now(),
    )
    # The name given here only lends its extension: models.photos.photo_path makes a random one.
    photo.original.save(f"original{checked.extension}", ContentFile(checked.data), save=False)
    try:
        with transaction.atomic():
            photo.save()
    except IntegrityError:
        photo.original.delete(save=False)
        existing = CasePhoto.objects.filter(case=case, sha256=checked.sha256).first()
        if existing is not None:  # the same photo, sent twice at once: the other one won
            return existing
        raise
    transaction.on_commit(lambda: photo_enqueue(photo_id=photo.pk))
    return photo


def photo_check(file: IO[bytes]) -> CheckedPhoto:
    """Read and check an upload without decoding its pixels. Raises PhotoError."""
    limit = settings.PHOTO_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large(size, limit)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)  # never more than the limit into memory
    if len(data) > limit:
        raise _too_large(len(data), limit)
    if not data:
        raise PhotoError(_("The photo is empty."), code="empty")
    formats = accepted_formats()
    try:
        # Only the accepted formats' parsers ever see the file.
        with Image.open(BytesIO(data), formats=list(formats)) as image:
            _check_pixels(*image.size)  # from the header, before any pixel is decoded
            image.verify()
        with Image.open(BytesIO(data), formats=list(formats)) as image:  # verify() leaves it unusable
            name, (width, height) = image.format, image.size
            _check_decoding(image)  # from the header: still no pixel decoded
            orientation = _orientation(image)  # a PNG's EXIF may follow its pixels: within the limit just checked
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # Pillow's own limit, in open()
        raise PhotoError(
            _("The image has too many pixels: the limit is %(limit)s megapixels.") % {"limit": _megapixels()},
            code="too_many_pixels",
        ) from None
    except UnidentifiedImageError:
        raise _not_accepted(data, formats) from None
    except DECODE_ERRORS:
        raise PhotoError(_("The file is not an image, or it is damaged."), code="not_an_image") from None
    if orientation in (5, 6, 7, 8):  # turned by a quarter: the sides swap once upright
        width, height = height, width
    content_type, extension = formats[name]
    return CheckedPhoto(
        data=data,
        format=name,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _too_large(size: int, limit: int) -> PhotoError:
    return PhotoError(
        _("The photo is too large (%(size)s); the limit is %(limit)s.")
        % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
        code="too_large",
    )


def _megapixels() -> str:
    return f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g}"


def _check_pixels(width: int, height: int) -> None:
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise PhotoError(
            _("The image has too many pixels (%(width)d × %(height)d): the limit is %(limit)s megapixels.")
            % {"width": width, "height": height, "limit": _megapixels()},
            code="too_many_pixels",
        )


# Bytes per pixel as Pillow holds them once decoded (RGB is held as RGBX: four), plus the
# full-size copy `derivatives` makes to convert a palette, 1-bit or 16-bit image before reducing it.
_BYTES_PER_PIXEL = {"L": 1, "1": 1 + 1, "P": 1 + 4, "I;16": 2 + 4 + 1, "I;16B": 2 + 4 + 1, "I;16L": 2 + 4 + 1}


def _decoding_cost(image: Image.Image) -> int:
    """What `image`'s pixels take in memory once decoded at the scale `derivatives` asks for,
    with the copy made to convert a palette, 1-bit or 16-bit image before it is reduced."""
    image.draft("RGB", _target(image.size))  # JPEG: decoded at 1/2, 1/4 or 1/8 scale (only the header is read)
    width, height = image.size
    return width * height * _BYTES_PER_PIXEL.get(image.mode, 4)


def _check_decoding(image: Image.Image) -> None:
    limit = settings.PHOTO_DECODE_MAX_BYTES
    if _decoding_cost(image) > limit:
        side = int((limit / 4) ** 0.5)
        raise PhotoError(
            _(
                "The image has too many pixels for its format (%(width)d × %(height)d): a %(format)s image can be "
                "at most about %(side)d × %(side)d pixels; send a JPEG or a smaller image."
            )
            % {"width": image.size[0], "height": image.size[1], "format": image.format, "side": side},
            code="too_many_pixels",
        )


def _target(size: tuple[int, int]) -> tuple[int, int]:
    """The size of the display copy of an image of `size` (the long side DISPLAY_SIZE at most)."""
    width, height = size
    scale = min(1.0, DISPLAY_SIZE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(image: Image.Image) -> int | None:
    try:
        return image.getexif().get(ExifTags.Base.Orientation)
    except DECODE_ERRORS:  # a damaged EXIF block: the pixels may still be fine
        return None


def _not_accepted(data: bytes, formats: dict[str, tuple[str, str]]) -> PhotoError:
    name = _format_name(data)
    if name is None:
        return PhotoError(_("The file is not an image, or it is damaged."), code="not_an_image")
    accepted = ", ".join("WebP" if f == "WEBP" else "HEIC" if f == "HEIF" else f for f in formats)
    return PhotoError(
        _("%(format)s images are not accepted; send one of: %(accepted)s.") % {"format": name, "accepted": accepted},
        code="unsupported_format",
    )


def _format_name(data: bytes) -> str | None:
    """The format of an image that is not accepted, to name it in the error; None if not an image."""
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIC"
    try:
        with Image.open(BytesIO(data)) as image:  # the header only, no pixels decoded
            return image.format
    except Exception:  # anything Pillow cannot identify is simply not an image
        return None


# Queueing ---------------------------------------------------------------------------------


def photo_enqueue(*, photo_id: int) -> bool:
    """Hand a photo to the task queue. True if it was handed over.

    A broker failure is logged and never reaches the caller (after a commit the photo is
    stored whatever happens to its thumbnails); the row stays pending.
    """
    from cases.tasks import make_photo_derivatives

    return publish(make_photo_derivatives, (photo_id,))  # not handed over: pending, for photos_sweep


PENDING_GRACE = datetime.timedelta(minutes=5)
SWEEP_BATCH = 500


def photos_sweep(*, now: datetime.datetime | None = None) -> int:
    """Hand over again the photos still pending after PENDING_GRACE (their task never reached
    the broker, or its worker died): the oldest first, at most SWEEP_BATCH a run. Making the
    derivatives twice is harmless (photo_make_derivatives is idempotent)."""
    now = now or timezone.now()
    pending = CasePhoto.objects.filter(status=PhotoStatus.PENDING, created_at__lte=now - PENDING_GRACE)
    ids = list(pending.order_by("created_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    return sum(photo_enqueue(photo_id=pk) for pk in ids)


# Deriving ---------------------------------------------------------------------------------


def photo_make_derivatives(*, photo_id: int) -> CasePhoto | None:
    """Write a pending photo's display image and thumbnail. None if it is not pending (anymore).

    Idempotent: a ready or failed photo is left alone, and of two runs at once only the
    first to finish sets the files (the other deletes its own).
    """
    photo = CasePhoto.objects.filter(pk=photo_id, status=PhotoStatus.PENDING).first()
    if photo is None:
        return None
    try:
        with photo.original.open("rb") as original:
            data = original.read()
    except FileNotFoundError as exc:
        return _fail(photo, exc)
    try:
        display, thumbnail = derivatives(data)
    except DECODE_ERRORS as exc:
        return _fail(photo, exc)
    names = {}
    for field_name, content in (("display", display), ("thumbnail", thumbnail)):
        field = CasePhoto._meta.get_field(field_name)
        names[field_name] = field.storage.save(field.generate_filename(photo, "derived.jpg"), ContentFile(content))
    if not CasePhoto.objects.filter(pk=photo.pk, status=PhotoStatus.PENDING).update(status=PhotoStatus.READY, **names):
        for field_name, name in names.items():  # another run finished first and keeps its files
            CasePhoto._meta.get_field(field_name).storage.delete(name)
        return None
    photo.status, photo.display.name, photo.thumbnail.name = PhotoStatus.READY, names["display"], names["thumbnail"]
    logger.info("photo %s (case %s): display and thumbnail made", photo.pk, photo.case_id)
    return photo


def derivatives(data: bytes) -> tuple[bytes, bytes]:
    """(display, thumbnail) JPEGs of an image: upright, sRGB, no metadata at all."""
    with Image.open(BytesIO(data), formats=list(accepted_formats())) as image:
        _check_pixels(*image.size)  # checked at upload; the limits may have been lowered since
        _check_decoding(image)  # and asks a JPEG for its reduced scale (draft)
        image.load()
        if image.mode in ("P", "1"):  # a palette or 1-bit image is reduced in colour, not by index
            image = image.convert("RGBA" if image.mode == "P" else "L")
        elif image.mode.startswith("I;16"):
            image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        # Down to the display size before anything else: the full-size pixels are let go at once.
        image.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.LANCZOS)
        upright = ImageOps.exif_transpose(image)
    display = _to_rgb(_to_srgb(upright))
    thumbnail = display.copy()
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    return _jpeg(display), _jpeg(thumbnail)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply the embedded colour profile (phones use Display P3), since the JPEGs carry none."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):  # an unreadable profile: keep the pixels as they are
        logger.info("ignoring an unreadable colour profile")
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB; what is transparent becomes white (JPEG has no transparency)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit greyscale PNG
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("LA", "La", "PA", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    image.info = {}  # Pillow would carry a JPEG comment over from the original
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _fail(photo: CasePhoto, exc: Exception) -> CasePhoto:
    CasePhoto.objects.filter(pk=photo.pk, status=PhotoStatus.PENDING).update(status=PhotoStatus.FAILED)
    photo.status = PhotoStatus.FAILED
    logger.warning(
        "photo %s (case %s): cannot make its display image and thumbnail: %s: %s",
        photo.pk, photo.case_id, type(exc).__name__, exc,
    )  # fmt: skip
    return photo
