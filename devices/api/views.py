"""Devices over JSON: the alert endpoint for cameras, sensors and their platforms (a device or
integration key), and the alerts for the command center (a user with a role)."""

from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import user_roles
from cases.api.permissions import PERMISSIONS
from cases.scope import SEES_ALL
from config.api import error_responses
from devices.api.authentication import DeviceKeyAuthentication, HasDeviceKey, PerKeyThrottle
from devices.models import Outcome
from devices.selectors import alerts_list
from devices.services import alert_receive, device_for

SNAPSHOT_MAX_BASE64 = 14 * 1024 * 1024  # a 10 MB photo, base64-encoded


class AlertOutputSerializer(serializers.Serializer):
    class CaseRefSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        tracking_number = serializers.CharField()
        status = serializers.CharField()

    id = serializers.IntegerField()
    alert_id = serializers.CharField()
    device = serializers.CharField(source="device.code")
    event_type = serializers.CharField(source="event_type.code")
    occurred_at = serializers.DateTimeField()
    confidence = serializers.DecimalField(max_digits=4, decimal_places=3)
    outcome = serializers.ChoiceField(choices=Outcome.choices, help_text="filed, held (waiting for a person), merged")
    auto_filed = serializers.BooleanField()
    case = CaseRefSerializer()


class AlertApi(APIView):
    """POST /api/devices/alerts/: one alert of a camera or sensor."""

    authentication_classes = [DeviceKeyAuthentication]
    permission_classes = [HasDeviceKey]
    throttle_classes = [PerKeyThrottle]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    body_max_setting = "SNAPSHOT_UPLOAD_MAX_BYTES"  # one snapshot, possibly base64 (config.limits)

    class InputSerializer(serializers.Serializer):
        device = serializers.CharField(max_length=40, help_text="The device id, as registered")
        event_type = serializers.CharField(max_length=40, help_text="An event type's code (e.g. garbage_exposed)")
        confidence = serializers.CharField(max_length=20, help_text="0 to 1")
        occurred_at = serializers.DateTimeField(required=False, help_text="ISO 8601 with a time zone; default: now")
        alert_id = serializers.CharField(
            max_length=64, required=False, default="", help_text="Your id for the alert: sent again, it is taken once"
        )
        snapshot = serializers.FileField(required=False, help_text="The snapshot (multipart): JPEG, PNG or WebP")
        snapshot_base64 = serializers.CharField(
            required=False, max_length=SNAPSHOT_MAX_BASE64, help_text="Or the snapshot base64-encoded (JSON)"
        )

        def validate(self, data: dict) -> dict:
            if "snapshot" in data and "snapshot_base64" in data:
                raise serializers.ValidationError(_("Send the snapshot once: as a file or base64-encoded."))
            if "snapshot_base64" in data:
                try:
                    data["snapshot"] = base64.b64decode(data.pop("snapshot_base64"), validate=True)
                except (binascii.Error, ValueError):
                    raise serializers.ValidationError({"snapshot_base64": _("This is not base64.")}) from None
            elif "snapshot" in data:
                data["snapshot"] = data["snapshot"].read()
            return data

    @extend_schema(
        operation_id="devices_alert",
        summary="An alert of a camera or sensor (authenticated by the device's or its integration's key)",
        description="Header `Authorization: Device <key>`. A key answers only for its device, or for the devices "
        "of its integration (403 otherwise, also for an unknown device). Alerts of one device and event type within "
        "the event type's window join one open case; at or above the event type's threshold the case is filed at "
        "once, below it waits for a person at intake. The same `alert_id` again answers 200 with the first alert.",
        request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
        responses={201: AlertOutputSerializer, 200: AlertOutputSerializer, **error_responses(400, 403)},
        examples=[
            OpenApiExample(
                "A camera's alert",
                value={
                    "device": "37132900001320000001",
                    "event_type": "garbage_exposed",
                    "confidence": "0.92",
                    "occurred_at": "2026-11-20T09:30:00+08:00",
                    "alert_id": "evt-88231",
                },  # fmt: skip
                request_only=True,
            )
        ],
        tags=["devices"],
    )
    def post(self, request: Request) -> Response:
        # Scope before anything else: may this key speak for that device at all?
        device_for(credential=request.auth, device_code=request.data.get("device", ""))
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        alert, new = alert_receive(
            credential=request.auth,
            device_code=given["device"],
            event_type_code=given["event_type"],
            confidence=given["confidence"],
            occurred_at=given.get("occurred_at"),
            snapshot=given.get("snapshot"),
            alert_id=given["alert_id"],
        )
        alert.case.refresh_from_db(fields=["status"])
        body = AlertOutputSerializer(alert).data
        return Response(body, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


class AlertListApi(APIView):
    """GET /api/devices/alerts/list/: recent alerts, for the command center and leaders."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
        waiting = serializers.BooleanField(default=False, help_text="Only those whose case still waits at intake")
        device = serializers.CharField(required=False, max_length=40)

    @extend_schema(
        operation_id="devices_alerts",
        summary="Recent alerts (the 200 newest)",
        parameters=[InputSerializer],
        responses={200: AlertOutputSerializer(many=True), **error_responses(400, 403)},
        tags=["devices"],
    )
    def get(self, request: Request) -> Response:
        if not set(user_roles(request.user)) & SEES_ALL:
            raise exceptions.PermissionDenied(_("Alerts are for the command center, inspectors and leaders."))
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        alerts = alerts_list(outcome=given.get("outcome"), waiting=given["waiting"], device_code=given.get("device"))
        return Response(AlertOutputSerializer(alerts[:200], many=True).data)
