"""A case as a user sees it: the one view of a case that the page and the API both show.

`case_view` gathers, for one user, what is known about a case and what they may do with it:
the facts, the reporter's contact (masked unless their role calls back; a full view recorded),
the handling clock and the command center's step clocks, the timeline with a label for every
event, the department's open requests, the photos (the case's and those of duplicates merged
into it), and the actions this user may take now, each with the inputs its row of the
transition table asks for. The page (cases.views) renders it as HTML with a form per action;
the API (cases.api) serializes it. Nothing here writes, except the record of a full contact view.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import user_roles
from cases.clocks import CaseClock, StepClock, case_clock, case_limit, case_region_class_id, case_step_clocks
from cases.models import STATUS_INFO, Case, CaseEvent, CasePhoto, LimitUnit, OrderStatus, SupervisionOrder
from cases.privacy import Contact, reporter_contact
from cases.scope import may_act
from cases.selectors import open_request, region_class_get, work_calendar
from cases.supervision import current_order, order_refusal
from cases.transitions import DECIDES, OPENS, REQUESTS, Transition, event_label, transitions_from
from grids.models import FOUR_DUTIES, RESPONSIBLE_ROLES, RoadSegment
from grids.selectors import centers_known


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    label: str
    actor: str | None  # the name of who did it; None for citizens and the system
    department: str | None = None
    approver: str | None = None
    asked: str = ""  # what an extension request asks for
    deadline: datetime.datetime | None = None  # the deadline the event set
    other_case: dict | None = None  # {"id", "tracking_number"}: merged into / merged in
    due: datetime.datetime | None = None  # a supervision order's answer deadline
    addressee: str | None = None  # who must answer a supervision order
    inspector: str | None = None  # the inspector sent to verify or check
    center: str | None = None  # the command center the case went to (escalate, assign down, take over)


@dataclass(frozen=True)
class OpenRequest:
    kind: str
    label: str
    event: CaseEvent
    actor: str | None
    asked: str


@dataclass(frozen=True)
class SegmentPeople:
    """The road segment a case is on (路长制) and who answers there besides the responsible chief."""

    road: str
    segment: str
    code: str
    road_chief: str | None
    road_chief_phone: str
    road_level: str
    road_level_label: str
    manager: str | None
    manager_phone: str
    inspector: str | None
    inspector_phone: str
    duties: dict


@dataclass(frozen=True)
class Responsible:
    name: str
    phone: str
    role: str
    role_label: str
    segment: SegmentPeople | None = None


@dataclass(frozen=True)
class CenterRef:
    id: int
    name: str


@dataclass(frozen=True)
class AssetRef:
    """The component (部件) a case is about, as the case shows it."""

    id: int
    code: str
    name: str
    category: str
    status: str
    status_label: str
    maintainer: str | None
    url: str


@dataclass
class CaseView:
    case: Case
    tone: str
    reporter: Contact
    responsible: Responsible | None
    limit: str | None
    region_class: str | None  # the name of the case's micro grid's class (一类区域 …)
    limit_by_class: bool  # the limit is that class's own (else the subcategory's class-less one)
    clock: CaseClock | None
    step_clocks: list[StepClock]
    timeline: list[TimelineEntry]
    open_requests: list[OpenRequest]
    actions: list[Transition]  # what the user may do now, in the table's order
    photos: list[CasePhoto] = field(default_factory=list)
    merged_in: list[dict] = field(default_factory=list)  # {"id", "tracking_number"} of duplicates merged in
    asset: AssetRef | None = None
    supervision: SupervisionView | None = None  # the current supervision order (督办), if any
    center: CenterRef | None = None  # the command center holding the case (镇街三级)


@dataclass(frozen=True)
class SupervisionView:
    """The case's current supervision order as its page and the API show it."""

    order: SupervisionOrder
    status_label: str
    issued_by: str | None
    addressee: str
    overdue: bool  # past its deadline without an answer


