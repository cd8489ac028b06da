"""Campaigns over JSON: the list, and a campaign's cases (read; put in or take out by hand).
The figures are at /api/assessments/campaigns/<id>/ (assessments.api)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CENTRE, user_roles
from campaigns.models import Campaign
from campaigns.selectors import campaign_cases, campaigns_list
from campaigns.services import campaign_tag, campaign_tag_by_rule, campaigns_tag_by_rule
from cases.api.permissions import PERMISSIONS
from cases.api.serializers import CaseListItemSerializer
from cases.selectors import list_rows
from config.api import error_responses


class CampaignSerializer(serializers.Serializer):
    class TargetSerializer(serializers.Serializer):
        category = serializers.CharField(source="category.full_code", default=None, allow_null=True)
        figure = serializers.CharField()
        amount = serializers.IntegerField()

    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    grids = serializers.SerializerMethodField(help_text="Grid codes (with their subtrees); empty: the whole city")
    categories = serializers.SerializerMethodField(help_text="Subcategory codes; empty: all")
    targets = TargetSerializer(many=True, source="targets.all")
    counted = serializers.IntegerField(help_text="Cases it counts")
    figures_url = serializers.SerializerMethodField()

    def get_grids(self, campaign: Campaign) -> list[str]:
        return [grid.code for grid in campaign.grids.all()]

    def get_categories(self, campaign: Campaign) -> list[str]:
        return [category.full_code for category in campaign.categories.all()]

    def get_figures_url(self, campaign: Campaign) -> str:
        return reverse("assessments_api:campaign", args=[campaign.pk])


class CampaignListApi(APIView):
    """GET /api/campaigns/: every campaign."""

    permission_classes = PERMISSIONS

    @extend_schema(operation_id="campaigns_list", summary="Campaigns (专项整治)",
                   responses={200: CampaignSerializer(many=True), **error_responses(403)})  # fmt: skip
    def get(self, request: Request) -> Response:
        campaigns_tag_by_rule()  # the counts given are those of the rules now
        campaigns = campaigns_list().prefetch_related("targets__category__major", "categories__major")
        return Response(CampaignSerializer(campaigns, many=True).data)


class CampaignCasesApi(APIView):
    """GET /api/campaigns/<id>/cases/: the cases it counts that you may see.
    POST: put a case in (`add`) or take it out (`remove`) by hand (the command center)."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        case = serializers.CharField(max_length=20, help_text="The case's id or tracking number")
        action = serializers.ChoiceField(choices=["add", "remove"], default="add")

    @extend_schema(operation_id="campaigns_cases", summary="The cases a campaign counts",
                   responses={200: CaseListItemSerializer(many=True), **error_responses(403, 404)})  # fmt: skip
    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = get_object_or_404(Campaign.objects.prefetch_related("grids", "categories"), pk=campaign_id)
        campaign_tag_by_rule(campaign=campaign)
        cases = campaign_cases(campaign=campaign, user=request.user).select_related("category__major")
        return Response(CaseListItemSerializer(list_rows(list(cases[:1000])), many=True).data)

    @extend_schema(operation_id="campaigns_tag", summary="Put a case in or take it out by hand",
                   request=InputSerializer, responses={200: CaseListItemSerializer, **error_responses(400, 403, 404)})  # fmt: skip
    def post(self, request: Request, campaign_id: int) -> Response:
        if not set(user_roles(request.user)) & CENTRE:
            raise exceptions.PermissionDenied(_("Cases are put into campaigns by the command center."))
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        tag = campaign_tag(campaign=campaign, case=given["case"], actor=request.user, counted=given["action"] == "add")
        return Response({"case": tag.case.tracking_number, "how": tag.how})
