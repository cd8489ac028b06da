"""The territory over JSON: map features, one grid's details, point lookup.

One view per action, each with its input and output serializers next to it.
Everything here only reads, through grids.selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_responses
from grids.maps import bbox_parse
from grids.models import RESPONSIBLE_ROLES, Grid, Level, Place, PlaceKind
from grids.selectors import (
    ANCESTORS,
    NO_BOUNDARIES,
    PLACES_MAP_LIMIT,
    grid_at_point,
    grid_children,
    places_in_view,
    responsible_at_point,
)

# A map is at most a few thousand pixels wide: vertices closer than this share of
# the shown area's extent cannot be seen, so they are dropped before sending.
SIMPLIFY_SHARE = 1 / 4000
COORD_DIGITS = 6  # ~0.1 m, finer than any survey behind a grid boundary


def _active(queryset: QuerySet[Grid]) -> QuerySet[Grid]:
    return queryset.valid_on(timezone.localdate())


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], int | float):
        return [round(value, COORD_DIGITS) for value in coords]
    return [_rounded(part) for part in coords]


def _multipolygon_coords(geom: GEOSGeometry) -> list:
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom)
    return _rounded(geom.coords)


def _simplified(geom: GEOSGeometry, tolerance: float) -> GEOSGeometry:
    if tolerance <= 0:
        return geom
    simple = geom.simplify(tolerance, preserve_topology=True)
    return simple if not simple.empty else geom


class GridRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField(source="get_level_display")


class ChiefSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


class GridFeaturesApi(APIView):
    """GET /api/grids/features/?parent=<id>: the children of a grid (no parent: the top
    of the tree) as a GeoJSON FeatureCollection, boundaries simplified for display."""

    class InputSerializer(serializers.Serializer):
        parent = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        summary="Map features: a grid's children (no parent: the top of the tree)",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403, 404)},
        description="A GeoJSON FeatureCollection of MultiPolygons, simplified for display.",
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        parent = None
        if "parent" in params.validated_data:
            parent = get_object_or_404(Grid.objects.only("id"), pk=params.validated_data["parent"])
        child_count = (
            _active(Grid.objects.filter(parent=OuterRef("pk")))
            .order_by()
            .values("parent")
            .annotate(count=Count("pk"))
            .values("count")
        )
        grids = list(
            _active(grid_children(grid=parent))
            .select_related("chief")
            .only("id", "code", "name", "level", "boundary", "area_m2", "parent_id", "chief__name")
            .annotate(child_count=Coalesce(Subquery(child_count, output_field=IntegerField()), Value(0)))
            .order_by("code")
        )
        tolerance = 0.0
        if grids:
            extents = [grid.boundary.extent for grid in grids]
            width = max(e[2] for e in extents) - min(e[0] for e in extents)
            height = max(e[3] for e in extents) - min(e[1] for e in extents)
            tolerance = max(width, height) * SIMPLIFY_SHARE
        return Response(
            {
                "type": "FeatureCollection",
                "parent": parent.pk if parent else None,
                "features": [self._feature(grid, tolerance) for grid in grids],
            }
        )

    @staticmethod
    def _feature(grid: Grid, tolerance: float) -> dict:
        label = grid.boundary.point_on_surface
        return {
            "type": "Feature",
            "id": grid.pk,
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": _multipolygon_coords(_simplified(grid.boundary, tolerance)),
            },
            "properties": {
                "id": grid.pk,
                "code": grid.code,
                "name": grid.name,
                "level": grid.level,
                "level_label": str(grid.get_level_display()),
                "chief": grid.chief.name if grid.chief else None,
                "child_count": grid.child_count,
                "area_m2": round(grid.area_m2, 1),
                "label_point": _rounded([label.x, label.y]),
            },
        }


class PlaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    reach_m = serializers.FloatField()
    chief = ChiefSerializer(allow_null=True)


class GridDetailApi(APIView):
    """GET /api/grids/<id>/: one grid with its chief, parent, children and breadcrumb, and for a
    micro grid its places (streets, shops, lanes) with their chiefs (三长)."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        level = serializers.CharField()
        level_label = serializers.CharField(source="get_level_display")
        area_m2 = serializers.FloatField()
        valid_from = serializers.DateField()
        valid_to = serializers.DateField()
        chief = ChiefSerializer(allow_null=True)
        parent = GridRefSerializer(allow_null=True)
        children = GridRefSerializer(many=True, source="active_children")
        ancestors = GridRefSerializer(many=True)
        places = PlaceRefSerializer(many=True, source="place_list", help_text="A micro grid's places; else empty")

    @extend_schema(
        summary="One grid with its chief, parent, children and breadcrumb, and a micro grid's places",
        responses={200: OutputSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, grid_id: int) -> Response:
        grid = get_object_or_404(
            Grid.objects.select_related("chief", ANCESTORS).defer(*NO_BOUNDARIES),
            pk=grid_id,
        )
        grid.active_children = list(_active(grid.children.defer("boundary")).order_by("code"))
        ancestors, up = [], grid.parent
        while up is not None:
            ancestors.append(up)
            up = up.parent
        grid.ancestors = ancestors[::-1]  # root first, as a breadcrumb reads
        grid.place_list = (
            list(grid.places.select_related("chief").defer("geometry", "reach").order_by("kind", "code"))
            if grid.level == Level.MICRO
            else []
        )
        return Response(self.OutputSerializer(grid).data)


class PlaceFeaturesApi(APIView):
    """GET /api/grids/places/?bbox=minlon,minlat,maxlon,maxlat[&kind=shop,lane,street]: the places
    with chiefs (三长) in a map's view, as GeoJSON."""

    class InputSerializer(serializers.Serializer):
        bbox = serializers.CharField(help_text="min lon, min lat, max lon, max lat (WGS84), comma separated")
        kind = serializers.CharField(required=False, help_text="Kinds, comma separated: shop, lane, street")

        def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
            return bbox_parse(value)

        def validate_kind(self, value: str) -> list[str]:
            kinds = [part.strip() for part in value.split(",") if part.strip()]
            unknown = [kind for kind in kinds if kind not in PlaceKind.values]
            if unknown:
                raise serializers.ValidationError(_("Unknown kind: %(kinds)s.") % {"kinds": ", ".join(unknown)})
            return kinds

    @extend_schema(
        operation_id="grids_places",
        summary="The places with chiefs (streets, shops, lanes) in a map's view, as GeoJSON",
        description=f"At most {PLACES_MAP_LIMIT}; `truncated` is true when there were more: zoom in.",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        places, truncated = places_in_view(bbox=given["bbox"], kinds=given.get("kind") or None)
        return Response(
            {"type": "FeatureCollection", "truncated": truncated, "features": [_place_feature(p) for p in places]}
        )


def _place_feature(place: Place) -> dict:
    return {
        "type": "Feature",
        "id": place.pk,
        "geometry": {"type": place.geometry.geom_type, "coordinates": _rounded(place.geometry.coords)},
        "properties": {
            "id": place.pk,
            "code": place.code,
            "name": place.name,
            "kind": place.kind,
            "kind_label": str(place.get_kind_display()),
            "chief": place.chief.name if place.chief_id else None,
            "grid": place.micro_grid.name,
        },
    }


class LocateApi(APIView):
    """GET /api/grids/locate/?lon=<x>&lat=<y> (WGS84): the micro grid holding the point,
    its ancestors and who is responsible there; `inside: false` outside the jurisdiction."""

    class InputSerializer(serializers.Serializer):
        lon = serializers.FloatField(
            min_value=-180,
            max_value=180,
            error_messages={
                "required": _("Give the longitude as lon=<decimal degrees, WGS84>."),
                "invalid": _("The longitude must be a number in decimal degrees."),
                "min_value": _("The longitude must be between -180 and 180."),
                "max_value": _("The longitude must be between -180 and 180."),
            },
        )
        lat = serializers.FloatField(
            min_value=-90,
            max_value=90,
            error_messages={
                "required": _("Give the latitude as lat=<decimal degrees, WGS84>."),
                "invalid": _("The latitude must be a number in decimal degrees."),
                "min_value": _("The latitude must be between -90 and 90."),
                "max_value": _("The latitude must be between -90 and 90."),
            },
        )

    class OutputSerializer(serializers.Serializer):
        class ResponsibleSerializer(serializers.Serializer):
            name = serializers.CharField(source="person.name")
            phone = serializers.CharField(source="person.phone")
            role = serializers.CharField()
            role_label = serializers.SerializerMethodField()
            place = serializers.SerializerMethodField()
            grid = GridRefSerializer(allow_null=True)

            def get_role_label(self, responsibility) -> str:
                return str(RESPONSIBLE_ROLES.get(responsibility.role, responsibility.role))

            def get_place(self, responsibility) -> dict | None:
                place = responsibility.place
                if place is None:
                    return None
                return {
                    "code": place.code,
                    "name": place.name,
                    "kind": place.kind,
                    "kind_label": str(place.get_kind_display()),
                }

        inside = serializers.BooleanField()
        lon = serializers.FloatField(source="point.x")
        lat = serializers.FloatField(source="point.y")
        micro = GridRefSerializer(allow_null=True)
        community = GridRefSerializer(allow_null=True)
        large = GridRefSerializer(allow_null=True)
        district = GridRefSerializer(allow_null=True)
        ancestors = GridRefSerializer(many=True)
        responsible = ResponsibleSerializer(allow_null=True)
        message = serializers.CharField()

    @extend_schema(
        summary="Which micro grid holds a point (WGS84), and who is responsible there",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        point = Point(params.validated_data["lon"], params.validated_data["lat"], srid=4326)
        location = grid_at_point(point=point, responsible=True)  # the responsible person in the same statement
        result = {
            "inside": location.inside,
            "point": location.point,
            "micro": location.micro,
            "community": location.community,
            "large": location.large,
            "district": location.district,
            "ancestors": location.chain[1:][::-1],  # above the micro grid, root first
            "responsible": responsible_at_point(point=point, location=location),
            "message": _("Inside micro grid %(grid)s.") % {"grid": location.micro}
            if location.inside
            else _("This point is outside the jurisdiction: no grid covers it."),
        }
        return Response(self.OutputSerializer(result).data)
