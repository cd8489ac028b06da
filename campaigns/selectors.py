"""Reads of the campaigns: which are under way, which cases a campaign counts, and the cases its
rule matches. Nothing here writes; the figures are assessments' (Slice(campaign=…))."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, CampaignCase, How
from cases.models import Case
from cases.scope import cases_visible_to

COUNTED = (How.RULE, How.HAND)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def campaign_rule_cases(*, campaign: Campaign) -> QuerySet[Case]:
    """The cases the campaign's rule takes in: reported in its period (local dates, both ends
    included), inside its area (a case carries its chain of grids), under one of its subcategories."""
    cases = Case.objects.filter(
        reported_at__gte=_local_midnight(campaign.starts_on),
        reported_at__lt=_local_midnight(campaign.ends_on + datetime.timedelta(days=1)),
    )
    grid_ids = [grid.pk for grid in campaign.grids.all()]
    if grid_ids:
        cases = cases.filter(
            Q(micro_grid_id__in=grid_ids)
            | Q(community_grid_id__in=grid_ids)
            | Q(large_grid_id__in=grid_ids)
            | Q(district_grid_id__in=grid_ids)
        )
    category_ids = [category.pk for category in campaign.categories.all()]
    if category_ids:
        cases = cases.filter(category_id__in=category_ids)
    return cases


def campaign_case_ids(*, campaign: Campaign | int) -> QuerySet[CampaignCase]:
    """The ids of the cases a campaign counts (a subquery: by rule or by hand, not taken out)."""
    return CampaignCase.objects.filter(campaign=campaign, how__in=COUNTED).values("case_id")


def campaign_cases(*, campaign: Campaign, user) -> QuerySet[Case]:
    """The cases the campaign counts that `user` may see, newest first."""
    return (
        cases_visible_to(user=user)
        .filter(pk__in=campaign_case_ids(campaign=campaign))
        .select_related("category", "department", "micro_grid")
        .defer("micro_grid__boundary")
        .order_by("-reported_at", "-id")
    )


def campaigns_overlapping(*, start: datetime.date, end: datetime.date) -> QuerySet[Campaign]:
    """The campaigns whose period meets [start, end], earliest first."""
    return Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start).order_by("starts_on", "pk")


def campaigns_list() -> QuerySet[Campaign]:
    return Campaign.objects.prefetch_related("grids", "categories").annotate(
        counted=Count("tags", filter=Q(tags__how__in=COUNTED))
    )
