"""The component inventory over JSON: the assets in a map's view, the list, one asset with the
cases about it, and census findings. Reads through assets.selectors, writes through
assets.services. Anyone with a role of the product reads the inventory (public assets, like the
grid map); the cases shown are those the reader may see (cases.scope)."""

from __future__ import annotations

import json
import math

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CENTRE, Role, user_roles
from assets.models import Asset, AssetStatus, Census, Finding
from assets.selectors import MAP_LIMIT, asset_cases, asset_get, asset_list, assets_in_view, census_progress
from assets.services import census_record
from cases.api.permissions import PERMISSIONS
from config.api import error_responses
from grids.maps import bbox_parse
from grids.models import Grid

# Who records census findings: inspectors on site, and the command center for them.
CENSUS_ROLES = CENTRE | {Role.INSPECTOR}
PAGE_SIZE = 50


def asset_feature(asset: Asset) -> dict:
    """An asset as a GeoJSON feature for the maps (static/js/asset-layer.js)."""
    return {
        "type": "Feature",
        "geometry": json.loads(asset.geometry.json),
        "properties": {
            "id": asset.pk,
            "code": asset.code,
            "name": asset.name,
            "category": {"id": asset.category_id, "code": asset.category.full_code, "name": asset.category.name},
            "status": asset.status,
            "status_label": str(asset.get_status_display()),
            "maintainer": {"id": asset.maintainer_id, "name": asset.maintainer.name} if asset.maintainer_id else None,
            "point": [round(asset.point.x, 7), round(asset.point.y, 7)],
            "url": reverse("assets:detail", args=[asset.pk]),
        },
    }


