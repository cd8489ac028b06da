"""The campaigns' pages: the list (each links to its figures, on the assessments pages), and a
campaign's cases, where the command center puts cases in or takes them out by hand."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.roles import CENTRE, user_roles
from campaigns.models import Campaign
from campaigns.selectors import campaign_cases, campaigns_list
from campaigns.services import campaign_tag, campaign_tag_by_rule, campaigns_tag_by_rule
from cases.views import roles_required
from config.errors import ApplicationError

TAGGERS = CENTRE  # who puts cases in or out by hand: the command center


@roles_required()
def campaign_index(request: HttpRequest) -> HttpResponse:
    campaigns_tag_by_rule()  # the counts shown are those of the rules now
    return render(request, "campaigns/index.html", {"campaigns": list(campaigns_list())})


@roles_required()
def campaign_cases_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.prefetch_related("grids", "categories"), pk=campaign_id)
    campaign_tag_by_rule(campaign=campaign)
    page = Paginator(campaign_cases(campaign=campaign, user=request.user), 50).get_page(request.GET.get("page"))
    can_tag = bool(set(user_roles(request.user)) & TAGGERS)
    return render(request, "campaigns/cases.html", {"campaign": campaign, "page": page, "can_tag": can_tag})


@require_POST
@roles_required(*TAGGERS)
def campaign_tag_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    counted = request.POST.get("action") != "remove"
    try:
        tag = campaign_tag(campaign=campaign, case=request.POST.get("case", ""), actor=request.user, counted=counted)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, tag.get_how_display() + ": " + tag.case.tracking_number)
    return redirect("campaigns:cases", campaign_id=campaign.pk)
