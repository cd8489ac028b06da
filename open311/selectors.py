"""What the Open311 API shows: services from the public part of the catalogue, and the city's
public requests (every public source, and those posted through it), in the GeoReport v2 shapes
(open311.render writes JSON or XML).

Nothing personal leaves here: no reporter name, phone, e-mail, device or account id, no
internal note, no staff or department contact. The internal status goes in status_notes.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    TERMINAL,
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    CategoryKind,
    LimitUnit,
    PhotoKind,
    PhotoStatus,
    Status,
    Urgency,
)
from open311.models import Open311Request

MAX_REQUESTS = 1000  # the most a GET requests call returns, newest first
DEFAULT_SPAN = datetime.timedelta(days=90)  # the spec's default range, and the longest allowed


def w3c(moment: datetime.datetime | None) -> str | None:
    """A datetime in the W3C format with its offset, to the second: 2026-11-18T09:00:00+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


# ---- services ------------------------------------------------------------------------


def public_categories() -> QuerySet[Category]:
    """The subcategories offered to Open311 clients: active and marked public in the admin."""
    return (
        Category.objects.filter(active=True, is_public=True)
        .select_related("major")
        .order_by("major__kind", "major__code", "code")
    )


SERVICE_CODE_KINDS = {"E": CategoryKind.EVENT, "C": CategoryKind.COMPONENT}


def service_code_parts(code: str) -> tuple[str, str] | None:
    """E0102 → (event, "0102"), C0101 → (component, "0101") (Category.full_code); None if not one."""
    if len(code) < 2 or code[0].upper() not in SERVICE_CODE_KINDS:
        return None
    return SERVICE_CODE_KINDS[code[0].upper()], code[1:]


def category_for_service_code(code: str) -> Category | None:
    """The public subcategory a service code names; None if unknown or not public."""
    parts = service_code_parts(code)
    if parts is None:
        return None
    kind, number = parts
    return public_categories().filter(major__kind=kind, code=number).first()


def limit_text(category: Category, *, urgent: bool = False) -> str:
    amount, unit = category.time_limit(urgent=urgent)
    return _("Handled within %(amount)s %(unit)s of dispatch.") % {
        "amount": f"{float(amount):g}",
        "unit": LimitUnit(unit).label,
    }


def service_json(category: Category) -> dict:
    return {
        "service_code": category.full_code,
        "service_name": category.name,
        "description": category.filing_condition or None,
        "metadata": True,  # every service has the urgency attribute (service_definition_json)
        "type": "realtime",
        "keywords": ", ".join(filter(None, [category.major.name, category.get_public_category_display()])) or None,
        "group": str(category.get_public_category_display()) if category.public_category else category.major.name,
    }


def service_definition_json(category: Category) -> dict:
    attributes = [
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": _("Is it urgent (a danger to people or traffic)? The command center decides in the end."),
            "values": [{"key": value, "name": str(label)} for value, label in Urgency.choices],
        }
    ]
    if category.filing_condition:
        attributes.append(
            {
                "variable": False,
                "code": "filing_condition",
                "datatype": "text",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": _("Taken on when: %(condition)s") % {"condition": category.filing_condition},
            }
        )
    return {"service_code": category.full_code, "attributes": attributes}


# ---- requests -------------------------------------------------------------------------


def public_cases() -> QuerySet[Case]:
    """The requests the API lists: the cases of the public sources (OPEN311_PUBLIC_SOURCES) and
    those posted through Open311, once they have a service: a subcategory, or a 随手拍 report's
    public category (until the intake clerk files it under a subcategory). With what request_json
    reads, in a fixed number of queries."""
    ready_photos = CasePhoto.objects.filter(status=PhotoStatus.READY).exclude(display="").order_by("created_at", "id")
    return (
        Case.objects.filter(Q(source__in=settings.OPEN311_PUBLIC_SOURCES) | Q(open311_request__isnull=False))
        .filter(Q(category__isnull=False) | Q(citizen_report__isnull=False) | Q(open311_request__isnull=False))
        .select_related("category__major", "department", "open311_request", "citizen_report")
        .prefetch_related(Prefetch("photos", queryset=ready_photos, to_attr="ready_photos"))
        .order_by("-reported_at", "-id")
    )


def _related(case: Case, name: str):
    """A reverse one-to-one (open311_request, citizen_report), or None."""
    try:
        return getattr(case, name)
    except ObjectDoesNotExist:
        return None


def _media_url(case: Case, request: HttpRequest, posted: Open311Request | None) -> str | None:
    photos = case.ready_photos  # prefetched by public_cases
    # Once handled, the after-photo tells the story. Before that, the reporter's own photo only for a
    # request posted through Open311 (its client sent it for this API), never a citizen's or staff's.
    after = [photo for photo in photos if photo.kind == PhotoKind.AFTER]
    if after:
        return request.build_absolute_uri(after[-1].display.url)
    if posted is not None:
        if photos:
            return request.build_absolute_uri(photos[0].display.url)
        return posted.media_url or None
    return None


def _service(case: Case, posted: Open311Request | None, citizen) -> tuple[str, str | None]:
    """(service_code, service_name): the subcategory's, else what the client or the citizen chose."""
    if case.category is not None:
        return case.category.full_code, case.category.name
    if posted is not None:
        return posted.service_code, None
    return citizen.public_category, str(citizen.get_public_category_display())


def request_json(case: Case, request: HttpRequest) -> dict:
    closed = case.status in TERMINAL
    category = case.category
    posted: Open311Request | None = _related(case, "open311_request")
    service_code, service_name = _service(case, posted, _related(case, "citizen_report"))
    return {
        "service_request_id": case.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": str(case.get_status_display()),
        "service_name": service_name,
        "service_code": service_code,
        # The reporter's words only for a request posted through Open311: a citizen's or a
        # staff member's description may name people, phone numbers or private matters.
        "description": (case.description or None) if posted is not None else None,
        "agency_responsible": case.department.name if case.department else None,
        "service_notice": limit_text(category, urgent=case.urgency == Urgency.URGENT) if category else None,
        "requested_datetime": w3c(case.reported_at),
        "updated_datetime": w3c(case.closed_at if closed and case.closed_at else case.updated_at),
        "expected_datetime": w3c(case.handling_deadline),
        "address": case.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.location.y,
        "long": case.location.x,
        "media_url": _media_url(case, request, posted),
    }


def request_notes(case: Case) -> list[dict]:
    """The request's status history (the `notes` of GET requests/{id}, as Chicago's and Boston's
    Open311 servers give them): when it was opened, each change of status, when it ended. Only
    the status and its time: never an internal note, an actor or a contact."""
    notes = []
    for at, from_status, to_status in (
        CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("at", "from_status", "to_status")
    ):
        if from_status == to_status:
            continue  # not a change of status: a request, a reminder, a duplicate merged in
        kind = "opened" if not from_status else ("closed" if to_status in TERMINAL else "activity")
        notes.append({"datetime": w3c(at), "summary": str(Status(to_status).label), "type": kind})
    return notes