class AssetFeaturesApi(APIView):
    """GET /api/assets/features/?bbox=minlon,minlat,maxlon,maxlat: the assets in a map's view."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        bbox = serializers.CharField(help_text="min lon, min lat, max lon, max lat (WGS84), comma separated")
        category = serializers.CharField(required=False, help_text="Subcategory ids, comma separated")

        def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
            return bbox_parse(value)

        def validate_category(self, value: str) -> list[int]:
            try:
                return [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise serializers.ValidationError(_("Subcategory ids are numbers.")) from None

    @extend_schema(
        operation_id="assets_features",
        summary="The assets in a map's view, as GeoJSON",
        description=f"At most {MAP_LIMIT} (retired assets left out); `truncated` is true when there were more: zoom in.",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        assets, truncated = assets_in_view(bbox=given["bbox"], category_ids=given.get("category") or None)
        return Response(
            {"type": "FeatureCollection", "truncated": truncated, "features": [asset_feature(a) for a in assets]}
        )


class AssetOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    owner = serializers.CharField()
    maintainer = serializers.SerializerMethodField()
    micro_grid = serializers.SerializerMethodField()
    geometry = serializers.SerializerMethodField()
    point = serializers.SerializerMethodField(help_text="[lon, lat]: where the map shows it (a line: its middle)")
    installed_on = serializers.DateField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField(help_text="Its page")

    def get_category(self, asset: Asset) -> dict:
        return {"id": asset.category_id, "code": asset.category.full_code, "name": asset.category.name}

    def get_maintainer(self, asset: Asset) -> dict | None:
        m = asset.maintainer
        return {"id": m.pk, "code": m.code, "name": m.name} if m else None

    def get_micro_grid(self, asset: Asset) -> dict | None:
        g = asset.micro_grid
        return {"id": g.pk, "code": g.code, "name": g.name} if g else None

    def get_geometry(self, asset: Asset) -> dict:
        return json.loads(asset.geometry.json)

    def get_point(self, asset: Asset) -> list[float]:
        return [round(asset.point.x, 7), round(asset.point.y, 7)]

    def get_url(self, asset: Asset) -> str:
        return reverse("assets:detail", args=[asset.pk])


class AssetListApi(APIView):
    """GET /api/assets/: the inventory, filtered, 50 a page."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(required=False, max_length=16, help_text="The code, or its beginning")
        category = serializers.IntegerField(required=False, min_value=1)
        grid = serializers.IntegerField(required=False, min_value=1, help_text="Any grid: its whole subtree")
        status = serializers.ChoiceField(choices=AssetStatus.choices, required=False)
        page = serializers.IntegerField(min_value=1, default=1)

    @extend_schema(
        operation_id="assets_list",
        summary="The component inventory",
        parameters=[InputSerializer],
        responses={200: AssetOutputSerializer(many=True), **error_responses(400, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        grid = get_object_or_404(Grid.objects.defer("boundary"), pk=given["grid"]) if "grid" in given else None
        assets = asset_list(
            code=given.get("code", ""), category_id=given.get("category"), grid=grid, status=given.get("status", "")
        )
        count = assets.count()
        page = given["page"]
        pages = max(1, math.ceil(count / PAGE_SIZE))
        if page > pages:
            raise exceptions.NotFound(
                _("There is no page %(page)d; the last is %(pages)d.") % {"page": page, "pages": pages}
            )
        rows = assets[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return Response(
            {"count": count, "page": page, "pages": pages, "results": AssetOutputSerializer(rows, many=True).data}
        )


class AssetDetailApi(APIView):
    """GET /api/assets/<id>/: one asset with its case history (the cases you may see)."""

    permission_classes = PERMISSIONS

    class OutputSerializer(AssetOutputSerializer):
        class CaseSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            tracking_number = serializers.CharField()
            status = serializers.CharField()
            status_label = serializers.CharField(source="get_status_display")
            category = serializers.CharField(source="category.name", default=None)
            department = serializers.CharField(source="department.name", default=None)
            reported_at = serializers.DateTimeField()
            closed_at = serializers.DateTimeField(allow_null=True)

        cases = serializers.SerializerMethodField()

        def get_cases(self, asset: Asset) -> list:
            return self.CaseSerializer(self.context["cases"], many=True).data

    @extend_schema(
        operation_id="assets_detail",
        summary="One asset with the cases about it",
        responses={200: OutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, asset_id: int) -> Response:
        asset = asset_get(asset_id=asset_id)
        if asset is None:
            raise exceptions.NotFound(_("No such asset."))
        cases = asset_cases(asset=asset, user=request.user)[:100]
        return Response(self.OutputSerializer(asset, context={"cases": cases}).data)


class CensusFindingApi(APIView):
    """POST /api/assets/censuses/<id>/findings/: what was found of an asset on site."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        asset = serializers.IntegerField(min_value=1, help_text="The asset's id")
        finding = serializers.ChoiceField(choices=Finding.choices)
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        census = serializers.IntegerField(source="census_id")
        asset = serializers.IntegerField(source="asset_id")
        finding = serializers.CharField()
        asset_status = serializers.CharField(source="asset.status")
        recorded_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="assets_census_finding",
        summary="Record what was found of an asset during a census (inspectors, the command center)",
        description="The latest finding per asset and census counts; the asset's status follows it "
        "(found: in service, damaged, missing).",
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, census_id: int) -> Response:
        if not set(user_roles(request.user)) & CENSUS_ROLES:
            raise exceptions.PermissionDenied(_("Census findings are recorded by inspectors and the command center."))
        census = get_object_or_404(Census, pk=census_id)
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        asset = get_object_or_404(Asset, pk=given["asset"])
        row = census_record(
            census=census,
            asset=asset,
            finding=given["finding"],
            note=given["note"],
            actor=request.user,
            now=timezone.now(),
        )
        row.asset.refresh_from_db(fields=["status"])
        return Response(self.OutputSerializer(row).data, status=status.HTTP_201_CREATED)


class CensusProgressApi(APIView):
    """GET /api/assets/censuses/<id>/: how far a census is."""

    permission_classes = PERMISSIONS

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        starts_on = serializers.DateField()
        ends_on = serializers.DateField()
        total = serializers.IntegerField()
        checked = serializers.IntegerField()
        found = serializers.IntegerField()
        damaged = serializers.IntegerField()
        missing = serializers.IntegerField()

    @extend_schema(
        operation_id="assets_census",
        summary="A census and its progress",
        responses={200: OutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, census_id: int) -> Response:
        census = get_object_or_404(Census, pk=census_id)
        progress = census_progress(census=census)
        data = {"id": census.pk, "name": census.name, "starts_on": census.starts_on, "ends_on": census.ends_on,
                **{k: getattr(progress, k) for k in ("total", "checked", "found", "damaged", "missing")}}  # fmt: skip
        return Response(self.OutputSerializer(data).data)
