"""Photos of a case: taken at the report ("before") and when it is handled ("after").

Privacy (DESIGN.md §3.5, §5a): the ORIGINAL is kept byte for byte, for the record, and may
carry the phone's GPS position, its make and serial number and the time the photo was taken.
Show only `display` and `thumbnail`: cases.photos writes them as fresh JPEGs, turned upright
by the EXIF orientation, with no EXIF, GPS, XMP, comment or colour profile. Link to the
original only from pages of roles that may see where a reporter stood.

Every file gets a random name (no uploader's file name is ever stored), so that a file's
address cannot be guessed from another's. Rows are written by cases.photos only.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case, CaseEvent


def photo_path(instance: CasePhoto, filename: str) -> str:
    """cases/photos/<year>/<month>/<random>.<ext>: only the extension of the given name is kept."""
    suffix = PurePosixPath(filename).suffix.lower()[:6]
    return f"cases/photos/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("Before (at the report)")  # 上报照片
    AFTER = "after", _("After (when handled)")  # 处置后照片
    CHECK = "check", _("On site (at the check)")  # 核查照片


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # the original is stored; the display and thumbnail are not made yet
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")  # the original could not be decoded; see the worker's log


class CasePhoto(models.Model):
    """One photo of a case. See the module's docstring for what may be shown to whom."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)
    # As uploaded, metadata (GPS!) included: for the record, never shown publicly.
    original = models.ImageField(_("original"), upload_to=photo_path, max_length=200)
    # Upright JPEG, at most 1,600 px on its long side, no metadata: what pages show.
    display = models.ImageField(_("display image"), upload_to=photo_path, max_length=200, blank=True)
    # Upright JPEG, at most 320 px on its long side, no metadata.
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path, max_length=200, blank=True)
    # The original's size as seen, i.e. after its EXIF orientation is applied.
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    # Of the original, from its content (never the uploader's claim).
    content_type = models.CharField(_("content type"), max_length=50)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    # Of the original's bytes: the same photo sent twice for one case is stored once.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The report or handle event the photo was sent with.
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("case event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
    )
    status = models.CharField(_("status"), max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.PENDING)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("case photo")
        verbose_name_plural = _("case photos")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "sha256"], name="case_photo_unique_sha256")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.pk}"
