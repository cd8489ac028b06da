"""The demo county's clean-up campaign (全城清洁专项整治), a census of its manhole covers
(井盖普查) under way, and a few reports about assets.

The campaign covers the two large grids around the old town for the last month and the next
fortnight, and the rubbish, posters and clutter subcategories; its cases are tagged by its rule
(campaigns.services), its figures are read from the rollup like any other. The census has been
going for a week in one community: most covers checked, one damaged, one missing. Three
reports are about assets: a broken water cover (goes to its maintainer, 住建), a lamp out and a
full bin still waiting at intake.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from assets.models import Asset, Census, CensusFinding, Finding
from assets.services import census_record
from campaigns.models import Campaign, CampaignTarget
from campaigns.services import campaign_tag_by_rule
from cases.models import Category, Department, Source
from cases.services import CaseActionError, case_report, case_transition
from demo.history import _Actors, _point_in, _work
from demo.photos import AfterPhotos
from grids.models import Grid, Level

CAMPAIGN = "全城清洁专项整治"
CENSUS = "窨井盖专项普查"


def demo_campaign_load(*, now: datetime.datetime | None = None) -> Campaign:
    now = now or timezone.now()
    today = timezone.localdate(now)
    campaign, created = Campaign.objects.get_or_create(
        name=CAMPAIGN,
        defaults={
            "starts_on": today - datetime.timedelta(days=30),
            "ends_on": today + datetime.timedelta(days=14),
            "description": "清理卫生死角、杂物堆放和小广告：发现即报、限时清理。",
        },
    )
    if created:
        large = Grid.objects.filter(chief__user__username="chief_large").first()
        others = Grid.objects.filter(level=Level.LARGE).exclude(pk=large.pk if large else None).order_by("code")
        campaign.grids.add(*([large] if large else []), *others[:1])
        events = Category.objects.filter(major__kind="event", code__in=["0102", "0103", "0201", "0506"])
        campaign.categories.add(*events)
        posters = Category.objects.get(major__kind="event", code="0201")
        CampaignTarget.objects.bulk_create([
            CampaignTarget(campaign=campaign, figure="reports", amount=40),
            CampaignTarget(campaign=campaign, figure="closed", amount=30),
            CampaignTarget(campaign=campaign, figure="closed", amount=8, category=posters),
        ])  # fmt: skip
        _campaign_reports(campaign, now)
    campaign_tag_by_rule(campaign=campaign, now=now)
    return campaign


def _campaign_reports(campaign: Campaign, now: datetime.datetime, count: int = 30, seed: int = 1110) -> None:
    """What the campaign's patrols found in its area: reports of its subcategories over its first
    weeks, worked through the case service as the history's are (most closed by now)."""
    rng = random.Random(seed)
    grids = list(campaign.grids.all())
    micros = list(Grid.objects.filter(level=Level.MICRO, parent__parent__in=grids).order_by("code"))
    categories = list(campaign.categories.select_related("default_department").order_by("code"))
    departments = list(Department.objects.order_by("code"))
    if not micros or not categories:
        return
    actors, photos = _Actors(), AfterPhotos(seed)
    for n in range(count):
        reported = timezone.localtime(now) - datetime.timedelta(days=rng.uniform(1.5, 28), hours=rng.uniform(0, 6))
        reported = reported.replace(hour=rng.choice([8, 9, 10, 14, 15, 16]))
        grid = rng.choice(micros)
        category = categories[n % len(categories)]
        case = case_report(source=Source.INSPECTOR if n % 3 else Source.CHIEF_PATROL, point=_point_in(rng, grid),
                           category=category, description=f"{category.name}（专项整治巡查发现）", now=reported)  # fmt: skip
        _work(case, rng, actors, photos, departments, now)


def demo_census_load(*, now: datetime.datetime | None = None) -> Census | None:
    now = now or timezone.now()
    today = timezone.localdate(now)
    covers = Category.objects.filter(major__kind="component", code__in=["0101", "0102", "0103"])
    # The community with the most covers.
    busiest = (
        Asset.objects.filter(category__in=covers)
        .values("micro_grid__parent")
        .annotate(n=Count("pk"))
        .order_by("-n", "micro_grid__parent")
        .first()
    )
    if busiest is None:
        return None
    census, created = Census.objects.get_or_create(
        name=CENSUS,
        defaults={"starts_on": today - datetime.timedelta(days=7), "ends_on": today + datetime.timedelta(days=21)},
    )
    if not created:
        return census
    census.grids.add(busiest["micro_grid__parent"])
    census.categories.add(*covers)
    inspector = get_user_model().objects.filter(username="inspector").first()
    assets = list(
        Asset.objects.filter(category__in=covers, micro_grid__parent=busiest["micro_grid__parent"]).order_by("code")
    )
    for n, asset in enumerate(assets[: max(1, len(assets) * 2 // 3)]):
        finding = Finding.DAMAGED if n == 1 else (Finding.MISSING if n == 3 else Finding.FOUND)
        note = {Finding.DAMAGED: "井盖边缘破裂", Finding.MISSING: "井盖缺失，已设临时围挡"}.get(finding, "")
        census_record(census=census, asset=asset, finding=finding, actor=inspector, note=note,
                      now=now - datetime.timedelta(days=6 - n % 6, hours=2))  # fmt: skip
    assert CensusFinding.objects.filter(census=census).exists()
    return census


def demo_asset_reports_load(*, now: datetime.datetime | None = None) -> int:
    """Three reports about assets (once): the water cover's case dispatched to its maintainer."""
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["intake", "dispatcher", "inspector"])}
    if len(users) < 3 or Asset.objects.filter(cases__isnull=False).exists():
        return 0
    now = now or timezone.now()
    water = Asset.objects.filter(category__code="0101", category__major__kind="component").order_by("code")[3:4]
    lamp = Asset.objects.filter(category__code="0120", status="damaged").order_by("code")[:1]
    bin_ = Asset.objects.filter(category__code="0305").order_by("code")[5:6]
    made = 0
    for asset, description, steps in (
        (water.first(), "井盖破损，一角塌陷", ["file", "dispatch"]),
        (lamp.first(), "路灯不亮，灯杆有锈蚀", ["file"]),
        (bin_.first(), "垃圾箱满溢", []),
    ):
        if asset is None:
            continue
        at = now - datetime.timedelta(hours=3 - made)
        case = case_report(source=Source.INSPECTOR, point=asset.point, asset=asset, description=description,
                           actor=users["inspector"], now=at)  # fmt: skip
        for action in steps:
            try:
                case_transition(case_id=case.pk, action=action, actor=users["intake" if action == "file" else "dispatcher"],
                                now=at + datetime.timedelta(minutes=10))  # fmt: skip
            except CaseActionError:
                break
        made += 1
    return made
