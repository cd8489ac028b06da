"""What the exchange owes the upstream systems for a case event (docs/EXCHANGE.md).

Two kinds of message, both written as rows of the one notification outbox (cases.notifications:
in the event's transaction, sent after commit by the notifications queue, signed, retried with
backoff, recorded, swept, resent from the exchange page) — this module only decides who is told
what:

- a status callback (channel "callback") to the system a work order came from, at four steps:
  签收 received (the order became a case), 派遣 dispatched (to a department: each new round),
  办结 closed (with the result: what the department reported it did, and the closing note),
  退回 returned (not accepted or cancelled here, with the reason);
- a push (channel "upstream") to every system that receives every case (the higher-level
  platform): the report and each change of status. A system never gets both for one event: the
  system an order came from gets the callback, which says more.

No message carries the reporter's name or phone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone, translation

from cases.models import Case, CaseEvent, Channel, Status
from cases.transitions import event_label
from exchange.selectors import order_of_case, systems_active

RECEIVED, DISPATCHED, CLOSED, RETURNED = "order.received", "order.dispatched", "order.closed", "order.returned"
REPORTED, STATUS_CHANGED = "case.reported", "case.status_changed"
CASE_LINK = "/cases/{id}/"


@dataclass(frozen=True)
class Message:
    system_id: int
    channel: str
    payload: dict  # without its delivery id, which the outbox gives it


def callback_type(event: CaseEvent) -> str | None:
    """The step of a work order this event is, if it is one the sender is told of."""
    if event.action == "report":
        return RECEIVED
    if event.to_status == Status.DISPATCHED and event.from_status != Status.DISPATCHED:
        return DISPATCHED
    if event.to_status == Status.CLOSED:
        return CLOSED
    if event.to_status in (Status.REJECTED, Status.CANCELLED):
        return RETURNED
    return None


def is_pushed(event: CaseEvent) -> bool:
    """The higher-level platform hears of every case and of each change of its status."""
    return event.action == "report" or event.from_status != event.to_status


def messages_for_event(*, case: Case, event: CaseEvent) -> list[Message]:
    """The messages this event owes upstream systems. No query unless a system is concerned."""
    systems = systems_active()
    step = callback_type(event)
    order = None
    if case.source in systems.order_sources and (step is not None or systems.pushed):
        order = order_of_case(case_id=case.pk)
    messages = []
    if order is not None and step is not None and order.system.active and order.system.callback_url:
        payload = _payload(case, event, kind=step, system_code=order.system.code, external_id=order.external_id)
        messages.append(Message(order.system_id, Channel.CALLBACK, payload))
    if is_pushed(event):
        for system in systems.pushed:
            if order is not None and system.id == order.system_id:
                continue  # it gets the callback (or its order's steps only)
            origin = {"system": order.system.code, "external_id": order.external_id} if order else None
            kind = REPORTED if event.action == "report" else STATUS_CHANGED
            payload = _payload(case, event, kind=kind, system_code=system.code, external_id=None, origin=origin)
            messages.append(Message(system.id, Channel.UPSTREAM, payload))
    return messages


def _local(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _payload(case: Case, event: CaseEvent, *, kind: str, system_code: str, external_id, origin=None) -> dict:
    category, department = case.category, case.department
    with translation.override("zh-hans"):
        status_label = str(Status(case.status).label)
        label = event_label(event.action)
    payload = {
        "type": kind,
        "delivery_id": None,
        "system": system_code,
        "external_id": external_id,
        "case": {
            "id": case.pk,
            "tracking_number": case.tracking_number,
            "status": case.status,
            "status_label": status_label,
            "source": case.source,
            "category": {"code": category.full_code, "name": category.name} if category else None,
            "urgency": case.urgency,
            "address": case.address,
            "location": {"lon": case.location.x, "lat": case.location.y},
            "reported_at": _local(case.reported_at),
            "deadline": _local(case.handling_deadline),
            "link": CASE_LINK.format(id=case.pk),
        },
        "department": {"code": department.code, "name": department.name} if department else None,
        "event": {
            "id": event.pk,
            "action": event.action,
            "label": label,
            "at": _local(event.at),
            "from_status": event.from_status or None,
            "to_status": event.to_status,
        },
    }
    if kind in (REPORTED, STATUS_CHANGED):
        payload["case"]["description"] = case.description
        payload["origin"] = origin
    if kind == CLOSED:
        handled = (
            CaseEvent.objects.filter(case_id=case.pk, action="handle")
            .order_by("-at", "-id")
            .values_list("note")
            .first()
        )
        payload["result"] = handled[0] if handled else ""
        payload["note"] = event.note
    if kind == RETURNED:
        payload["reason"] = event.note
    return payload
