"""Bounds on what one request may make the server read (issue 11, item 9).

`RequestLimitsMiddleware`, before any view or other middleware reads the body:

- a NUL character anywhere in the path or the query string answers 400 (PostgreSQL refuses NUL
  in any text, so a lookup with one would fail with a 500; nothing legitimate carries one);
- a body longer than the view's limit answers 413 with a message naming both sizes, before a
  byte of it is read (Django reads a body only as far as Content-Length says, so the header
  bounds what is read). A view's limit is set with `@body_limit(…)` (or `body_max_bytes` on a
  class-based view); every other view gets REQUEST_MAX_BYTES (1 MiB: forms and JSON).

The answer takes the shape of the endpoint: the spec's error list under /open311/, the API's
`{"error": …}` under /api/, a plain page elsewhere. (config imports no app: the Open311 shape is
written out here.)
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MIB = 1024 * 1024


def body_limit(setting: str) -> Callable:
    """Give a view the body limit of the setting named (read per request, so tests may change it)."""

    def decorator(view: Callable) -> Callable:
        view.body_max_setting = setting
        return view

    return decorator


def photo_upload_max_bytes() -> int:
    """One photo and the form around it (随手拍, Open311, a device's snapshot)."""
    return settings.PHOTO_MAX_BYTES + MIB


def _limit_for(view_func: Callable) -> int:
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    for holder in (view_func, view_class):
        setting = getattr(holder, "body_max_setting", None)
        if setting:
            return getattr(settings, setting)
    return settings.REQUEST_MAX_BYTES


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    query = request.META.get("QUERY_STRING", "")
    return "%00" in query or "\x00" in query or b"\x00" in unquote_to_bytes(query.replace("+", " "))


def refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """`message` in the shape the endpoint speaks."""
    path = request.path
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            body = (
                f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{status}</code>'
                f"<description>{escape(message)}</description></error></errors>"
            )
            return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
        return JsonResponse([{"code": status, "description": message}], status=status, safe=False)
    if path.startswith("/api/"):
        code = "payload_too_large" if status == 413 else "invalid"
        return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return refusal(request, 400, _("The address contains a NUL character, which no valid request has."))
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, 400, _("The Content-Length header is not a number."))
        limit = _limit_for(view_func)
        if length > limit:
            return refusal(
                request,
                413,
                _("The request is too large (%(size)s); this address accepts at most %(limit)s.")
                % {"size": filesizeformat(length), "limit": filesizeformat(limit)},
            )
        return None


# Dates a filter may name: nothing happened before, and far ones overflow the arithmetic done
# with them (a day added to 9999-12-31, the time zone applied to 0001-01-01) into a 500.
FILTER_YEARS = (1970, 2999)


def validate_filter_date(value) -> None:
    """A validator for the date fields of filters (Django forms and DRF serializers alike)."""
    from django.core.exceptions import ValidationError

    if value is not None and not FILTER_YEARS[0] <= value.year <= FILTER_YEARS[1]:
        raise ValidationError(
            _("Give a date between the years %(first)d and %(last)d.")
            % {"first": FILTER_YEARS[0], "last": FILTER_YEARS[1]},
            code="date_out_of_range",
        )
