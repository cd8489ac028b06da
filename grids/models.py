"""Territory: the grid tree, the places inside micro grids, and their chiefs.

Writes go through grids.services (import, seed, admin); reads through
grids.selectors.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.imports import ImportJobBase


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    LARGE = "large", _("Large grid")
    COMMUNITY = "community", _("Community grid")
    MICRO = "micro", _("Micro grid")


LEVELS = [Level.DISTRICT, Level.LARGE, Level.COMMUNITY, Level.MICRO]
# The level a grid's parent must have; None: the grid has no parent.
PARENT_LEVEL: dict[str, str | None] = {
    Level.DISTRICT: None,
    Level.LARGE: Level.DISTRICT,  # or no parent, when the city has no district root
    Level.COMMUNITY: Level.LARGE,
    Level.MICRO: Level.COMMUNITY,
}


def parent_rule_error(level: str, parent_level: str | None) -> str | None:
    """Why a grid of `level` may not have a parent of `parent_level`, or None."""
    if level not in PARENT_LEVEL:
        return _("unknown level %(level)r") % {"level": level}
    expected = PARENT_LEVEL[level]
    if parent_level is None:
        if level in (Level.DISTRICT, Level.LARGE):
            return None
        return _("a %(level)s grid needs a parent of level %(expected)s") % {"level": level, "expected": expected}
    if expected is None:
        return _("a district has no parent")
    if parent_level != expected:
        return _("a %(level)s grid's parent must be a %(expected)s grid, not %(parent)s") % {
            "level": level,
            "expected": expected,
            "parent": parent_level,
        }
    return None


class Person(models.Model):
    """Someone who answers for a grid or a place: a chief (长)."""

    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name", "phone"], name="person_unique_name_phone")]

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip()


class RegionClass(models.Model):
    """A class of micro grids (区域分类: 一类/二类/三类 by default): core streets and the outskirts may
    have different time limits (cases.models.CategoryClassLimit, read in cases.clocks). Each city
    names its own classes, as many as it needs; `rank` orders them (1: the strictest)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1, help_text=_("1 is the strictest class."))
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("region class")
        verbose_name_plural = _("region classes")
        ordering = ["rank", "code"]

    def __str__(self) -> str:
        return self.name


class ActiveGridQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date) -> ActiveGridQuerySet:
        return self.filter(valid_from__lte=day).filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))


