"""The component inventory (部件普查): every public asset with its standard code, where it is,
who owns it and who maintains it, and the census campaigns (专项普查) that check them on site.

Writes go through assets.services (the import, the admin, a census finding); reads through
assets.selectors. A case may point at an asset (cases.Case.asset): its maintaining unit then
handles the asset's own subcategory (cases.selectors.case_department).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Category, Department
from config.imports import FileFormatImportJobBase
from grids.models import Grid

# The standard's asset code (CJ/T 214, GB/T 30428.2): the administrative division (6 digits),
# the major class (大类, 2), the subclass (小类, 2) and a serial number (6): 16 digits in all.
DIVISION_DIGITS, CLASS_DIGITS, SERIAL_DIGITS = 6, 4, 6
CODE_LENGTH = DIVISION_DIGITS + CLASS_DIGITS + SERIAL_DIGITS


class AssetStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")  # 在用
    DAMAGED = "damaged", _("Damaged")  # 损坏
    MISSING = "missing", _("Missing")  # 丢失
    RETIRED = "retired", _("Retired")  # 停用/报废


class Asset(models.Model):
    """One component (部件): a manhole cover, a street lamp, a litter bin, a bus shelter…"""

    code = models.CharField(_("code"), max_length=CODE_LENGTH, unique=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("subcategory"),
        on_delete=models.PROTECT,
        related_name="assets",
        limit_choices_to={"major__kind": "component"},
    )
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("Where it is, in words."))
    geometry = models.GeometryField(_("location"), srid=4326, help_text=_("A point, or a line (a railing, a pipe)."))
    point = models.PointField(_("map point"), srid=4326, spatial_index=True, editable=False)
    micro_grid = models.ForeignKey(
        Grid, verbose_name=_("micro grid"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.CharField(
        _("owner"), max_length=100, blank=True, help_text=_("Who the asset belongs to.")
    )  # 权属单位
    maintainer = models.ForeignKey(  # 养护单位
        Department,
        verbose_name=_("maintaining unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="maintained_assets",
        help_text=_("Handles the cases of this asset's own subcategory."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=AssetStatus.choices, default=AssetStatus.IN_SERVICE, db_index=True
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    checked_at = models.DateTimeField(_("last checked on site"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["code"]
        indexes = [models.Index(fields=["category", "status"], name="asset_category_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.category.name if self.category_id else ''}".strip()


class ImportJob(FileFormatImportJobBase):
    """An uploaded GeoJSON or CSV file of assets being imported by a worker (config.imports)."""

    class Meta(FileFormatImportJobBase.Meta):
        verbose_name = _("asset import")
        verbose_name_plural = _("asset imports")


class Census(models.Model):
    """A census campaign (专项普查): inspectors check the assets of an area on site."""

    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    grids = models.ManyToManyField(
        Grid,
        verbose_name=_("area"),
        blank=True,
        related_name="+",
        help_text=_("The grids whose assets are checked (with their subtrees); none: the whole city."),
    )
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("subcategories"),
        blank=True,
        related_name="+",
        limit_choices_to={"major__kind": "component"},
        help_text=_("None: every kind of asset."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("census")
        verbose_name_plural = _("censuses")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Finding(models.TextChoices):
    FOUND = "found", _("Found, in order")  # 在位完好
    DAMAGED = "damaged", _("Found damaged")  # 损坏
    MISSING = "missing", _("Missing")  # 缺失


# What a finding says about the asset's status.
FINDING_STATUS = {
    Finding.FOUND: AssetStatus.IN_SERVICE,
    Finding.DAMAGED: AssetStatus.DAMAGED,
    Finding.MISSING: AssetStatus.MISSING,
}


class CensusFinding(models.Model):
    """What an inspector found of one asset during a census; the latest word per asset and census."""

    census = models.ForeignKey(Census, verbose_name=_("census"), on_delete=models.CASCADE, related_name="findings")
    asset = models.ForeignKey(Asset, verbose_name=_("asset"), on_delete=models.CASCADE, related_name="findings")
    finding = models.CharField(_("finding"), max_length=10, choices=Finding.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("census finding")
        verbose_name_plural = _("census findings")
        ordering = ["-recorded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["census", "asset"], name="census_finding_once_per_asset")]

    def __str__(self) -> str:
        return f"{self.census} {self.asset.code}: {self.finding}"
