"""How an upstream system proves who it is: `Authorization: System <key>`, the key issued to it in
the admin (exchange.models.UpstreamSystem). Failures count per client address like failed logins,
API tokens and device keys (accounts.authentication: FailureCount, MachineKeyAuthentication)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions

from accounts.authentication import FailureCount, MachineKeyAuthentication, PerCredentialThrottle
from exchange.models import UpstreamSystem
from exchange.services import system_for_key


class SystemKeyAuthentication(MachineKeyAuthentication):
    """request.auth is the UpstreamSystem the key belongs to; request.user is anonymous."""

    keyword, realm = "System", "exchange"
    failures = FailureCount(scope="system-key-failures", failed_action="exchange.key_failed", via="system_key")
    invalid_message = _("Invalid system key: it is unknown or has been revoked.")

    def lookup(self, key: str):
        return system_for_key(key)


class HasSystemKey(permissions.BasePermission):
    message = _("Send your system's key: Authorization: System <key>.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, UpstreamSystem)


class PerSystemThrottle(PerCredentialThrottle):
    """EXCHANGE_ORDERS_RATE work orders per system."""

    scope, rate_setting, credentials = "exchange-orders", "EXCHANGE_ORDERS_RATE", (UpstreamSystem,)


class SystemKeyScheme(OpenApiAuthenticationExtension):
    """How the API's schema (/api/schema/) describes the system keys."""

    target_class = SystemKeyAuthentication
    name = "systemKey"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`System <key>`: the key issued to your system (12345, the higher-level platform).",
        }
