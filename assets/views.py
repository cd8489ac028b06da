"""The inventory's pages: the list with its map, one asset (its case history, a census finding,
a report about it), and a census's progress. Reads through assets.selectors; every write through
assets.services (or cases.services, for a report)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import user_roles
from assets.api.views import CENSUS_ROLES
from assets.forms import AssetFilterForm, FindingForm
from assets.models import Census, CensusFinding
from assets.selectors import asset_cases, asset_get, asset_list, census_assets, census_progress, censuses_open
from assets.services import CensusError, census_record
from cases.scope import REPORTERS
from cases.views import roles_required
from grids.maps import map_config

PAGE_SIZE = 50


def _asset_strings() -> dict:
    return {
        "layer": _("Assets (components)"),
        "maintainer": _("Maintained by"),
        "zoomIn": _("Zoom in to see the assets"),
        "truncated": _("Not every asset is shown: zoom in further."),
        "failed": _("Could not load the assets."),
    }


@roles_required()
def asset_index(request: HttpRequest) -> HttpResponse:
    form = AssetFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    assets = asset_list(**filters)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    config = map_config(assetsUrl=reverse("assets_api:features"), assetStrings=_asset_strings())
    return render(request, "assets/index.html", {
        "form": form, "page": page, "query": query, "map_config": config,
        "censuses": list(censuses_open(on=timezone.localdate())),
    })  # fmt: skip


@roles_required()
def asset_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = asset_get(asset_id=asset_id)
    if asset is None:
        raise Http404(_("No such asset."))
    roles = set(user_roles(request.user))
    cases = list(asset_cases(asset=asset, user=request.user)[:50])
    findings = list(CensusFinding.objects.filter(asset=asset).select_related("census", "recorded_by")[:20])
    census_forms = []
    if roles & CENSUS_ROLES:
        for census in censuses_open(on=timezone.localdate()):
            if census_assets(census=census).filter(pk=asset.pk).exists():
                census_forms.append({"census": census, "form": FindingForm(prefix=f"census-{census.pk}")})
    config = map_config(point=[asset.point.x, asset.point.y], assetsUrl=reverse("assets_api:features"),
                        assetStrings=_asset_strings(), asset=asset.pk)  # fmt: skip
    return render(request, "assets/detail.html", {
        "asset": asset, "cases": cases, "findings": findings, "census_forms": census_forms,
        "map_config": config, "can_report": bool(roles & REPORTERS),
        "report_url": reverse("cases:new") + "?" + urlencode({"asset": asset.pk}),
    })  # fmt: skip


@require_POST
@roles_required(*CENSUS_ROLES)
def census_finding(request: HttpRequest, asset_id: int, census_id: int) -> HttpResponse:
    asset = asset_get(asset_id=asset_id)
    if asset is None:
        raise Http404(_("No such asset."))
    census = get_object_or_404(Census, pk=census_id)
    form = FindingForm(request.POST, prefix=f"census-{census.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose what you found."))
    else:
        try:
            census_record(census=census, asset=asset, actor=request.user, **form.cleaned_data)
        except CensusError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Recorded for %(census)s: %(code)s.") % {"census": census.name, "code": asset.code}
            )
    return redirect("assets:detail", asset_id=asset.pk)


@roles_required()
def census_detail(request: HttpRequest, census_id: int) -> HttpResponse:
    census = get_object_or_404(Census.objects.prefetch_related("grids", "categories"), pk=census_id)
    progress = census_progress(census=census)
    checked = CensusFinding.objects.filter(census=census).values("asset_id")
    unchecked = (
        census_assets(census=census)
        .exclude(pk__in=checked)
        .select_related("category", "micro_grid")
        .defer("micro_grid__boundary")
        .order_by("code")
    )
    findings = (
        CensusFinding.objects.filter(census=census)
        .exclude(finding="found")
        .select_related("asset__category", "recorded_by")
        .order_by("-recorded_at")[:100]
    )
    page = Paginator(unchecked, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assets/census.html", {
        "census": census, "progress": progress, "page": page, "findings": list(findings),
    })  # fmt: skip
