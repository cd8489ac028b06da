"""How a device or its platform proves who it is: `Authorization: Device <key>`, the key of the
device itself or of its integration (devices.models). Failures count per client address like
failed logins and API tokens (accounts.authentication): past LOGIN_FAILURE_LIMIT within
LOGIN_LOCKOUT_MINUTES the address gets 429, whatever key it sends; each failure is audited."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from audit.models import Result
from audit.services import audit_record
from citizens.ratelimit import client_ip, hit, used
from devices.models import Device, Integration
from devices.services import credential_for_key

SCOPE = "device-key-failures"
KEYWORD = "Device"


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


class DeviceKeyAuthentication(authentication.BaseAuthentication):
    """request.auth is the Integration or Device the key belongs to; request.user is anonymous."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        address = client_ip(request)
        if used(SCOPE, address, window=_window()) >= settings.LOGIN_FAILURE_LIMIT:
            window = _window()
            raise exceptions.Throttled(wait=int(window - time.time() % window) + 1)
        key = header[1].decode(errors="replace") if len(header) == 2 else ""
        credential = credential_for_key(key)
        if credential is None:
            failures = hit(SCOPE, address, window=_window())
            audit_record(action="devices.key_failed", actor="", request=request._request, result=Result.FAILED)
            if failures == settings.LOGIN_FAILURE_LIMIT:
                audit_record(
                    action="auth.lockout",
                    actor="",
                    request=request._request,
                    result=Result.DENIED,
                    details={"ip_address": address, "failures": failures, "via": "device_key"},
                )
            raise exceptions.AuthenticationFailed(_("Invalid device key: it is unknown or has been revoked."))
        return AnonymousUser(), credential

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="alerts"'


class HasDeviceKey(permissions.BasePermission):
    message = _("Send the device's or its integration's key: Authorization: Device <key>.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Integration | Device)


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """DEVICE_ALERTS_RATE alerts per key (a platform posts for many cameras from one address)."""

    scope = "device-alerts"

    def get_rate(self) -> str:
        return settings.DEVICE_ALERTS_RATE

    def get_cache_key(self, request, view) -> str | None:
        credential = request.auth
        if not isinstance(credential, Integration | Device):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{type(credential).__name__}-{credential.pk}"}


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
