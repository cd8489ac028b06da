"""The catalogue (大类/小类), departments and routing rules, and the calendar overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Grid, RegionClass


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("Component")  # 部件: public assets
    EVENT = "event", _("Event")  # 事件: things that happen


class LimitUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class PublicCategory(models.TextChoices):
    """The six categories citizens choose from (随手拍)."""

    SANITATION = "sanitation", _("Sanitation")  # 环境卫生
    STREET_ORDER = "street_order", _("Street order")  # 市容秩序
    ILLEGAL_CONSTRUCTION = "illegal_construction", _("Illegal construction")  # 违法建设
    MUNICIPAL = "municipal", _("Municipal facilities")  # 市政设施
    GREENERY = "greenery", _("Greenery")  # 园林绿化
    ADVERTISING = "advertising", _("Advertising")  # 宣传广告


class MajorCategory(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=CategoryKind.choices)
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("major category")
        verbose_name_plural = _("major categories")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="major_category_unique_code")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.name}"


class Department(models.Model):
    """A unit that handles cases (专业部门/处置单位), with its notification channels."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(
        _("short name"),
        max_length=20,
        unique=True,
        help_text=_("As the catalogue files name the department (its short Chinese name)."),
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    emails = models.TextField(_("e-mail addresses"), blank=True, help_text=_("One or more, separated by commas."))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="departments"
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.webhook_url and len(self.webhook_secret) < 16:
            raise ValidationError(
                {"webhook_secret": _("A webhook needs a shared secret of at least 16 characters to sign its messages.")}
            )

    @property
    def email_list(self) -> list[str]:
        return [address.strip() for address in self.emails.split(",") if address.strip()]


class Category(models.Model):
    """A subcategory (小类): what the operator files a case under."""

    major = models.ForeignKey(
        MajorCategory, verbose_name=_("major category"), on_delete=models.PROTECT, related_name="categories"
    )
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=50)
    filing_condition = models.TextField(_("filing condition"), blank=True)
    closing_condition = models.TextField(_("closing condition"), blank=True)
    default_department = models.ForeignKey(
        Department,
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_for",
    )
    needs_approval = models.BooleanField(_("dispatch needs grid-chief approval"), default=True)
    urgent_skips_approval = models.BooleanField(
        _("urgent cases dispatch without waiting for approval"),
        default=True,
        help_text=_("The grid chief is told instead."),
    )
    needs_onsite_check = models.BooleanField(_("closing needs an on-site check"), default=True)
    limit = models.DecimalField(_("time limit"), max_digits=6, decimal_places=2)
    limit_unit = models.CharField(_("time limit unit"), max_length=15, choices=LimitUnit.choices)
    urgent_limit = models.DecimalField(_("urgent time limit"), max_digits=6, decimal_places=2, null=True, blank=True)
    urgent_unit = models.CharField(_("urgent time limit unit"), max_length=15, choices=LimitUnit.choices, blank=True)
    public_category = models.CharField(_("public category"), max_length=25, choices=PublicCategory.choices, blank=True)
    is_public = models.BooleanField(_("offered to citizens and Open311"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["major__kind", "code"]
        constraints = [models.UniqueConstraint(fields=["major", "code"], name="category_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def kind(self) -> str:
        return self.major.kind

    @property
    def full_code(self) -> str:
        """Component and event codes overlap (部件 0101, 事件 0101): prefix the kind."""
        return f"{'C' if self.major.kind == CategoryKind.COMPONENT else 'E'}{self.code}"

    def time_limit(self, *, urgent: bool) -> tuple:
        """(amount, unit) of the handling limit for a normal or urgent case."""
        if urgent and self.urgent_limit is not None:
            return self.urgent_limit, self.urgent_unit or self.limit_unit
        return self.limit, self.limit_unit


class CategoryClassLimit(models.Model):
    """A subcategory's time limits in one region class (一类/二类/三类 …), for either urgency or
    both; an urgency left blank falls back to the subcategory's class-less limit. Read only by
    cases.clocks.time_limit."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="class_limits"
    )
    region_class = models.ForeignKey(
        RegionClass, verbose_name=_("region class"), on_delete=models.CASCADE, related_name="limits"
    )
    limit = models.DecimalField(_("time limit"), max_digits=6, decimal_places=2, null=True, blank=True)
    limit_unit = models.CharField(_("time limit unit"), max_length=15, choices=LimitUnit.choices, blank=True)
    urgent_limit = models.DecimalField(_("urgent time limit"), max_digits=6, decimal_places=2, null=True, blank=True)
    urgent_unit = models.CharField(_("urgent time limit unit"), max_length=15, choices=LimitUnit.choices, blank=True)

    class Meta:
        verbose_name = _("time limit by region class")
        verbose_name_plural = _("time limits by region class")
        ordering = ["category", "region_class__rank"]
        constraints = [
            models.UniqueConstraint(fields=["category", "region_class"], name="category_class_limit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.region_class}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.limit is None and self.urgent_limit is None:
            errors["limit"] = _("Give a time limit, an urgent time limit, or both.")
        for amount, unit in (("limit", "limit_unit"), ("urgent_limit", "urgent_unit")):
            value = getattr(self, amount)
            if value is not None and value <= 0:
                errors[amount] = _("A time limit must be positive.")
            elif value is not None and not getattr(self, unit):
                errors[unit] = _("Give the unit of this time limit.")
        if errors:
            raise ValidationError(errors)

    def time_limit(self, *, urgent: bool) -> tuple | None:
        """(amount, unit) for this urgency in this class, or None: the class-less limit applies."""
        if urgent:
            return (self.urgent_limit, self.urgent_unit) if self.urgent_limit is not None else None
        return (self.limit, self.limit_unit) if self.limit is not None else None


class RoutingRule(models.Model):
    """Which department handles a category, optionally only inside a grid's subtree.

    The rule for the deepest grid holding the case wins; a rule without a grid
    is the city-wide default; with no rule, the category's default department.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="rules")
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid subtree"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="rules"
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "grid"], name="routing_rule_unique_grid"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(grid__isnull=True), name="routing_rule_unique_citywide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.department}"


class CalendarDay(models.Model):
    """An administrator's entry overriding the official calendar for one day
    (a local holiday, or next year's schedule before the calendar package knows it)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"
