"""The catalogue over JSON: the subcategories cases are filed under, and the departments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.permissions import PERMISSIONS
from cases.api.serializers import LimitSerializer, RefSerializer, limit_data
from cases.models import Category, Department
from config.api import error_responses


class CategoryListApi(APIView):
    """GET /api/categories/: the active subcategories (小类) to file cases under."""

    permission_classes = PERMISSIONS

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        full_code = serializers.CharField()
        name = serializers.CharField()
        kind = serializers.CharField(source="major.kind")
        major = RefSerializer()
        filing_condition = serializers.CharField()
        closing_condition = serializers.CharField()
        limit = serializers.SerializerMethodField()
        urgent_limit = serializers.SerializerMethodField()
        needs_approval = serializers.BooleanField()
        needs_onsite_check = serializers.BooleanField()
        public_category = serializers.CharField()
        department = RefSerializer(source="default_department", allow_null=True)

        @extend_schema_field(LimitSerializer)
        def get_limit(self, category: Category) -> dict | None:
            return limit_data(category.limit, category.limit_unit)

        @extend_schema_field(LimitSerializer(allow_null=True))
        def get_urgent_limit(self, category: Category) -> dict | None:
            return limit_data(category.urgent_limit, category.urgent_unit or category.limit_unit)

    @extend_schema(
        operation_id="categories_list",
        summary="Active subcategories with their limits and departments",
        responses={200: OutputSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        categories = (
            Category.objects.filter(active=True)
            .select_related("major", "default_department")
            .order_by("major__kind", "major__code", "code")
        )
        return Response(self.OutputSerializer(categories, many=True).data)


class DepartmentListApi(APIView):
    """GET /api/departments/: the active departments cases are dispatched to."""

    permission_classes = PERMISSIONS

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        short_name = serializers.CharField()

    @extend_schema(
        operation_id="departments_list",
        summary="Active departments",
        responses={200: OutputSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(Department.objects.filter(active=True), many=True).data)
