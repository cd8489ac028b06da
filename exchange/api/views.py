"""The inbound work-order endpoint for 12345 and other upstream systems (a system key), and an
order's current state for its sender. Format: docs/EXCHANGE.md."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Status, Urgency
from config.api import error_responses
from exchange.api.authentication import HasSystemKey, PerSystemThrottle, SystemKeyAuthentication
from exchange.models import ExternalOrder
from exchange.services import order_receive


class OrderOutputSerializer(serializers.Serializer):
    class CaseRefSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        tracking_number = serializers.CharField()
        status = serializers.ChoiceField(choices=Status.choices)

    system = serializers.CharField(source="system.code")
    external_id = serializers.CharField()
    received_at = serializers.DateTimeField()
    case = CaseRefSerializer()


class _SystemApi(APIView):
    authentication_classes = [SystemKeyAuthentication]
    permission_classes = [HasSystemKey]
    throttle_classes = [PerSystemThrottle]
    parser_classes = [JSONParser]


class OrderApi(_SystemApi):
    """POST /api/exchange/orders/: one work order (12345 工单, 上级交办)."""

    class InputSerializer(serializers.Serializer):
        external_id = serializers.CharField(max_length=64, help_text="Your system's id of the order")
        lon = serializers.FloatField(min_value=-180, max_value=180, help_text="WGS 84 / CGCS2000")
        lat = serializers.FloatField(min_value=-90, max_value=90)
        address = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
        category = serializers.CharField(
            max_length=10, required=False, default="", allow_blank=True,
            help_text="A subcategory's full code (E0102 事件, C0101 部件); empty: the intake clerk chooses",
        )  # fmt: skip
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
        description = serializers.CharField(max_length=4000)
        reporter_name = serializers.CharField(max_length=50, required=False, default="", allow_blank=True)
        reporter_phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)

    @extend_schema(
        operation_id="exchange_order",
        summary="A work order from 12345 or another upstream system (authenticated by the system's key)",
        description="Header `Authorization: System <key>`. The order becomes a case with the system's source "
        "(12345 hotline, or higher-level assignment) and keeps `external_id`; the same `external_id` again "
        "answers 200 with the first order's case (also when both arrive at once). What becomes of the case "
        "is posted back to the system's callback URL: docs/EXCHANGE.md.",
        request=InputSerializer,
        responses={201: OrderOutputSerializer, 200: OrderOutputSerializer, **error_responses(400, 403)},
        examples=[
            OpenApiExample(
                "A 12345 work order",
                value={
                    "external_id": "GD202611180123",
                    "lon": 118.605,
                    "lat": 34.905,
                    "address": "人民路与沂河路交叉口",
                    "category": "E0102",
                    "urgency": "normal",
                    "description": "路口东北角垃圾堆放三天未清运",
                    "reporter_name": "王先生",
                    "reporter_phone": "13812341234",
                },  # fmt: skip
                request_only=True,
            )
        ],
        tags=["exchange"],
    )
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        order, new = order_receive(
            system=request.auth,
            external_id=given["external_id"],
            lon=given["lon"],
            lat=given["lat"],
            address=given["address"],
            category_code=given["category"],
            urgency=given["urgency"],
            description=given["description"],
            reporter_name=given["reporter_name"],
            reporter_phone=given["reporter_phone"],
        )
        order.case.refresh_from_db(fields=["status", "tracking_number"])
        body = OrderOutputSerializer(order).data
        return Response(body, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


class OrderDetailApi(_SystemApi):
    """GET /api/exchange/orders/<external_id>/: the case an order of this system became, as it is now."""

    @extend_schema(
        operation_id="exchange_order_detail",
        summary="One of your system's orders and its case's current status",
        responses={200: OrderOutputSerializer, **error_responses(403, 404)},
        tags=["exchange"],
    )
    def get(self, request: Request, external_id: str) -> Response:
        # Scope: a system sees only its own orders (another system's id answers 404, as an unknown one).
        order = ExternalOrder.objects.select_related("system", "case").filter(
            system=request.auth, external_id=external_id
        ).first()  # fmt: skip
        if order is None:
            raise NotFound()
        return Response(OrderOutputSerializer(order).data)
