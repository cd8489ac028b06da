"""Taking in a citizen's 随手拍 report: limits, the case (through cases.services), the photo,
and the public tracking code. One write path: views call `citizen_report` only.
"""

from __future__ import annotations

import datetime
import re
import secrets
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.machines import REOPENER
from accounts.roles import Role
from cases.catalogue import PUBLIC_BY_NAME
from cases.models import Case, PublicCategory, Source
from cases.photos import photo_check
from cases.services import IllegalTransition, InvalidInput, case_citizen_rating, case_report
from citizens import ratelimit
from citizens.models import CODE_ALPHABET, CODE_LENGTH, CitizenReport
from config.pii import lookup_hashes

# The public categories by their Chinese names, as the command center reads them in the description.
NAME_OF_PUBLIC = {value: name for name, value in PUBLIC_BY_NAME.items()}
HOUR, DAY = 3600, 86400


class RateLimited(Exception):
    """Too many reports from one address or one phone number; `message` says which and for how long."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def normalize_phone(phone: str) -> str:
    """Digits (and a leading +) only, so that "138 0013-8000" and "13800138000" count as one."""
    phone = phone.strip()
    return ("+" if phone.startswith("+") else "") + re.sub(r"\D", "", phone)


def tracking_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def tracking_code_clean(text: str) -> str:
    """What a citizen types (lower case, spaces, dashes) → the stored form."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())[: CODE_LENGTH + 5]


def _request_id(request_id: str) -> str:
    # Namespaced: a UUID from the public form never meets one of the staff's intake forms.
    return f"citizen:{request_id}"


def citizen_report_for_request(*, request_id: str) -> CitizenReport | None:
    """The report an earlier submission of the same form made, if any."""
    return CitizenReport.objects.filter(
        case__events__request_id=_request_id(request_id), case__events__action="report"
    ).first()


def _reports_by_phone(phone: str) -> int:
    """The citizens' reports with this phone number in the last 24 hours: the database's count,
    when the cache (which counts per calendar day) is away. The address has no such fallback: it
    is not stored (the limit per address lets reports through while the cache is away)."""
    since = timezone.now() - datetime.timedelta(days=1)
    return Case.objects.filter(
        source=Source.CITIZEN, reporter_phone_hash__in=lookup_hashes(phone), reported_at__gte=since
    ).count()


def _limits_take(*, client_ip: str, phone: str) -> list[ratelimit.Reservation]:
    """Count this report against the limits per address and per phone number, then decide
    (ratelimit.reserve): raises RateLimited, else returns the uses counted, to be given back if
    the report is refused for another reason."""
    per_ip = settings.CITIZEN_REPORTS_PER_IP_PER_HOUR
    by_ip = ratelimit.reserve("citizen-ip", client_ip, limit=per_ip, window=HOUR)
    if not by_ip.allowed:
        raise RateLimited(
            _("Too many reports from this network in the last hour (at most %(limit)d). Please try again later.")
            % {"limit": per_ip}
        )
    if not phone:
        return [by_ip]
    per_phone = settings.CITIZEN_REPORTS_PER_PHONE_PER_DAY
    by_phone = ratelimit.reserve(
        "citizen-phone", phone, limit=per_phone, window=DAY, fallback=lambda: _reports_by_phone(phone)
    )
    if not by_phone.allowed:
        by_ip.release()  # this address made no report
        raise RateLimited(
            _("Too many reports with this phone number today (at most %(limit)d). Please try again tomorrow.")
            % {"limit": per_phone}
        )
    return [by_ip, by_phone]


