"""How a device or its platform proves who it is: `Authorization: Device <key>`, the key of the
device itself or of its integration (devices.models). Failures count per client address like
failed logins and API tokens (accounts.authentication: FailureCount, MachineKeyAuthentication)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions

from accounts.authentication import FailureCount, MachineKeyAuthentication, PerCredentialThrottle
from devices.models import Device, Integration
from devices.services import credential_for_key


class DeviceKeyAuthentication(MachineKeyAuthentication):
    """request.auth is the Integration or Device the key belongs to; request.user is anonymous."""

    keyword, realm = "Device", "alerts"
    failures = FailureCount(scope="device-key-failures", failed_action="devices.key_failed", via="device_key")
    invalid_message = _("Invalid device key: it is unknown or has been revoked.")

    def lookup(self, key: str):
        return credential_for_key(key)


class HasDeviceKey(permissions.BasePermission):
    message = _("Send the device's or its integration's key: Authorization: Device <key>.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Integration | Device)


class PerKeyThrottle(PerCredentialThrottle):
    """DEVICE_ALERTS_RATE alerts per key (a platform posts for many cameras from one address)."""

    scope, rate_setting, credentials = "device-alerts", "DEVICE_ALERTS_RATE", (Integration, Device)


class DeviceKeyScheme(OpenApiAuthenticationExtension):
    """How the API's schema (/api/schema/) describes the device keys."""

    target_class = DeviceKeyAuthentication
    name = "deviceKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <key>`: the key of the device, or of the integration that posts for it.",
        }