class Grid(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.MultiPolygonField(_("boundary"), srid=4326, spatial_index=True)
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    valid_from = models.DateField(_("valid from"), default=datetime.date(2000, 1, 1))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    chief = models.ForeignKey(
        Person,
        verbose_name=_("grid chief"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chief_of_grids",
    )
    region_class = models.ForeignKey(
        RegionClass,
        verbose_name=_("region class"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grids",
        help_text=_("Micro grids only: the class whose time limits apply to cases in the grid."),
    )

    objects = ActiveGridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        parent_level = self.parent.level if self.parent_id else None
        message = parent_rule_error(self.level, parent_level)
        if message:
            errors["parent"] = message
        if self.region_class_id and self.level != Level.MICRO:
            errors["region_class"] = _("Only micro grids have a region class.")
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = _("valid-to is before valid-from")
        if self.boundary is not None and not self.boundary.valid:
            errors["boundary"] = _("invalid polygon: %(reason)s") % {"reason": self.boundary.valid_reason}
        if errors:
            raise ValidationError(errors)


class PlaceKind(models.TextChoices):
    SHOP = "shop", _("Shop")
    LANE = "lane", _("Lane")
    STREET = "street", _("Street")


# Who answers first at a point: a shop's frontage, then a lane, then a street.
PLACE_PRIORITY = [PlaceKind.SHOP, PlaceKind.LANE, PlaceKind.STREET]
DEFAULT_REACH_M = {PlaceKind.SHOP: 10.0, PlaceKind.LANE: 8.0, PlaceKind.STREET: 15.0}


class ResponsibleRole(models.TextChoices):
    """In which capacity a person answers at a point: the chief of a shop, the city manager of a
    road segment (路长制), the chief of a lane or street ("<kind>_chief"), else of a grid
    ("<level>_chief"); see grids.selectors.responsible_at_point."""

    SHOP_CHIEF = "shop_chief", _("Shop chief")
    SEGMENT_MANAGER = "segment_manager", _("City manager of the road segment")
    LANE_CHIEF = "lane_chief", _("Lane chief")
    STREET_CHIEF = "street_chief", _("Street chief")
    MICRO_CHIEF = "micro_chief", _("Micro-grid chief")
    COMMUNITY_CHIEF = "community_chief", _("Community-grid chief")
    LARGE_CHIEF = "large_chief", _("Large-grid chief")
    DISTRICT_CHIEF = "district_chief", _("District chief")

    @classmethod
    def of_place(cls, kind: str) -> ResponsibleRole:
        return cls(f"{kind}_chief")

    @classmethod
    def of_grid(cls, level: str) -> ResponsibleRole:
        return cls(f"{level}_chief")


# role → its label, for whoever shows a stored role (cases keep it as a plain string).
RESPONSIBLE_ROLES = dict(ResponsibleRole.choices)


class Place(models.Model):
    """A street (line), a shop (point with its 门前三包 frontage) or a lane, inside a micro grid.

    `geometry` is what was drawn; `reach` is the area where its chief answers:
    the geometry buffered by `reach_m` metres (kept in step by grids.services).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=PlaceKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    micro_grid = models.ForeignKey(
        Grid,
        verbose_name=_("micro grid"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"level": Level.MICRO},
    )
    geometry = models.GeometryField(_("geometry"), srid=4326)
    reach_m = models.FloatField(_("reach (m)"), default=10.0)
    reach = models.PolygonField(_("area of responsibility"), srid=4326, spatial_index=True)
    chief = models.ForeignKey(
        Person,
        verbose_name=_("chief"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chief_of_places",
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class ImportJob(ImportJobBase):
    """An uploaded GeoJSON file of grids and places being imported by a worker (config.imports)."""

    class Meta(ImportJobBase.Meta):
        verbose_name = _("grid import")
        verbose_name_plural = _("grid imports")


class CommandCenter(models.Model):
    """A command center (指挥中心) of the 镇街三级 tiers: the district's, with no parent, covers the
    whole territory; a town's (镇街) covers the subtrees of its grids (its large grids, usually).

    A case belongs to the center of its location: the deepest center covering it
    (grids.selectors.center_for_grids); it may be escalated (上报) to the parent center and
    assigned (交办) back down through the case service. Staff (members) work its queues; their
    scope is in cases.scope.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent center"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("Empty for the district's center, which covers the whole territory."),
    )
    grids = models.ManyToManyField(
        Grid,
        verbose_name=_("grids covered"),
        blank=True,
        related_name="command_centers",
        help_text=_("The tops of the subtrees the center covers (a town's large grids)."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        blank=True,
        related_name="command_centers",
    )

    class Meta:
        verbose_name = _("command center")
        verbose_name_plural = _("command centers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


# ---- roads (路长制) ----------------------------------------------------------------------


class RoadLevel(models.TextChoices):
    """The level of a road's chief (路长): a district leader answers for a main road, a town leader
    for the others."""

    FIRST = "first", _("First-level road chief (district leader)")
    SECOND = "second", _("Second-level road chief (town leader)")


# The 四包 duties of each segment: sanitation, order, façades, greenery.
FOUR_DUTIES = {
    "sanitation": _("Sanitation duty"),
    "order": _("Order duty"),
    "facade": _("Façade duty"),
    "greenery": _("Greenery duty"),
}


class Road(models.Model):
    """A road (路长制): a line that may cross many grids, with a road chief and ordered segments."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    geometry = models.GeometryField(_("geometry"), srid=4326)
    level = models.CharField(_("road chief level"), max_length=10, choices=RoadLevel.choices, default=RoadLevel.SECOND)
    chief = models.ForeignKey(
        Person,
        verbose_name=_("road chief"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chief_of_roads",
    )

    class Meta:
        verbose_name = _("road")
        verbose_name_plural = _("roads")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoadSegment(models.Model):
    """A segment of a road (about 300 m) with its city manager (城市管理员), its inspector (监督员)
    and the 四包 duties; `reach` is where a case is "on" it (the line buffered by `reach_m`)."""

    road = models.ForeignKey(Road, verbose_name=_("road"), on_delete=models.CASCADE, related_name="segments")
    seq = models.PositiveSmallIntegerField(_("order along the road"))
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    geometry = models.LineStringField(_("geometry"), srid=4326)
    reach_m = models.FloatField(_("reach (m)"), default=20.0)
    reach = models.PolygonField(_("area of responsibility"), srid=4326, spatial_index=True)
    manager = models.ForeignKey(
        Person,
        verbose_name=_("city manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="manager_of_segments",
    )
    inspector = models.ForeignKey(
        Person,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector_of_segments",
    )
    duties = models.JSONField(
        _("four duties"), default=dict, blank=True, help_text=_("Who or what answers for each of the four duties.")
    )

    class Meta:
        verbose_name = _("road segment")
        verbose_name_plural = _("road segments")
        ordering = ["road", "seq"]
        constraints = [models.UniqueConstraint(fields=["road", "seq"], name="road_segment_unique_seq")]

    def __str__(self) -> str:
        return f"{self.road.name} {self.name}" if self.road_id else self.name