def citizen_report(
    *,
    point: Point,
    public_category: str,
    description: str,
    photo: IO[bytes],
    phone: str = "",
    client_ip: str,
    request_id: str,
    now: datetime.datetime | None = None,
) -> CitizenReport:
    """Take in a citizen's report as a case (source "citizen") in the intake queue.

    The same form sent twice (same request id) gives the first report and counts once.
    Raises RateLimited, PhotoError (cases.photos) or InvalidInput (a point outside the
    city's grids); then nothing is stored.
    """
    earlier = citizen_report_for_request(request_id=request_id)
    if earlier is not None:
        return earlier
    if public_category not in PublicCategory.values:
        raise InvalidInput(_("Choose one of the categories."))
    phone = normalize_phone(phone)
    counted = _limits_take(client_ip=client_ip, phone=phone)  # counted first, then decided
    made = False
    try:
        report, made = _report(
            point=point, public_category=public_category, description=description, photo=photo, phone=phone,
            request_id=request_id, now=now,
        )  # fmt: skip
    finally:
        if not made:  # refused, or the same form sent twice at once: it does not count
            for use in counted:
                use.release()
    return report


def _report(
    *, point: Point, public_category: str, description: str, photo: IO[bytes], phone: str, request_id: str,
    now: datetime.datetime | None,
) -> tuple[CitizenReport, bool]:  # fmt: skip
    """The report and whether this call made it (False: the same form, sent twice at once)."""
    photo_check(photo)  # a refused photo stops the report before the case exists
    now = now or timezone.now()
    # The subcategory (小类) is left to the intake clerk; the citizen's choice leads the description.
    text = f"【{NAME_OF_PUBLIC[public_category]}】{description.strip()}"
    with transaction.atomic():
        case = case_report(
            source=Source.CITIZEN,
            point=point,
            description=text,
            reporter_phone=phone,
            request_id=_request_id(request_id),
            now=now,
            photos=[photo],
        )
        report = CitizenReport.objects.filter(case=case).first()
        if report is not None:  # the same form, sent twice at once: the other one won
            return report, False
        return _with_code(case=case, public_category=public_category, now=now), True


def _with_code(*, case, public_category: str, now: datetime.datetime) -> CitizenReport:
    for _attempt in range(5):  # a collision is all but impossible; retry rather than fail
        try:
            with transaction.atomic():
                return CitizenReport.objects.create(
                    case=case, code=tracking_code_new(), public_category=public_category, created_at=now
                )
        except IntegrityError:
            if CitizenReport.objects.filter(case=case).exists():
                raise
    raise IntegrityError("could not draw a free tracking code")  # pragma: no cover


# ---- rating a closed case on the status page ---------------------------------------------


def reopener():
    """The account that reopens (重办) a case its citizen rated 不满意 (made on first use; no login)."""
    User = get_user_model()
    user = User.objects.filter(username=REOPENER).first()
    if user is None:
        with translation.override(settings.LANGUAGE_CODE):
            name = _("Citizens' ratings (automatic reopening)")
        user = User(username=REOPENER, first_name=name[:150], is_active=False)
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name=Role.SHIFT_LEADER)[0])
    return user


def citizen_rate(
    *,
    report: CitizenReport,
    satisfaction: str,
    solved: bool,
    contacted: bool,
    comment: str = "",
    client_ip: str,
    now: datetime.datetime | None = None,
):
    """The citizen who holds the tracking code rates their closed case, once. 不满意 reopens it
    (重办) when CITIZEN_DISSATISFIED_REOPENS. Raises RateLimited, or IllegalTransition (not closed,
    already rated)."""
    per_ip = settings.CITIZEN_RATINGS_PER_IP_PER_HOUR
    if ratelimit.used("citizen-rating-ip", client_ip, window=HOUR) >= per_ip:
        raise RateLimited(
            _("Too many ratings from this network in the last hour (at most %(limit)d). Please try again later.")
            % {"limit": per_ip}
        )
    from citizens.selectors import followed_case

    case = followed_case(report.case)
    reopen = settings.CITIZEN_DISSATISFIED_REOPENS
    with translation.override(settings.LANGUAGE_CODE):
        note = _("The citizen is not satisfied with the result: the case is reopened.")
    rated = case_citizen_rating(case_id=case.pk, satisfaction=satisfaction, solved=solved, contacted=contacted,
                                comment=comment, reopen_actor=reopener() if reopen else None, reopen_note=note,
                                now=now)  # fmt: skip
    ratelimit.hit("citizen-rating-ip", client_ip, window=HOUR)
    return rated


__all__ = ["IllegalTransition", "RateLimited", "citizen_rate", "citizen_report"]
