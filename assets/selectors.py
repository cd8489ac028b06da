"""Reads of the component inventory: the assets in a map's view, one asset with the cases about
it (those the reader may see), lists, and a census's progress. Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.gis.geos import Polygon
from django.db.models import Count, Q, QuerySet

from assets.models import Asset, AssetStatus, Census, CensusFinding, Finding
from cases.models import Case
from cases.scope import cases_visible_to
from grids.models import Grid

MAP_LIMIT = 2000  # the most assets one map view gets; zoom in for the rest


def assets_in_view(
    *, bbox: tuple[float, float, float, float], category_ids: list[int] | None = None, limit: int | None = None
) -> tuple[list[Asset], bool]:
    """The assets (not retired) whose map point lies in `bbox` (min lon, min lat, max lon, max lat),
    and whether there were more than `limit` (MAP_LIMIT)."""
    limit = MAP_LIMIT if limit is None else limit
    assets = (
        Asset.objects.filter(point__within=Polygon.from_bbox(bbox))
        .exclude(status=AssetStatus.RETIRED)
        .select_related("category__major", "maintainer")
        .order_by("code")
    )
    if category_ids:
        assets = assets.filter(category_id__in=category_ids)
    rows = list(assets[: limit + 1])
    return rows[:limit], len(rows) > limit


def asset_list(
    *, code: str = "", category_id: int | None = None, grid: Grid | None = None, status: str = ""
) -> QuerySet[Asset]:
    assets = Asset.objects.select_related("category__major", "maintainer", "micro_grid").defer("micro_grid__boundary")
    if code:
        assets = assets.filter(code__startswith=code)
    if category_id:
        assets = assets.filter(category_id=category_id)
    if grid is not None:
        assets = assets.filter(_in_grid(grid))
    if status:
        assets = assets.filter(status=status)
    return assets.order_by("code")


def _in_grid(grid: Grid, prefix: str = "") -> Q:
    """Assets whose micro grid is `grid` or lies under it."""
    return (
        Q(**{f"{prefix}micro_grid": grid})
        | Q(**{f"{prefix}micro_grid__parent": grid})
        | Q(**{f"{prefix}micro_grid__parent__parent": grid})
        | Q(**{f"{prefix}micro_grid__parent__parent__parent": grid})
    )


def asset_get(*, asset_id: int) -> Asset | None:
    return (
        Asset.objects.select_related("category__major", "maintainer", "micro_grid__parent")
        .defer("micro_grid__boundary", "micro_grid__parent__boundary")
        .filter(pk=asset_id)
        .first()
    )


def asset_cases(*, asset: Asset, user) -> QuerySet[Case]:
    """The cases about `asset` that `user` may see (cases.scope), newest first."""
    return (
        cases_visible_to(user=user)
        .filter(asset=asset)
        .select_related("category", "department")
        .order_by("-reported_at", "-id")
    )


# ---- census ---------------------------------------------------------------------------


def census_assets(*, census: Census) -> QuerySet[Asset]:
    """The assets a census checks: in its area and subcategories, not retired."""
    assets = Asset.objects.exclude(status=AssetStatus.RETIRED)
    grids = list(census.grids.all())
    if grids:
        q = Q()
        for grid in grids:
            q |= _in_grid(grid)
        assets = assets.filter(q)
    category_ids = list(census.categories.values_list("pk", flat=True))
    if category_ids:
        assets = assets.filter(category_id__in=category_ids)
    return assets


@dataclass(frozen=True)
class CensusProgress:
    total: int
    checked: int
    found: int
    damaged: int
    missing: int

    @property
    def unchecked(self) -> int:
        return self.total - self.checked

    @property
    def percent(self) -> int:
        return 100 * self.checked // self.total if self.total else 0


def census_progress(*, census: Census) -> CensusProgress:
    """How far a census is: its assets, how many were checked and what was found (two queries)."""
    assets = census_assets(census=census)
    counts = dict(
        CensusFinding.objects.filter(census=census, asset__in=assets.values("pk"))
        .values_list("finding")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return CensusProgress(
        total=assets.count(),
        checked=sum(counts.values()),
        found=counts.get(Finding.FOUND, 0),
        damaged=counts.get(Finding.DAMAGED, 0),
        missing=counts.get(Finding.MISSING, 0),
    )


def censuses_open(*, on) -> QuerySet[Census]:
    """The censuses running on the local date `on`."""
    return Census.objects.filter(starts_on__lte=on, ends_on__gte=on).order_by("ends_on", "pk")
