"""The address and place gazetteer (地名地址库): streets with door-number ranges, buildings and
points of interest, each a point or a line, found offline by Chinese text, pinyin and pinyin
initials (stored at import, so a search is an indexed prefix lookup) and by a map point.

Writes go through gazetteer.services (import), reads through gazetteer.selectors. An upload in
the admin is imported by a worker (ImportJob, config.imports).
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from config.imports import FileFormatImportJobBase


class EntryKind(models.TextChoices):
    STREET = "street", _("Street")  # a line with a range of door numbers (门牌号段)
    BUILDING = "building", _("Building")  # a point with its door address (楼栋, 院落)
    POI = "poi", _("Place of interest")  # a point: a shop, a school, a bus stop …


class Parity(models.TextChoices):
    ALL = "all", _("all numbers")
    ODD = "odd", _("odd numbers")
    EVEN = "even", _("even numbers")


class Entry(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    # Lower-case pinyin without tones or spaces (兴隆路 → xinglonglu) and its initials (xll),
    # written at import (gazetteer.pinyin) so that a search is a prefix lookup on an index.
    pinyin = models.CharField(_("pinyin"), max_length=300, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=100, db_index=True)
    street = models.CharField(_("street"), max_length=100, blank=True, help_text=_("A building's or place's street."))
    number = models.CharField(_("door number"), max_length=20, blank=True)
    number_from = models.PositiveIntegerField(_("first door number"), null=True, blank=True)
    number_to = models.PositiveIntegerField(_("last door number"), null=True, blank=True)
    parity = models.CharField(_("door numbers"), max_length=4, choices=Parity.choices, default=Parity.ALL)
    geometry = models.GeometryField(_("geometry"), srid=4326, spatial_index=True)

    class Meta:
        verbose_name = _("gazetteer entry")
        verbose_name_plural = _("gazetteer entries")
        ordering = ["code"]
        indexes = [models.Index(fields=["street", "number"], name="gazetteer_door")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def address(self) -> str:
        """The entry's address as people write it: 兴隆路88号, or the street's own name."""
        if self.street and self.number:
            return f"{self.street}{self.number}号"
        return self.street or self.name


class ImportJob(FileFormatImportJobBase):
    """An uploaded GeoJSON or CSV file of gazetteer entries being imported by a worker (config.imports)."""

    class Meta(FileFormatImportJobBase.Meta):
        verbose_name = _("gazetteer import")
        verbose_name_plural = _("gazetteer imports")
