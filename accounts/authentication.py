"""API token authentication (the tokens of accounts.tokens: per device, expiring, revocable)
whose failures count per client address, like failed logins.

DRF's throttles run after authentication, so a wrong token is refused before any throttle
sees it: token guessing would go unlimited. Here every failed token counts against the
client's address; at LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES the address
gets 429 for the rest of that window, whatever token it sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, throttling

from accounts.tokens import api_token_authenticate
from audit.models import Result
from audit.services import audit_record
from citizens.ratelimit import client_ip, hit, used


def _window() -> int:
    return settings.LOGIN_LOCKOUT_MINUTES * 60


def _wait() -> int:
    window = _window()
    return int(window - time.time() % window) + 1


@dataclass(frozen=True)
class FailureCount:
    """Failed keys counted per client address, like failed logins: past LOGIN_FAILURE_LIMIT within
    LOGIN_LOCKOUT_MINUTES the address gets 429 whatever key it sends; each failure is audited
    (`failed_action`), the lockout too (`auth.lockout`, naming `via`)."""

    scope: str
    failed_action: str
    via: str

    def refuse_locked(self, request) -> str:
        """The client's address, after raising Throttled if it is locked out."""
        address = client_ip(request)
        if used(self.scope, address, window=_window()) >= settings.LOGIN_FAILURE_LIMIT:
            raise exceptions.Throttled(wait=_wait())
        return address

    def record(self, request, address: str) -> None:
        failures = hit(self.scope, address, window=_window())
        django_request = getattr(request, "_request", request)
        audit_record(action=self.failed_action, actor="", request=django_request, result=Result.FAILED)
        if failures == settings.LOGIN_FAILURE_LIMIT:
            audit_record(
                action="auth.lockout",
                actor="",
                request=django_request,
                result=Result.DENIED,
                details={"ip_address": address, "failures": failures, "via": self.via},
            )


TOKEN_FAILURES = FailureCount(scope="api-token-failures", failed_action="api.token_failed", via="api_token")


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        address = TOKEN_FAILURES.refuse_locked(request)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            TOKEN_FAILURES.record(request, address)
            raise

    def authenticate_credentials(self, key):
        token = api_token_authenticate(key)
        if token is None:  # unknown, expired, or its user disabled
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return (token.user, token)


class MachineKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: <keyword> <key>` for a machine (a device, an upstream system): request.auth
    is what `lookup` finds for the key, request.user is anonymous; failures are counted by
    `failures`. Subclasses set keyword, realm, failures, invalid_message and lookup."""

    keyword: str
    realm: str
    failures: FailureCount
    invalid_message: str

    def lookup(self, key: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        address = self.failures.refuse_locked(request)
        credential = self.lookup(header[1].decode(errors="replace") if len(header) == 2 else "")
        if credential is None:
            self.failures.record(request, address)
            raise exceptions.AuthenticationFailed(self.invalid_message)
        return AnonymousUser(), credential

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="{self.realm}"'


class PerCredentialThrottle(throttling.SimpleRateThrottle):
    """`rate_setting` requests per machine credential (request.auth of one of `credentials`)."""

    rate_setting: str
    credentials: tuple[type, ...]

    def get_rate(self) -> str:
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view) -> str | None:
        credential = request.auth
        if not isinstance(credential, self.credentials):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{type(credential).__name__}-{credential.pk}"}
