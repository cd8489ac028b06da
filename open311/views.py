"""Open311 GeoReport v2 under /open311/v2/: discovery, services, service definitions,
requests (GET and POST), one request, tokens. Each in .json or .xml.

Reading needs no key (as the spec says); posting needs an api_key (open311.models.ApiKey).
Every error answers the spec's error list with its HTTP status.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qs

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cases.models import TERMINAL, PublicCategory, Urgency
from config.limits import body_limit
from open311 import render
from open311.models import Open311Request
from open311.selectors import (
    DEFAULT_SPAN,
    MAX_REQUESTS,
    category_for_service_code,
    limit_text,
    public_cases,
    public_categories,
    request_json,
    request_notes,
    service_code_parts,
    service_definition_json,
    service_json,
)
from open311.services import (
    Open311Error,
    PostedRequest,
    api_key_authenticate,
    jurisdiction_check,
    service_request_create,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-20T00:00:00+08:00"  # when this endpoint's behaviour last changed
MAX_IDS = 100  # service_request_id values in one GET requests
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def endpoint(*methods: str) -> Callable:
    """Allowed methods, the jurisdiction check, and Open311Error → the spec's error response."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = render.error(
                    fmt, 405, _("Method %(method)s is not allowed here.") % {"method": request.method}
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if request.method == "POST":
                    _key_checked_first(request)  # before the body is read past its first bytes
                    _no_nul(request.POST)
                jurisdiction_check(request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id"))
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return render.error(fmt, exc.status, exc.description)

        return wrapper

    return decorator


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    return render.respond(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": settings.OPEN311_CONTACT or None,
            "key_service": _("API keys for posting are issued by the command center's system administrators."),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rstrip("/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render.respond(fmt, "services", [service_json(category) for category in public_categories()])


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = category_for_service_code(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)r was not found.") % {"code": code})
    return render.respond(fmt, "service_definition", service_definition_json(category))


@body_limit("PHOTO_UPLOAD_MAX_BYTES")
@csrf_exempt  # API-key authenticated; no cookies are read
@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    cases = _filtered(request.GET)
    return render.respond(fmt, "service_requests", [request_json(case, request) for case in cases[:MAX_REQUESTS]])


# Bodies longer than this carry a photo: their api_key is checked before the rest is read.
KEY_FIRST_BYTES = 64 * 1024
MULTIPART_FIELD = re.compile(rb'name="api_key"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n')


class _Rewound:
    """A request body of which the first bytes were already read: those again, then the rest."""

    def __init__(self, prefix: bytes, stream) -> None:
        self.prefix, self.stream = io.BytesIO(prefix), stream

    def read(self, size: int = -1, /) -> bytes:
        data = self.prefix.read(size)
        if size is None or size < 0:
            return data + self.stream.read()
        return data + (self.stream.read(size - len(data)) if len(data) < size else b"")

    def readline(self, size: int = -1, /) -> bytes:
        line = self.prefix.readline(size)
        if line.endswith(b"\n") or (size is not None and 0 <= size <= len(line)):
            return line
        return line + self.stream.readline(-1 if size is None or size < 0 else size - len(line))


def _key_checked_first(request: HttpRequest) -> None:
    """Refuse a bad api_key (403) having read at most KEY_FIRST_BYTES of the body: from the query
    string, or from the body's first bytes (clients send the photo, `media`, after the fields).
    The bytes read are put back, so the form is then parsed as usual."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length <= KEY_FIRST_BYTES or getattr(request, "_open311_key", None) is not None:
        return
    key = request.GET.get("api_key", "")
    if not key:
        prefix = request.read(KEY_FIRST_BYTES)
        request._stream = LimitedStream(_Rewound(prefix, request._stream), length)
        request._read_started = False  # Django parses the form from the stream, prefix included
        content_type = request.content_type or ""
        if content_type == "multipart/form-data":
            match = MULTIPART_FIELD.search(prefix)
            key = match.group(1).decode("utf-8", "replace") if match else ""
        elif content_type == "application/x-www-form-urlencoded":
            fields = parse_qs(prefix.decode("latin-1").rpartition("&")[0] if len(prefix) == KEY_FIRST_BYTES
                              else prefix.decode("latin-1"))  # fmt: skip
            key = (fields.get("api_key") or [""])[0]
        if not key:
            raise Open311Error(
                403,
                _("An api_key is required to post a service request; with a photo, send it before the photo "
                  "(or in the query string)."),
            )  # fmt: skip
    request._open311_key = api_key_authenticate(key=key)


def _no_nul(data) -> None:
    for name, values in data.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise Open311Error(400, _("%(name)s contains a NUL character.") % {"name": name.replace("\x00", "")[:50]})


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    api_key = getattr(request, "_open311_key", None) or api_key_authenticate(
        key=data.get("api_key") or request.GET.get("api_key", "")
    )
    attributes: dict[str, list[str]] = {}
    for name, values in data.lists():
        if match := ATTRIBUTE.match(name):
            attributes.setdefault(match.group(1), []).extend(values)
    posted = PostedRequest(
        **{name: data.get(name, "").strip() for name in PostedRequest.__dataclass_fields__ if name != "attributes"},
        attributes=attributes,
    )
    posted.description = data.get("description", "")  # line breaks kept
    row = service_request_create(
        api_key=api_key,
        posted=posted,
        media=request.FILES.get("media"),
        idempotency_key=request.headers.get("Idempotency-Key", "")[:200],
    )
    case = row.case
    answer = {
        "service_request_id": case.tracking_number,
        # The spec returns a token only from servers that cannot answer at once; this one can,
        # and gives both, so that clients written for either kind work (see README).
        "token": row.token,
        "service_notice": limit_text(case.category, urgent=case.urgency == Urgency.URGENT),
        "account_id": row.account_id or None,
    }
    return render.respond(fmt, "service_requests", [answer])


# Dates outside these years are refused: nothing was reported before, and far ones overflow
# (a day added to 9999-12-31, a time zone applied to 0001-01-01).
YEARS = (1970, 2999)


def _when(value: str, name: str) -> datetime.datetime:
    message = _("%(name)s must be a W3C datetime such as 2026-11-01T00:00:00+08:00.") % {"name": name}
    try:  # a well-formed but impossible value (2026-13-45, +99:00) raises rather than answering None
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.datetime.combine(day, datetime.time())
    except (ValueError, OverflowError):
        raise Open311Error(400, message) from None
    if moment is None:
        raise Open311Error(400, message)
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise Open311Error(
            400, _("%(name)s must be between the years %(first)d and %(last)d.")
            % {"name": name, "first": YEARS[0], "last": YEARS[1]},
        )  # fmt: skip
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _filtered(params):
    cases = public_cases()
    ids = _listed(params.get("service_request_id", ""))
    if len(ids) > MAX_IDS:
        raise Open311Error(400, _("At most %(count)d service_request_id values at once.") % {"count": MAX_IDS})
    if ids:  # "This overrides all other arguments."
        return cases.filter(tracking_number__in=ids)
    codes = _listed(params.get("service_code", ""))
    if codes:
        match = Q(pk__in=[])
        for code in codes:
            if parts := service_code_parts(code):
                match |= Q(category__major__kind=parts[0], category__code=parts[1])
            if code in PublicCategory.values:  # a 随手拍 report not filed under a subcategory yet
                match |= Q(category__isnull=True, citizen_report__public_category=code)
        cases = cases.filter(match)
    statuses = set(_listed(params.get("status", "")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status must be open or closed (or both, comma separated)."))
    if statuses == {"open"}:
        cases = cases.exclude(status__in=TERMINAL)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=TERMINAL)
    start = _when(params["start_date"], "start_date") if params.get("start_date") else None
    end = _when(params["end_date"], "end_date") if params.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start and end and end - start > DEFAULT_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    # The extension many Open311 servers offer: what changed in a window of updated_datetime,
    # oldest change first, so that a client following the city asks again from the last one it saw.
    after = _when(params["updated_after"], "updated_after") if params.get("updated_after") else None
    before = _when(params["updated_before"], "updated_before") if params.get("updated_before") else None
    if after and before and before < after:
        raise Open311Error(400, _("updated_before is before updated_after."))
    if after or before:
        if after:
            cases = cases.filter(updated_at__gte=after)
        if before:
            cases = cases.filter(updated_at__lte=before)
        cases = cases.order_by("updated_at", "id")
        if start is None and end is None:
            return cases  # no default window of requested_datetime: any request that changed
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - DEFAULT_SPAN
    if end is None:
        end = start + DEFAULT_SPAN
    return cases.filter(reported_at__gte=start, reported_at__lte=end)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    case = public_cases().filter(tracking_number=request_id).first()
    if case is None:
        raise Open311Error(404, _("service_request_id %(id)r was not found.") % {"id": request_id})
    # One request also gives its status history (`notes`, an extension many servers offer).
    return render.respond(fmt, "service_requests", [{**request_json(case, request), "notes": request_notes(case)}])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    row = Open311Request.objects.select_related("case").filter(token=token).first()
    if row is None:
        raise Open311Error(404, _("token %(token)r was not found.") % {"token": token})
    return render.respond(
        fmt, "service_requests", [{"service_request_id": row.case.tracking_number, "token": row.token}]
    )


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    fmt = "xml" if path.endswith(".xml") else "json"
    return render.error(fmt, 404, _("No such Open311 resource: %(path)s (formats: .json or .xml).") % {"path": path})
