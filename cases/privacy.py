"""Reporters' personal information (PIPL, DESIGN.md §5a): shown in full only to the roles that
must call back, masked to everyone else, and every full view recorded.

The case page, the API and every other place that shows a reporter go through
`reporter_contact`, so the rule and its record are written once. The record is a row of the
security audit log (audit app: append-only, hash-chained, kept at least 180 days), action
"case.contact_viewed", naming who, when, from where, which case and through what.

At rest the contact is encrypted (config.pii), and REPORTER_CONTACT_RETENTION_DAYS after a case
is closed (or not accepted, or cancelled) `reporter_contacts_erase`, run hourly by the beat,
erases it: the name, the phone and its lookup hash, an Open311 submitter's e-mail; the count is
a row of the audit log ("case.contacts_erased").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.roles import CENTRE, user_roles
from audit.services import ObjectRef, audit_record
from cases.models import TERMINAL, Case
from config import pii

# The command center calls reporters back; nobody else needs their number.
SEES_CONTACT = CENTRE
CONTACT_VIEWED = "case.contact_viewed"


def mask_phone(phone: str) -> str:
    """138****1234: the first three and the last four characters of a number stay visible."""
    phone = phone.strip()
    if len(phone) >= 8:
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) > 2:
        return "*" * (len(phone) - 2) + phone[-2:]
    return "*" * len(phone)


def mask_name(name: str) -> str:
    """张** for 张三丰: the family name only."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    masked: bool


def reporter_contact(*, case, user, where: str, taken_in_by: int | None = None) -> Contact:
    """The reporter of `case` as `user` may see them; a full view of a contact is recorded in the
    audit log (who, which case, `where`: "page", "api" …), except by the one who took the report
    in (`taken_in_by`, the user id of its report event): they had it from the reporter."""
    full = bool(set(user_roles(user)) & SEES_CONTACT)
    if not full:
        return Contact(mask_name(case.reporter_name), mask_phone(case.reporter_phone), masked=True)
    if (case.reporter_phone or case.reporter_name) and user.pk != taken_in_by:
        audit_record(action=CONTACT_VIEWED, actor=user, obj=case, details={"where": where})
    return Contact(case.reporter_name, case.reporter_phone, masked=False)


CONTACTS_ERASED = "case.contacts_erased"
ERASE_BATCH = 1000


def reporter_contacts_erase(*, now: datetime.datetime | None = None) -> int:
    """Erase the reporter's contact of every case that ended more than
    REPORTER_CONTACT_RETENTION_DAYS ago (the last event that took it to a terminal status); the
    number of cases is audited. Returns it. Run again, it finds nothing left to erase."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.REPORTER_CONTACT_RETENTION_DAYS)
    with_contact = (
        Q(reporter_name__gt="") | Q(reporter_phone__gt="") | Q(reporter_phone_hash__gt="")
        | (Q(open311_request__isnull=False) & Q(open311_request__email__gt=""))
    )  # fmt: skip
    due = (
        Case.objects.filter(status__in=TERMINAL)
        .filter(with_contact)
        .annotate(ended=Max("events__at", filter=Q(events__to_status__in=TERMINAL)))
        .filter(ended__lt=before)
        .values_list("pk", flat=True)
    )
    erased = 0
    while ids := list(due[:ERASE_BATCH]):
        with transaction.atomic():
            from open311.models import Open311Request  # open311 builds on cases, not the reverse

            count = Case.objects.filter(pk__in=ids).update(reporter_name="", reporter_phone="", reporter_phone_hash="")
            Open311Request.objects.filter(case_id__in=ids).update(email="")
            audit_record(
                action=CONTACTS_ERASED,
                obj=ObjectRef("cases.case", "", f"{count} cases"),
                details={"count": count, "ended_before": before.isoformat(), "first": ids[0], "last": ids[-1]},
            )
        erased += count
    return erased


KEYS_ROTATED = "pii.keys_rotated"


def pii_rotate() -> int:
    """Every stored contact re-encrypted with the first key of PII_KEYS and every phone's lookup
    hash made under it, in batches (config.pii); audited with the count. Returns the rows changed."""
    from django.db import connection

    counted = {}
    for table, columns, hashed in (
        ("cases_case", ["reporter_name", "reporter_phone"], ("reporter_phone", "reporter_phone_hash")),
        ("open311_open311request", ["email"], None),
    ):
        with transaction.atomic():
            counted[table] = pii.rewrite_columns(connection, table, columns, pii.rotate, hashed=hashed)
    total = sum(counted.values())
    audit_record(action=KEYS_ROTATED, details={"rows": counted})
    return total
