"""How an upstream system proves who it is: `Authorization: System <key>`, the key issued to it in
the admin (exchange.models.UpstreamSystem). Failures count per client address like failed logins,
API tokens and device keys: past LOGIN_FAILURE_LIMIT within LOGIN_LOCKOUT_MINUTES the address gets
429, whatever key it sends; each failure is audited."""

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
from exchange.models import UpstreamSystem
from exchange.services import system_for_key

SCOPE = "system-key-failures"
KEYWORD = "System"


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


class SystemKeyAuthentication(authentication.BaseAuthentication):
    """request.auth is the UpstreamSystem the key belongs to; request.user is anonymous."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        address = client_ip(request)
        if used(SCOPE, address, window=_window()) >= settings.LOGIN_FAILURE_LIMIT:
            window = _window()
            raise exceptions.Throttled(wait=int(window - time.time() % window) + 1)
        key = header[1].decode(errors="replace") if len(header) == 2 else ""
        system = system_for_key(key)
        if system is None:
            failures = hit(SCOPE, address, window=_window())
            audit_record(action="exchange.key_failed", actor="", request=request._request, result=Result.FAILED)
            if failures == settings.LOGIN_FAILURE_LIMIT:
                audit_record(
                    action="auth.lockout",
                    actor="",
                    request=request._request,
                    result=Result.DENIED,
                    details={"ip_address": address, "failures": failures, "via": "system_key"},
                )
            raise exceptions.AuthenticationFailed(_("Invalid system key: it is unknown or has been revoked."))
        return AnonymousUser(), system

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="exchange"'


class HasSystemKey(permissions.BasePermission):
    message = _("Send your system's key: Authorization: System <key>.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, UpstreamSystem)


class PerSystemThrottle(throttling.SimpleRateThrottle):
    """EXCHANGE_ORDERS_RATE work orders per system."""

    scope = "exchange-orders"

    def get_rate(self) -> str:
        return settings.EXCHANGE_ORDERS_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, UpstreamSystem):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


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
