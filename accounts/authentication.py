"""API token authentication (the tokens of accounts.tokens: per device, expiring, revocable)
whose failures count per client address, like failed logins.

DRF's throttles run after authentication, so a wrong token is refused before any throttle
sees it: token guessing would go unlimited. Here every failed token counts against the
client's address; at LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES the address
gets 429 for the rest of that window, whatever token it sends.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.tokens import api_token_authenticate
from audit.models import Result
from audit.services import audit_record
from citizens.ratelimit import client_ip, hit, used

SCOPE = "api-token-failures"


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        address = client_ip(request)
        if used(SCOPE, address, window=_window()) >= settings.LOGIN_FAILURE_LIMIT:
            raise exceptions.Throttled(wait=self._wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            failures = hit(SCOPE, address, window=_window())
            django_request = request._request
            audit_record(action="api.token_failed", actor="", request=django_request, result=Result.FAILED)
            if failures == settings.LOGIN_FAILURE_LIMIT:
                audit_record(
                    action="auth.lockout",
                    actor="",
                    request=django_request,
                    result=Result.DENIED,
                    details={"ip_address": address, "failures": failures, "via": "api_token"},
                )
            raise

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key)
        if token is None:  # unknown, expired, or its user disabled
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return (token.user, token)

    @staticmethod
    def _wait() -> int:
        window = _window()
        return int(window - time.time() % window) + 1