def case_view(
    *,
    case: Case,
    user,
    where: str,
    now: datetime.datetime | None = None,
    events: list[CaseEvent] | None = None,
    photos: list[CasePhoto] | None = None,
) -> CaseView:
    """`case` (as cases.selectors.case_get reads it: events prefetched) as `user` sees it.

    `where` names the interface for the record of a full contact view ("page", "api"). A case
    just written by the service comes with its `events` and `photos` (all there is): then
    nothing is read back.
    """
    now = now or timezone.now()
    events = list(case.events.all()) if events is None else events
    calendar = work_calendar()
    clock = case_clock(case=case, events=events, calendar=calendar, now=now)
    requests = {kind: open_request(events, ask=r.ask, decisions=r.decisions) for kind, r in REQUESTS.items()}
    requests = {kind: event for kind, event in requests.items() if event is not None}
    # The duplicates merged into this case, as their merge events name them.
    merged_in = [event.payload["case"] for event in events if event.action == "merged_in" and event.payload.get("case")]
    if photos is None:
        photos = list(
            CasePhoto.objects.filter(Q(case_id=case.pk) | Q(case__duplicate_of_id=case.pk))
            .select_related("case")
            .only("id", "kind", "status", "display", "thumbnail", "case__tracking_number", "case_id")
            .order_by("created_at", "id")
        )
    # `supervised` is set exactly while an order is current: no query for the cases without one.
    order = current_order(case_id=case.pk) if case.supervised else None
    limit = case_limit(case)
    region_class = region_class_get(region_class_id=limit.region_class_id if limit else case_region_class_id(case))
    return CaseView(
        case=case,
        tone=STATUS_INFO[case.status].tone,
        reporter=reporter_contact(case=case, user=user, where=where, taken_in_by=_taken_in_by(events)),
        responsible=_responsible(case),
        limit=limit_text(case),
        region_class=region_class.name if region_class else None,
        limit_by_class=bool(limit and limit.by_class),
        clock=clock,
        step_clocks=case_step_clocks(case=case, events=events, calendar=calendar, now=now),
        timeline=[_entry(event) for event in events],
        open_requests=[_open_request(kind, event) for kind, event in requests.items()],
        actions=actions_now(case=case, user=user, open_requests=requests, order=order),
        photos=photos,
        merged_in=merged_in,
        asset=_asset(case),
        supervision=_supervision(order, now),
        center=_center(case),
    )


def actions_now(
    *, case: Case, user, open_requests: dict[str, CaseEvent], order: SupervisionOrder | None = None
) -> list[Transition]:
    """The actions `user` may take on `case` now: those their roles allow from its status, on a
    case in their scope (cases.scope), possible for this case, fitting its open requests
    (deciding needs a request, asking needs none open) and its current supervision order
    `order` (cases.supervision.order_refusal). The service applies the same rules."""
    roles = set(user_roles(user))
    in_scope: dict[frozenset, bool] = {}
    offered = []
    for transition in transitions_from(case.status):
        allowed = frozenset(transition.roles & roles)
        if not allowed or (transition.available and transition.available(case)):
            continue
        if transition.request is not None:
            kind, how = transition.request
            if (how == OPENS and kind in open_requests) or (how == DECIDES and kind not in open_requests):
                continue
        if transition.order is not None and order_refusal(step=transition.order, order=order, case=case, user=user):
            continue
        if transition.actor_rule and transition.actor_rule(case, user):
            continue
        if allowed not in in_scope:  # last: the one rule that may cost a query
            in_scope[allowed] = may_act(user=user, case=case, roles=allowed)
        if in_scope[allowed]:
            offered.append(transition)
    return offered


def limit_text(case: Case) -> str | None:
    """The case's handling limit as people say it: "4 working hours"."""
    limit = case_limit(case)
    if limit is None:
        return None
    return f"{float(limit.amount):g} {LimitUnit(limit.unit).label}"


def actor_name(user) -> str | None:
    if user is None:
        return None
    person = getattr(user, "person", None)
    return person.name if person is not None else (user.get_full_name() or user.get_username())


