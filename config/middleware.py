"""Middleware of the whole site: Chinese first; the request's id in every log line; a lost
database answering 503, not 500.

Chinese first: pages are in Chinese unless the user picks English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an
office PC with an English Windows would show English pages to staff who never
asked for them. Pages follow only the user's explicit choice (the language
cookie set by the switch in the top bar); API clients (/api/ and Open311's
/open311/) keep Accept-Language.
"""

import logging
import re
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from config.logging import bind, clear

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/open311/")


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
            request.META.setdefault("HTTP_ACCEPT_LANGUAGE", settings.LANGUAGE_CODE)
        return self.get_response(request)


REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContextMiddleware:
    """Every log line of a request carries its id (the proxy's X-Request-Id if it sent a sane one,
    else a new one), its user and the case it is about; the answer carries the id back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-Id", "")
        request.request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex
        # Left bound until the request is finished (request_finished below), so that the lines
        # Django writes after the middleware (a 404's warning, say) carry the ids too.
        clear()
        bind(request_id=request.request_id)
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)  # authenticated by now (AuthenticationMiddleware ran)
        bind(
            user_id=user.pk if user is not None and user.is_authenticated else None,
            case_id=view_kwargs.get("case_id"),
        )


def _forget_request(**_kwargs) -> None:
    clear()


request_finished.connect(_forget_request, dispatch_uid="config-log-context")


class DatabaseUnavailableMiddleware:
    """A lost or refused database connection answers 503 with Retry-After (and the API's error
    format on the API), not a 500: nothing was changed that the retry would not find (a change
    that committed is read back on a new connection, config.db)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s: %s", type(exception).__name__, str(exception)[:300])
        connection.close()  # the next request opens a new one
        message = _("The database is not reachable right now. Please try again in a moment.")
        if request.path.startswith(API_PREFIXES):
            response = JsonResponse({"error": {"code": "unavailable", "message": message, "fields": {}}}, status=503)
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response
