"""Writes of the exchange: system keys, work orders received, messages sent again.

A work order (12345 工单, 上级交办) enters through the one intake service, cases.services.case_report,
with its system's source, and keeps the sender's id (ExternalOrder). It is idempotent on
(system, external id): the same order again answers the first case, also when two posts of it
arrive at the same moment — the request id of the report is derived from the pair, so the case
service's unique request id lets one of them write and gives the other the first one's case.
The order's 签收 callback (and the higher platform's push) are written in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import ObjectRef, audit_record
from cases.models import Category, CategoryKind, Notification
from cases.notifications import notification_resend, notifications_create_for_exchange
from cases.services import case_report
from config.errors import ApplicationError
from exchange.models import ExternalOrder, UpstreamSystem, key_hash

# uuid5(namespace, "<system id>:<external id>") is the report's request id: the same order, the same id.
ORDER_NAMESPACE = uuid.UUID("3f0c8a7e-5d7b-4f35-9a51-12345e0c4a11")


class OrderRefused(ApplicationError):
    """A work order that cannot be taken (bad input: 400)."""


# ---- keys ------------------------------------------------------------------------------


def key_issue(*, system: UpstreamSystem, actor=None) -> str:
    """A new key for a system (the old one stops working); returns it, shown once: only its hash
    is stored. Audited."""
    key = secrets.token_urlsafe(30)
    UpstreamSystem.objects.filter(pk=system.pk).update(prefix=key[:8], key_hash=key_hash(key))
    system.prefix, system.key_hash = key[:8], key_hash(key)
    audit_record(action="exchange.key_issued", actor=actor, obj=system, details={"prefix": system.prefix})
    return key


def system_for_key(key: str) -> UpstreamSystem | None:
    """The active system this key belongs to, or None."""
    if not key:
        return None
    system = UpstreamSystem.objects.filter(key_hash=key_hash(key), active=True).first()
    if system is not None:
        UpstreamSystem.objects.filter(pk=system.pk).update(last_used_at=timezone.now())
    return system


# ---- work orders ------------------------------------------------------------------------------


def order_request_id(*, system: UpstreamSystem, external_id: str) -> str:
    return str(uuid.uuid5(ORDER_NAMESPACE, f"{system.pk}:{external_id}"))


def order_receive(
    *,
    system: UpstreamSystem,
    external_id: str,
    lon: float,
    lat: float,
    address: str = "",
    category_code: str = "",
    urgency: str = "normal",
    description: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    now=None,
) -> tuple[ExternalOrder, bool]:
    """Take in one work order from `system`; returns (the order, whether it is new). The same
    external id from the same system again gives the first order back (False), whatever else
    it carries. Raises OrderRefused (or the intake's InvalidInput) with nothing stored."""
    external_id = (external_id or "").strip()
    if not external_id:
        message = _("external_id is required: your system's id of the order.")
        raise OrderRefused(message, fields={"external_id": [message]})
    if earlier := ExternalOrder.objects.select_related("case").filter(system=system, external_id=external_id).first():
        return earlier, False
    category = None
    if category_code:
        category = _category(category_code)
        if category is None:
            message = _("Unknown category %(code)r.") % {"code": category_code}
            raise OrderRefused(message, fields={"category": [message]})
    now = now or timezone.now()
    with transaction.atomic():
        case = case_report(
            source=system.source,
            point=Point(lon, lat, srid=4326),
            address=address,
            category=category,
            urgency=urgency,
            description=description,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            request_id=order_request_id(system=system, external_id=external_id),
            now=now,
            announce=False,
        )
        if case.repeated:  # the same order posted twice at once: the other post wrote it
            return ExternalOrder.objects.select_related("case").get(system=system, external_id=external_id), False
        order = ExternalOrder.objects.create(system=system, external_id=external_id, case=case, received_at=now)
        # Linked: now the 签收 callback can name the order (and the higher platform's push its origin).
        notifications_create_for_exchange(case=case, event=case.report_event)
        audit_record(
            action="exchange.order_received",
            actor=f"system:{system.code}",
            obj=case,
            details={"system": system.code, "external_id": external_id, "tracking_number": case.tracking_number},
        )
    return order, True


def _category(full_code: str) -> Category | None:
    """The active subcategory with this full code (C0101 部件, E0102 事件), or None."""
    kinds = {"C": CategoryKind.COMPONENT, "E": CategoryKind.EVENT}
    kind, code = kinds.get(full_code[:1].upper()), full_code[1:]
    if kind is None or not code:
        return None
    return Category.objects.select_related("major").filter(major__kind=kind, code=code, active=True).first()


# ---- messages ------------------------------------------------------------------------------


def message_resend(*, message_id: int, actor) -> bool:
    """Send a failed message to an upstream system again from its first attempt (the exchange page's
    button, once the system's address or secret is fixed). Audited; False if it is not failed."""
    with transaction.atomic():
        message = Notification.objects.filter(pk=message_id, upstream__isnull=False).only("pk", "case_id").first()
        if message is None or not notification_resend(notification_id=message.pk):
            return False
        audit_record(
            action="exchange.message_resent",
            actor=actor,
            obj=ObjectRef("cases.case", str(message.case_id)),
            details={"message": message.pk},
        )
    return True