def asked_text(payload: dict) -> str:
    """What an extension request asks for: "+2 working days" or "until 2026-11-30 17:30"."""
    if payload.get("amount") and payload.get("unit") in LimitUnit.values:
        return f"+{float(payload['amount']):g} {LimitUnit(payload['unit']).label}"
    deadline = _parse_time(payload.get("deadline"))
    if deadline is not None:
        return _("until %(deadline)s") % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}
    return ""


def _entry(event: CaseEvent) -> TimelineEntry:
    payload: dict[str, Any] = event.payload or {}
    asking = event.action == REQUESTS["extension"].ask
    return TimelineEntry(
        event=event,
        label=event_label(event.action),
        actor=actor_name(event.actor),
        department=(payload.get("department") or {}).get("name"),
        approver=(payload.get("approver") or {}).get("name"),
        asked=asked_text(payload) if asking else "",
        deadline=None if asking else _parse_time(payload.get("deadline")),
        other_case=payload.get("case") if event.action == "merged_in" else payload.get("into"),
        due=_parse_time(payload.get("due")),
        addressee=_addressee(payload.get("addressee")),
        inspector=(payload.get("inspector") or {}).get("name"),
        center=(payload.get("to") or {}).get("name") if event.action in CENTER_ACTIONS else None,
    )


def _addressee(value) -> str | None:
    if not isinstance(value, dict):
        return None
    who = value.get("department") or value.get("user") or {}
    return who.get("name")


CENTER_ACTIONS = ("escalate", "assign_down", "take_over")


def _center(case: Case) -> CenterRef | None:
    """The center holding the case (its name from the centers kept in the process)."""
    centers = centers_known()
    holder = case.center_id if case.center_id in centers.names else centers.root_id
    return CenterRef(holder, centers.names[holder]) if holder is not None else None


def _open_request(kind: str, event: CaseEvent) -> OpenRequest:
    return OpenRequest(kind, str(REQUESTS[kind].label), event, actor_name(event.actor), asked_text(event.payload or {}))


def _supervision(order: SupervisionOrder | None, now: datetime.datetime) -> SupervisionView | None:
    if order is None:
        return None
    return SupervisionView(
        order=order,
        status_label=str(order.get_status_display()),
        issued_by=actor_name(order.issued_by),
        addressee=order.addressee_name,
        overdue=order.status == OrderStatus.OPEN and now > order.deadline,
    )


def _asset(case: Case) -> AssetRef | None:
    asset = case.asset if case.asset_id else None
    if asset is None:
        return None
    return AssetRef(
        id=asset.pk,
        code=asset.code,
        name=asset.name,
        category=asset.category.name,
        status=asset.status,
        status_label=str(asset.get_status_display()),
        maintainer=asset.maintainer.name if asset.maintainer_id else None,
        url=reverse("assets:detail", args=[asset.pk]),
    )


def _responsible(case: Case) -> Responsible | None:
    person = case.responsible
    if person is None:
        return None
    label = str(RESPONSIBLE_ROLES.get(case.responsible_role, case.responsible_role))
    return Responsible(person.name, person.phone, case.responsible_role, label, _segment(case))


def _segment(case: Case) -> SegmentPeople | None:
    """The segment's people and its road's chief, in one query (none when the case is on no road)."""
    if not case.road_segment_id:
        return None
    segment = (
        RoadSegment.objects.select_related("road__chief", "manager", "inspector")
        .defer("reach", "geometry", "road__geometry")
        .get(pk=case.road_segment_id)
    )
    road = segment.road

    def named(person):
        return (person.name, person.phone) if person is not None else (None, "")

    chief, manager, inspector = named(road.chief), named(segment.manager), named(segment.inspector)
    duties = {str(label): segment.duties.get(key, "") for key, label in FOUR_DUTIES.items()}
    return SegmentPeople(
        road.name, segment.name, segment.code, chief[0], chief[1], road.level, str(road.get_level_display()),
        manager[0], manager[1], inspector[0], inspector[1], duties,
    )  # fmt: skip


def _taken_in_by(events: list[CaseEvent]) -> int | None:
    return next((event.actor_id for event in events if event.action == "report"), None)


def _parse_time(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
