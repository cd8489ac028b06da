"""A citizen's 随手拍 report: the case it became, and the code the citizen follows it with.

The tracking number (date + the day's sequence) is easy to guess, so citizens never see it:
the public status page is found by a random code. Rows are written by citizens.services only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, PublicCategory

# No 0/O, 1/I/L: a code read out over the phone or copied by hand comes through.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10 ≈ 8 × 10**14 codes: not found by trying


class CitizenReport(models.Model):
    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="citizen_report")
    code = models.CharField(_("tracking code"), max_length=CODE_LENGTH, unique=True)
    # The citizen's own choice; the intake clerk files the case under a subcategory (小类).
    public_category = models.CharField(_("public category"), max_length=25, choices=PublicCategory.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("citizen report")
        verbose_name_plural = _("citizen reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code
