"""The request being served, for audit rows written where no request is at hand (model signals).

AuditRequestMiddleware sets it for the duration of each request; outside a request (Celery
tasks on a worker, management commands) there is none and rows carry no address.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

_current: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request() -> HttpRequest | None:
    return _current.get()


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
