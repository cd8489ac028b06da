"""The gazetteer over JSON: search by text and the address at a point. Staff only (someone
logged in holding a role of the product: the same gate as the cases API); both only read."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.permissions import PERMISSIONS
from config.api import error_responses
from gazetteer.models import EntryKind
from gazetteer.selectors import SEARCH_LIMIT, gazetteer_reverse, gazetteer_search, reverse_radius_m


class FoundSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[*EntryKind.values, "door"], help_text="street, building, poi, or door: a number placed on its street"
    )
    kind_label = serializers.SerializerMethodField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField(help_text="What to put in the report's address")
    lon = serializers.FloatField()
    lat = serializers.FloatField()
    distance_m = serializers.FloatField(allow_null=True, help_text="Reverse lookup: metres from the point")

    def get_kind_label(self, found) -> str:
        return str(KIND_LABELS.get(found.kind, found.kind))


KIND_LABELS = {**dict(EntryKind.choices), "door": _("Door number")}


class GazetteerSearchApi(APIView):
    """GET /api/gazetteer/search/?q=<text>: addresses and places by 汉字, pinyin or initials
    (兴隆路, xinglonglu, xll), or a street and door number (兴隆路88号, xll88)."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(
            max_length=100,
            trim_whitespace=True,
            error_messages={"required": _("Type part of an address or a place's name as q=<text>.")},
        )
        limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=SEARCH_LIMIT)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: FoundSerializer(many=True), **error_responses(400, 403)},
        summary="Find an address or place",
    )
    def get(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        found = gazetteer_search(text=given.validated_data["q"], limit=given.validated_data["limit"])
        return Response(FoundSerializer(found, many=True).data)


class GazetteerReverseApi(APIView):
    """GET /api/gazetteer/reverse/?lon=<x>&lat=<y>: the address at a point (the nearest door
    number, building or place within GAZETTEER_REVERSE_M metres); `found: false` if none."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        lon = serializers.FloatField(min_value=-180, max_value=180)
        lat = serializers.FloatField(min_value=-90, max_value=90)

    class OutputSerializer(serializers.Serializer):
        found = serializers.BooleanField()
        within_m = serializers.FloatField()
        result = FoundSerializer(allow_null=True)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **error_responses(400, 403)},
        summary="The address at a point",
    )
    def get(self, request: Request) -> Response:
        given = self.InputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        point = Point(given.validated_data["lon"], given.validated_data["lat"], srid=4326)
        found = gazetteer_reverse(point=point)
        body = {"found": found is not None, "within_m": reverse_radius_m(), "result": found}
        return Response(self.OutputSerializer(body).data)
