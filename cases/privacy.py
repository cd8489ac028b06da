"""Reporters' personal information (PIPL, DESIGN.md §5a): shown in full only to the roles that
must call back, masked to everyone else, and every full view recorded.

The case page, the API and every other place that shows a reporter go through
`reporter_contact`, so the rule and its record are written once. The record is a row of the
security audit log (audit app: append-only, hash-chained, kept at least 180 days), action
"case.contact_viewed", naming who, when, from where, which case and through what.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import CENTRE, user_roles
from audit.services import audit_record

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
