"""Special campaigns (专项整治): a named clean-up or enforcement drive with a period, an area and
the subcategories it targets, its targets, and the cases it counts.

A case belongs to a campaign by rule (reported in its period, inside its area, under one of its
subcategories: campaigns.services.campaign_tag_by_rule keeps these rows in step) or by hand;
a case taken out by hand stays out. Rows are written by campaigns.services only. The
campaign's figures are read from the assessment rollup (assessments.selectors, Slice.campaign).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from grids.models import Grid


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    grids = models.ManyToManyField(
        Grid,
        verbose_name=_("area"),
        blank=True,
        related_name="+",
        help_text=_("The grids it covers (with their subtrees); none: the whole city."),
    )
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("subcategories"),
        blank=True,
        related_name="+",
        help_text=_("The subcategories it targets; none: every subcategory."),
    )
    description = models.TextField(_("description"), blank=True)
    by_rule = models.BooleanField(
        _("tag cases by rule"),
        default=True,
        help_text=_("Cases reported in the period, inside the area, under one of the subcategories belong to it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Figure(models.TextChoices):
    """What a target counts, as the assessment figures define it (assessments.selectors.COUNTS)."""

    REPORTS = "reports", _("Problems found (reports)")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")


class CampaignTarget(models.Model):
    """清理卫生死角100余处: at least `amount` of a figure, for one subcategory or all of them."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets")
    category = models.ForeignKey(
        Category,
        verbose_name=_("subcategory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("None: all the campaign's cases."),
    )
    figure = models.CharField(_("figure"), max_length=10, choices=Figure.choices, default=Figure.CLOSED)
    amount = models.PositiveIntegerField(_("target"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["campaign", "category", "figure"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "category", "figure"], name="campaign_target_once"),
            models.UniqueConstraint(
                fields=["campaign", "figure"],
                condition=models.Q(category__isnull=True),
                name="campaign_target_once_all",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_figure_display()} ≥ {self.amount}"


class How(models.TextChoices):
    RULE = "rule", _("By rule")
    HAND = "hand", _("By hand")
    EXCLUDED = "excluded", _("Taken out by hand")


class CampaignCase(models.Model):
    """A case counted by a campaign (or, `excluded`, kept out of it by hand)."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="tags")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="campaign_tags")
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("campaign case")
        verbose_name_plural = _("campaign cases")
        constraints = [models.UniqueConstraint(fields=["campaign", "case"], name="campaign_case_once")]
        indexes = [models.Index(fields=["case"], name="campaign_case_by_case")]

    def __str__(self) -> str:
        return f"{self.campaign} {self.case_id} ({self.how})"
