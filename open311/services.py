"""Open311 writes: API keys, and service requests posted by client systems.

A request becomes a case, with its photo, through cases.services.case_report (source: the
key's). Errors are Open311Error with the HTTP status the spec gives (400 bad input, 403 bad
key, 404 unknown service code or jurisdiction).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Source, Urgency
from cases.photos import PhotoError, photo_check
from cases.services import InvalidInput, case_report
from citizens import ratelimit
from open311.models import ApiKey, Open311Request
from open311.selectors import category_for_service_code

DESCRIPTION_MAX = 4000  # the spec's limit


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def api_key_create(*, name: str, source: str) -> tuple[ApiKey, str]:
    """A new key for a client system; returns (row, key). The key is not stored, only its hash."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    key = secrets.token_urlsafe(30)  # 40 characters
    row = ApiKey.objects.create(name=name, source=source, prefix=key[:8], key_hash=ApiKey.hash(key))
    return row, key


def api_key_authenticate(*, key: str) -> ApiKey:
    if not key:
        raise Open311Error(403, _("An api_key is required to post a service request."))
    row = ApiKey.objects.filter(key_hash=ApiKey.hash(key), active=True).first()
    if row is None:
        raise Open311Error(403, _("Invalid api_key received: it is unknown or has been revoked."))
    ApiKey.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def _posted_last_hour(api_key: ApiKey) -> int:
    """The requests this key posted in the last hour: the database's count, when the cache is away."""
    return Open311Request.objects.filter(
        api_key=api_key, created_at__gte=timezone.now() - datetime.timedelta(hours=1)
    ).count()


def jurisdiction_check(jurisdiction_id: str | None) -> None:
    """Any value is accepted while OPEN311_JURISDICTION_ID is empty (one jurisdiction served)."""
    expected = settings.OPEN311_JURISDICTION_ID
    if jurisdiction_id and expected and jurisdiction_id != expected:
        raise Open311Error(404, _("jurisdiction_id %(id)r was not found.") % {"id": jurisdiction_id})


@dataclass
class PostedRequest:
    """The POST parameters, as strings (open311.views reads them from the form)."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)


def _coordinate(value: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(
            400, _("%(name)s must be a number, got %(value)r.") % {"name": name, "value": value}
        ) from None
    if not low <= number <= high:
        raise Open311Error(
            400, _("%(name)s must be between %(low)s and %(high)s.") % {"name": name, "low": low, "high": high}
        )
    return number


def _attributes(attributes: dict[str, list[str]]) -> dict:
    """Known attributes checked (urgency); unknown ones kept as sent, for the command center."""
    clean: dict = {}
    for code, values in attributes.items():
        values = [value for value in values if value != ""]
        if not values:
            continue
        clean[code] = values if len(values) > 1 else values[0]
    urgency = clean.get("urgency", Urgency.NORMAL)
    if urgency not in Urgency.values:
        raise Open311Error(
            400,
            _("attribute[urgency] must be one of %(values)s, got %(value)r.")
            % {"values": ", ".join(Urgency.values), "value": urgency},
        )
    return clean


def _request_id(api_key: ApiKey, idempotency_key: str) -> str:
    digest = hashlib.sha256(f"{api_key.pk}:{idempotency_key}".encode()).hexdigest()[:40]
    return f"open311:{digest}"


def service_request_create(
    *,
    api_key: ApiKey,
    posted: PostedRequest,
    media: IO[bytes] | None = None,
    idempotency_key: str = "",
    now: datetime.datetime | None = None,
) -> Open311Request:
    """Take in a service request as a case in the intake queue. Raises Open311Error; then nothing is stored.

    With an Idempotency-Key (an extension of the spec), the same request sent again by the
    same client gives the first one back.
    """
    request_id = _request_id(api_key, idempotency_key) if idempotency_key else None
    if request_id:
        earlier = Open311Request.objects.filter(
            case__events__request_id=request_id, case__events__action="report"
        ).first()
        if earlier is not None:
            return earlier
    if not posted.service_code:
        raise Open311Error(400, _("service_code was not provided."))
    category = category_for_service_code(posted.service_code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)r was not found.") % {"code": posted.service_code})
    if not (posted.lat and posted.long):
        if posted.address_string or posted.address_id:
            raise Open311Error(
                400,
                _(
                    "lat and long are required: this server places reports on its grid map and does not geocode addresses."
                ),
            )
        raise Open311Error(400, _("A location is required: send lat and long."))
    lat = _coordinate(posted.lat, "lat", -90, 90)
    lng = _coordinate(posted.long, "long", -180, 180)
    if len(posted.description) > DESCRIPTION_MAX:
        raise Open311Error(400, _("description is limited to 4,000 characters."))
    if len(posted.phone) > 30:
        raise Open311Error(400, _("phone is limited to 30 characters."))
    if len(posted.address_string) > 200:
        raise Open311Error(400, _("address_string is limited to 200 characters."))
    if posted.email:
        if len(posted.email) > 254:
            raise Open311Error(400, _("email is not a valid e-mail address."))
        try:
            validate_email(posted.email)
        except ValidationError:
            raise Open311Error(400, _("email is not a valid e-mail address.")) from None
    if posted.media_url:
        if len(posted.media_url) > 500:
            raise Open311Error(400, _("media_url is limited to 500 characters."))
        try:  # stored and shown as given, never fetched (the server may be on a closed network)
            URLValidator(schemes=["http", "https"])(posted.media_url)
        except ValidationError:
            raise Open311Error(400, _("media_url must be an http or https URL.")) from None
    attributes = _attributes(posted.attributes)
    if media is not None:
        try:
            photo_check(media)
        except PhotoError as exc:
            raise Open311Error(400, exc.message) from None
    limit = settings.OPEN311_REQUESTS_PER_KEY_PER_HOUR
    # Counted first, then decided (ratelimit.reserve): requests arriving at once cannot all pass.
    counted = ratelimit.reserve(
        "open311-key", str(api_key.pk), limit=limit, window=3600, fallback=lambda: _posted_last_hour(api_key)
    )
    if not counted.allowed:
        raise Open311Error(
            429, _("Too many requests with this api_key in the last hour (at most %(limit)d).") % {"limit": limit}
        )
    made = False
    try:
        row, made = _create(api_key=api_key, posted=posted, media=media, request_id=request_id, now=now,
                            category=category, lat=lat, lng=lng, attributes=attributes)  # fmt: skip
    finally:
        if not made:  # refused, or the same Idempotency-Key twice at once: it does not count
            counted.release()
    return row


def _create(
    *, api_key: ApiKey, posted: PostedRequest, media, request_id, now, category, lat: float, lng: float,
    attributes: dict,
) -> tuple[Open311Request, bool]:  # fmt: skip
    """The request and whether this call made it."""
    now = now or timezone.now()
    name = " ".join(part for part in (posted.last_name.strip(), posted.first_name.strip()) if part)
    try:
        with transaction.atomic():
            case = case_report(
                source=api_key.source,
                point=Point(lng, lat, srid=4326),
                address=posted.address_string,
                category=category,
                urgency=attributes.get("urgency", Urgency.NORMAL),
                description=posted.description.strip(),
                reporter_name=name,
                reporter_phone=posted.phone.strip(),
                request_id=request_id,
                now=now,
                photos=[media] if media is not None else (),
            )
            existing = Open311Request.objects.filter(case=case).first()
            if existing is not None:  # the same Idempotency-Key twice at once: the other one won
                return existing, False
            row = Open311Request.objects.create(
                case=case,
                api_key=api_key,
                token=secrets.token_hex(16),
                service_code=posted.service_code,
                attributes=attributes,
                media_url=posted.media_url,
                email=posted.email,
                device_id=posted.device_id[:100],
                account_id=posted.account_id[:100],
                created_at=now,
            )
    except InvalidInput as exc:  # outside the city's grids
        raise Open311Error(400, exc.message) from None
    return row, True
