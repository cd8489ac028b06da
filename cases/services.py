"""The one write path for cases: intake and every status change.

Each change checks the transition table (cases.transitions: role, inputs, photos, the
requests' rules), the actor's scope (cases.scope), locks the row, compares-and-sets the
status, and writes an append-only CaseEvent in the same transaction. A repeated request (the
same request id, from the same person, for the same case and action) is not applied twice and
answers the case; a request id used for anything else is refused. An action on a case that has
moved on meanwhile gets a clear error with the current status; a case the actor may not see
gets "not found", whatever its state.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import user_roles
from cases.effects import Context, evaluation_payload
from cases.errors import CaseActionError, CaseNotFound, IllegalTransition, InvalidInput, NotPermitted, StaleAction
from cases.models import Case, CaseEvent, Category, DailySequence, Satisfaction, Source, Status, Urgency
from cases.models.photos import PhotoKind
from cases.notifications import (
    notifications_create_for_dispatch,
    notifications_create_for_exchange,
    notifications_create_for_overdue,
    notifications_create_for_supervision,
)
from cases.photos import PHOTOS_MAX, CheckedPhoto, PhotoError, case_photo_add, photo_check
from cases.scope import may_act, may_see, report_sources
from cases.selectors import case_events, open_request
from cases.supervision import FOLLOWS, ISSUES, current_order, order_refusal
from cases.transitions import DECIDES, OPENS, REQUESTS, TRANSITIONS, Transition
from config.pii import lookup_hash
from grids.models import Person
from grids.selectors import center_for_chain, grid_at_point, responsible_at_point
from ops.metrics import count_transition

__all__ = [  # the errors are the service's answers: importable from here
    "CaseActionError",
    "CaseNotFound",
    "IllegalTransition",
    "InvalidInput",
    "NotPermitted",
    "StaleAction",
    "case_batch",
    "case_citizen_rating",
    "case_escalate_approval",
    "case_record_sla_threshold",
    "case_report",
    "case_report_from",
    "case_transition",
]

REQUEST_ID_REUSED = gettext_lazy("This request id was already used for another request; send a new one.")


def _next_tracking_number(day: datetime.date) -> str:
    """Date + the day's sequence, e.g. 202611210007: unique, not gap-free.

    One statement, holding nothing for the intake's transaction: on PostgreSQL the day's own
    sequence (migration 0008: no row lock, no wait for the disk; clerks taking reports at the
    same moment never wait for each other); on SQLite, which has one writer at a time anyway,
    the day's row, created or incremented. A number whose report then fails (a refused photo,
    a request id seen before) is not used again: numbers are unique, with gaps.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT cases_tracking_next(%s)", [day])
        else:
            table, qn = DailySequence._meta.db_table, connection.ops.quote_name
            cursor.execute(
                f"INSERT INTO {qn(table)} ({qn('day')}, {qn('last')}) VALUES (%s, 1) ON CONFLICT ({qn('day')}) "
                f"DO UPDATE SET {qn('last')} = {qn(table)}.{qn('last')} + 1 RETURNING {qn('last')}",
                [day],
            )
        (last,) = cursor.fetchone()
    return f"{day:%Y%m%d}{last:04d}"


def _event(case: Case, *, actor, action: str, from_status: str, note: str = "", payload=None, request_id=None, now):
    return CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=now,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        payload=payload or {},
        request_id=request_id,
    )


def case_report(
    *,
    source: str,
    point: Point | None,
    address: str = "",
    category: Category | None = None,
    asset=None,
    urgency: str = Urgency.NORMAL,
    description: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    actor=None,
    request_id: str | None = None,
    now: datetime.datetime | None = None,
    photos: Sequence[IO[bytes]] = (),
    announce: bool = True,
) -> Case:
    """Take in a report: locate it, name who is responsible there, give it a tracking number.

    A report outside the jurisdiction is refused and nothing is stored. The same
    request id sent twice (a double click, a retried upload) gives the same case.
    `asset` (assets.Asset): the component the report is about; the case takes its subcategory
    and its map point unless others are given, and is routed to its maintaining unit
    (cases.selectors.case_department). A retired asset is refused.
    `photos` (files) are stored as the report's "before" photos, in the same transaction;
    a photo that is refused refuses the report, with nothing stored. The case returned has
    `repeated` set when the request id had been seen (the earlier request's case); a new one
    carries what was written with it, `report_event` and `report_photos`, so that its answer
    is built without reading it back.
    The upstream systems owed a message about the report (the higher-level platform) get it in the
    same transaction; `announce=False` leaves that to the caller, within its own transaction
    (exchange.services, once it has linked the case to the order it came from).

    The short path: one statement locates the point and finds who answers there, one takes the
    tracking number, then the case and its event are inserted. A request id is checked once,
    by its unique index when the event is inserted: only then is the earlier request read.
    """
    try:
        if source not in Source.values:
            raise InvalidInput(_("Unknown source %(source)r.") % {"source": source})
        if urgency not in Urgency.values:
            raise InvalidInput(_("Unknown urgency %(urgency)r.") % {"urgency": urgency})
        if asset is not None:
            if asset.status == "retired":
                message = _("Asset %(code)s is retired; report on the asset now in its place.") % {"code": asset.code}
                raise InvalidInput(message, fields={"asset": [message]})
            category = category or asset.category
            point = point or asset.point
        if point is None:
            raise InvalidInput(_("A report needs a location."))
        location = grid_at_point(point=point, responsible=True)
        if not location.inside:
            raise InvalidInput(_("The location is outside the city's grids; check the point on the map."))
        responsible = responsible_at_point(point=point, location=location)
        checked = _check_photos(photos, maximum=PHOTOS_MAX)
    except InvalidInput:
        # The same request again is answered as the first time, whatever changed since.
        if request_id and (earlier := _replayed(request_id, action="report", actor=actor)) is not None:
            return earlier
        raise
    now = now or timezone.now()
    stored: list = []
    number = _next_tracking_number(timezone.localdate(now))
    try:
        with transaction.atomic():
            case = Case.objects.create(
                tracking_number=number,
                source=source,
                location=location.point,
                address=address[:200],
                micro_grid=location.micro,
                community_grid=location.community,
                large_grid=location.large,
                district_grid=location.district,
                center_id=center_for_chain([grid.pk for grid in location.chain]),
                responsible=responsible.person if responsible else None,
                responsible_role=responsible.role if responsible else "",
                road_segment=responsible.segment if responsible else None,
                category=category,
                asset=asset,
                urgency=urgency,
                description=description,
                reporter_name=reporter_name[:50],
                reporter_phone=reporter_phone[:30],  # encrypted at rest (config.pii)
                reporter_phone_hash=lookup_hash(reporter_phone[:30]),  # to find the number again
                reported_at=now,
            )
            event = _event(case, actor=actor, action="report", from_status="", request_id=request_id, now=now)
            _store_photos(case, event, photos, checked, kind=PhotoKind.BEFORE, actor=actor, now=now, stored=stored)
            if announce:
                notifications_create_for_exchange(case=case, event=event)
    except IntegrityError:
        _forget(stored)
        if request_id and (earlier := _replayed(request_id, action="report", actor=actor)) is not None:
            return earlier  # the same request again (or twice at once): the earlier one's case
        raise
    except BaseException:
        _forget(stored)
        raise
    case.repeated = False
    case.report_event = event
    case.report_photos = stored
    return case


# What a report is made of on every intake interface (the page's form, the API), besides where it is.
REPORT_INPUTS = (
    "source", "address", "category", "asset", "urgency", "description", "reporter_name", "reporter_phone", "photos",
)  # fmt: skip


def case_report_from(*, data: Mapping[str, Any], actor) -> Case:
    """case_report from an intake interface's checked input: `lon`, `lat` (WGS84), `request_id`
    and REPORT_INPUTS (those absent take case_report's defaults)."""
    request_id = data.get("request_id")
    allowed = report_sources(user_roles(actor))
    if allowed is not None and data.get("source") not in allowed:
        sources = ", ".join(str(Source(source).label) for source in allowed)
        message = _("You may only report from your own patrol (source: %(sources)s).") % {"sources": sources}
        raise InvalidInput(message, fields={"source": [message]})
    return case_report(
        point=Point(data["lon"], data["lat"], srid=4326),
        actor=actor,
        request_id=str(request_id) if request_id else None,
        **{name: data[name] for name in REPORT_INPUTS if name in data},
    )


def _replayed(request_id: str, *, action: str, actor, case_id: int | None = None, own_only: bool = False):
    """The case of an earlier request with this id, if it was this same request (same person,
    same action, same case), with `case.repeated` set; None if the id is new. An id used for
    anything else is refused (request ids belong to the one who sent them) — or, with
    `own_only`, left for a later call, so that scope is checked before anything is said."""
    earlier = CaseEvent.objects.filter(request_id=request_id).values("case_id", "action", "actor_id").first()
    if earlier is None:
        return None
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    if earlier["action"] != action or earlier["actor_id"] != actor_id or case_id not in (None, earlier["case_id"]):
        if own_only:
            return None
        raise InvalidInput(str(REQUEST_ID_REUSED), fields={"request_id": [str(REQUEST_ID_REUSED)]})
    case = Case.objects.get(pk=earlier["case_id"])
    case.repeated = True
    return case


def _check_photos(photos: Sequence[IO[bytes]], *, maximum: int) -> list[CheckedPhoto]:
    """Every photo checked before anything is written (and before any lock is taken): a refused
    one refuses the whole action."""
    if len(photos) > maximum:
        message = _("At most %(max)d photos at a time.") % {"max": maximum}
        raise InvalidInput(message, fields={"photos": [message]})
    checked = []
    for number, file in enumerate(photos, start=1):
        try:
            checked.append(photo_check(file))
        except PhotoError as exc:
            message = (
                exc.message if len(photos) == 1 else _("Photo %(n)s: %(reason)s") % {"n": number, "reason": exc.message}
            )
            raise InvalidInput(message, fields={"photos": [message]}) from None
    return checked


def _store_photos(case: Case, event: CaseEvent, photos, checked, *, kind: str, actor, now, stored: list) -> None:
    for file, check in zip(photos, checked, strict=True):
        photo = case_photo_add(case=case, file=file, kind=kind, actor=actor, event=event, now=now, checked=check)
        if photo.event_id == event.pk:
            stored.append(photo)


def _forget(stored: list) -> None:
    """The transaction that stored these photos' rows rolled back: remove their files too."""
    for photo in stored:
        photo.original.delete(save=False)


def case_transition(
    *,
    case_id: int,
    action: str,
    actor,
    note: str = "",
    request_id: str | None = None,
    expected_status: str | None = None,
    now: datetime.datetime | None = None,
    photos: Sequence[IO[bytes]] = (),
    **params: Any,
) -> Case:
    """Apply one action to a case. Raises a CaseActionError subclass when it cannot be applied.

    params: the action's inputs as its row of cases.transitions declares them (category and
    urgency to file, department to dispatch, amount + unit or deadline to request an extension,
    into to merge: a Case, id or tracking number). photos: files the row allows (handle: the
    "after" photos, at least one), stored in the same transaction; a refused photo refuses the
    action. The case returned has `repeated` set when this was the same request again.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(_("Unknown action %(action)r.") % {"action": action})
    roles = set(user_roles(actor)) & transition.roles
    if not roles:
        raise NotPermitted(_("Your role may not do this: %(action)s.") % {"action": transition.label})
    note = (note or "").strip()
    photos = list(photos or ())
    _check_inputs(transition, note, photos, params)
    checked = _check_photos(photos, maximum=transition.photos.max) if photos else []
    now = now or timezone.now()
    stored: list = []
    try:
        with transaction.atomic():
            if action == "merge":
                params["into"] = _lock_merge_target(case_id, _merge_target_id(params.get("into")))
            case = Case.objects.select_for_update(of=("self",)).select_related("category").filter(pk=case_id).first()
            if case is None:
                raise CaseNotFound(_("No such case, or not one you may see."))
            # Under the lock, so a retry racing its original waits for it, then finds it here. Your own
            # request is answered even if it took the case out of your sight (a send-back); anyone
            # else's id is refused only once scope is checked, so an outsider learns nothing.
            own = {"action": action, "actor": actor, "case_id": case_id}
            if request_id and (earlier := _replayed(request_id, **own, own_only=True)):
                return earlier
            _check_scope(case, actor, roles)
            if request_id:
                _replayed(request_id, **own)  # an id used for anything else: refused
            current = case.status
            _check_status(case, transition, expected_status)
            _check_actor(case, transition, actor)
            ctx = Context(case=case, transition=transition, actor=actor, roles=roles, now=now, note=note, params=params)
            _check_request(ctx)
            _check_order(ctx)
            case.status = transition.effect(ctx)
            if case.status not in transition.targets:  # the table is the contract of every effect
                raise RuntimeError(f"{action} led to {case.status}, not one of {sorted(transition.targets)}")
            fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.attname != "id"}
            fields["updated_at"] = now
            # Compare-and-set: on SQLite select_for_update locks nothing, so two
            # concurrent actions could both have read `current`; only one may win.
            if not Case.objects.filter(pk=case.pk, status=current).update(**fields):
                raise StaleAction(
                    _("Someone else acted on this case at the same moment. Reload it."), current_status=None
                )
            if ctx.order is not None:  # a supervision order issued, or a step of one
                ctx.order.save()
                ctx.payload["order"] = ctx.order.pk
            event = _event(case, actor=actor, action=action, from_status=current, note=note, payload=ctx.payload,
                           request_id=request_id, now=now)  # fmt: skip
            if transition.order in (ISSUES, FOLLOWS):
                # The addressee is told of the order and of each reminder (the outbox, sent after commit).
                notifications_create_for_supervision(case=case, event=event, order=ctx.order)
            if photos:
                _store_photos(
                    case, event, photos, checked, kind=transition.photos.kind, actor=actor, now=now, stored=stored
                )
            if action == "merge":
                _merged_in(case, event, actor=actor, now=now)
            transaction.on_commit(lambda: count_transition(action))  # /metrics
            if case.status == Status.DISPATCHED and current != Status.DISPATCHED:
                # The department is owed a message: a row now, in this transaction; sent after commit.
                # (Not for requests and decisions on a case it already has: extension, suspension.)
                notifications_create_for_dispatch(case=case, event=event)
            # Upstream systems: a status callback to the one the case came from, a push to the higher platform.
            notifications_create_for_exchange(case=case, event=event)
    except IntegrityError:
        _forget(stored)
        if request_id and (earlier := _replayed(request_id, action=action, actor=actor, case_id=case_id)):
            return earlier
        raise
    except BaseException:
        _forget(stored)
        raise
    case.repeated = False
    return case


def _check_inputs(transition: Transition, note: str, photos: list, params: dict) -> None:
    """The rules of the action's row about what it carries; the same words on every interface."""
    known = {spec.name for spec in transition.inputs}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInput(
            _("“%(action)s” takes no %(inputs)s.") % {"action": transition.label, "inputs": ", ".join(unknown)}
        )
    if transition.needs_note and not note:
        raise InvalidInput(transition.note_required_message, fields={"note": [transition.note_required_message]})
    for spec in transition.inputs:
        if spec.required and params.get(spec.name) in (None, ""):
            raise InvalidInput(str(spec.message), fields={spec.name: [str(spec.message)]})
    if photos and transition.photos is None:
        raise InvalidInput(_("Photos cannot be sent with: %(action)s.") % {"action": transition.label})
    if transition.photos is not None and len(photos) < transition.photos.min:
        message = str(transition.photos.required_message)
        raise InvalidInput(message, fields={"photos": [message]})


def _check_scope(case: Case, actor, roles: set[str]) -> None:
    """The actor may act on this case (cases.scope); one who may not even see it learns nothing."""
    if may_act(user=actor, case=case, roles=roles):
        return
    if not may_see(user=actor, case_id=case.pk):
        raise CaseNotFound(_("No such case, or not one you may see."))
    raise NotPermitted(_("This case is outside your grid or department."), current_status=case.status)


def _check_status(case: Case, transition: Transition, expected_status: str | None) -> None:
    current = case.status
    if expected_status and current != expected_status:
        raise StaleAction(
            _("The case has changed meanwhile: it is now “%(status)s”. Reload it and try again.")
            % {"status": Status(current).label},
            current_status=current,
        )
    if current not in transition.sources:
        raise IllegalTransition(
            _("“%(action)s” is not possible while the case is “%(status)s”.")
            % {"action": transition.label, "status": Status(current).label},
            current_status=current,
        )
    reason = transition.available(case) if transition.available else None
    if reason:
        raise IllegalTransition(reason, current_status=current)


def _check_actor(case: Case, transition: Transition, actor) -> None:
    """The action's own rule about who takes it on this case (cases.transitions: actor_rule)."""
    reason = transition.actor_rule(case, actor) if transition.actor_rule else None
    if reason:
        raise NotPermitted(reason, current_status=case.status)


def _check_request(ctx: Context) -> None:
    """The rules of the department's requests: one open at a time; a decision needs one open."""
    if ctx.transition.request is None:
        return
    kind, how = ctx.transition.request
    request = REQUESTS[kind]
    found = open_request(case_events(case_id=ctx.case.pk), ask=request.ask, decisions=request.decisions)
    if how == OPENS:
        if found is not None:
            raise IllegalTransition(str(request.already_open), current_status=ctx.case.status)
        return
    if how == DECIDES and found is None:
        raise IllegalTransition(str(request.none_open), current_status=ctx.case.status)
    ctx.request = found
    ctx.payload["request"] = found.pk if found is not None else None


def _check_order(ctx: Context) -> None:
    """The rules of a supervision order's step (cases.supervision.order_refusal), on the case's
    current order, locked: two reminders or an answer and a sign-off at once apply one by one."""
    step = ctx.transition.order
    if step is None:
        return
    order = current_order(case_id=ctx.case.pk, lock=True)
    refusal = order_refusal(step=step, order=order, case=ctx.case, user=ctx.actor)
    if refusal is not None:
        error = NotPermitted if refusal.who else IllegalTransition
        raise error(refusal.message, current_status=ctx.case.status)
    ctx.order = order


def _lock_merge_target(case_id: int, target_id: int) -> Case:
    """Both rows, locked in id order: two clerks merging A into B and B into A at once must not
    deadlock; one of them then finds its target merged and is refused."""
    locked = Case.objects.select_for_update(of=("self",)).filter(pk__in=[case_id, target_id])
    found = {c.pk: c for c in locked.order_by("pk")}
    if target_id not in found:
        raise InvalidInput(_("There is no case to merge into with that number."))
    return found[target_id]


def _merge_target_id(value) -> int:
    """The case to merge into: a Case, its id, or its tracking number."""
    if isinstance(value, Case):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(_("Say which case this one duplicates."))
    if len(text) >= 12:  # a tracking number, e.g. 202611210007
        pk = Case.objects.filter(tracking_number=text).values_list("pk", flat=True).first()
        if pk is None:
            raise InvalidInput(_("There is no case to merge into with that number."))
        return pk
    if text.isdigit():
        return int(text)
    raise InvalidInput(_("There is no case to merge into with that number."))


def _merged_in(duplicate: Case, event: CaseEvent, *, actor, now) -> None:
    """The case merged into records it too, in the same transaction: its page shows the
    duplicate's photos and links to the duplicate's own history. Its status does not change."""
    target = duplicate.duplicate_of
    Case.objects.filter(pk=target.pk).update(updated_at=now)
    payload = {"case": {"id": duplicate.pk, "tracking_number": duplicate.tracking_number}, "event": event.pk}
    _event(target, actor=actor, action="merged_in", from_status=target.status, payload=payload, now=now)


# ---- the clocks' marks (cases.sla decides when; these write, under the row lock) ----

SLA_THRESHOLDS = {0.8: "sla_warning", 1.0: "sla_overdue"}


def case_record_sla_threshold(
    *,
    case_id: int,
    threshold: float,
    round_start_id: int,
    deadline: datetime.datetime,
    now: datetime.datetime,
    payload: dict | None = None,
) -> CaseEvent | None:
    """Record that a dispatched case's handling clock passed `threshold`: 0.8 (sla_warning)
    or 1.0 (sla_overdue, which also sets Case.overdue). Once per clock round.

    The caller measured the clock on a snapshot: `round_start_id` is the event that
    started the round (dispatch, approval, rework), `deadline` the deadline measured
    against. Under the row lock this checks the snapshot still holds (still dispatched,
    same deadline: no extension or resumption since) and that no event for this threshold
    exists after `round_start_id` (a later round only has later events), so two sweeps
    at once write it once. Status does not change. Returns the event, or None.
    """
    action = SLA_THRESHOLDS[threshold]
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None or case.status != Status.DISPATCHED or case.handling_deadline != deadline:
            return None
        if CaseEvent.objects.filter(case_id=case_id, action=action, pk__gt=round_start_id).exists():
            return None
        if action == "sla_overdue":
            case.overdue = True
            Case.objects.filter(pk=case_id).update(overdue=True, updated_at=now)
        payload = {"threshold": threshold, **(payload or {})}
        event = _event(case, actor=None, action=action, from_status=case.status, payload=payload, now=now)
        if action == "sla_overdue":
            # Escalation: the department is told on its channels, the head and the chief above by e-mail.
            notifications_create_for_overdue(case=case, event=event, also_email=_escalation_emails(payload))
        return event


def _escalation_emails(payload: dict) -> list[str]:
    """The e-mail addresses of the people an overdue event escalates to (see cases.sla), in one query."""
    escalated = payload.get("escalated_to") or {}
    head_id = (escalated.get("department_head") or {}).get("user_id")
    chief_id = (escalated.get("grid_chief") or {}).get("id")
    if not head_id and not chief_id:
        return []
    who = (Q(pk=head_id) if head_id else Q(pk__in=[])) | (Q(person__pk=chief_id) if chief_id else Q(pk__in=[]))
    users = get_user_model().objects.filter(who, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def case_escalate_approval(
    *,
    case_id: int,
    from_approver_id: int,
    to_approver: Person,
    waiting_since_id: int,
    now: datetime.datetime,
    payload: dict | None = None,
) -> CaseEvent | None:
    """Hand a dispatch waiting for approval to the chief one level up (DESIGN §3.3): event
    approval_escalated, payload from/to person. Once per level.

    `waiting_since_id`: the event that started this wait (the dispatch, or the last
    escalation). Under the row lock: the case must still wait for `from_approver_id` with
    no dispatch or escalation since, so two sweeps at once move it one level, not two.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None or case.status != Status.PENDING_APPROVAL or case.approver_id != from_approver_id:
            return None
        since = CaseEvent.objects.filter(case_id=case_id, pk__gt=waiting_since_id)
        if since.filter(action__in=["dispatch", "approval_escalated"]).exists():
            return None
        before = case.approver
        case.approver = to_approver
        Case.objects.filter(pk=case_id).update(approver=to_approver, updated_at=now)
        payload = {
            "from": {"id": before.pk, "name": before.name} if before else None,
            "to": {"id": to_approver.pk, "name": to_approver.name},
            **(payload or {}),
        }
        return _event(case, actor=None, action="approval_escalated", from_status=case.status, payload=payload, now=now)


# ---- several cases at once (the queue's batch actions) --------------------------------------

# The actions the queue offers on a selection (send_to_check takes the inspector sent: assigning
# an inspector to several cases at once).
BATCH_ACTIONS = ("file", "dispatch", "send_to_check", "close")
BATCH_MAX = 100


def batch_actions() -> list[Transition]:
    """The rows of the transition table the queue may apply to a selection, in BATCH_ACTIONS' order."""
    return [TRANSITIONS[action] for action in BATCH_ACTIONS if action in TRANSITIONS]


@dataclass(frozen=True)
class BatchResult:
    """What happened to one case of a batch: applied (`ok`), or refused with the service's code
    and message; `status` is the case's status afterwards (None for a case the actor may not see)."""

    case_id: int
    ok: bool
    status: str | None = None
    tracking_number: str = ""
    code: str = ""
    message: str = ""
    repeated: bool = False


def case_batch(
    *,
    case_ids: Sequence[int],
    action: str,
    actor,
    note: str = "",
    expected_statuses: Mapping[int, str] | None = None,
    request_id: str | None = None,
    **params: Any,
) -> list[BatchResult]:
    """Apply one action to several cases, each through case_transition in a transaction of its
    own: each case is changed whole or not at all, and one refusal leaves the others applied.

    The action and what it carries are checked once first (a missing note refuses the batch,
    nothing applied). `expected_statuses` ({case id: status the page showed}) makes each case
    stale-safe. `request_id` (a UUID) makes the batch safe to send again: each case's request id
    is derived from it and the case's id, so a case already done answers as done.
    """
    transition = TRANSITIONS.get(action)
    if transition is None or action not in BATCH_ACTIONS:
        raise InvalidInput(_("“%(action)s” cannot be applied to several cases at once.") % {"action": action})
    ids = list(dict.fromkeys(int(case_id) for case_id in case_ids))
    if not ids:
        raise InvalidInput(_("Select at least one case."), fields={"ids": [_("Select at least one case.")]})
    if len(ids) > BATCH_MAX:
        message = _("At most %(max)d cases at a time.") % {"max": BATCH_MAX}
        raise InvalidInput(message, fields={"ids": [message]})
    if not set(user_roles(actor)) & transition.roles:
        raise NotPermitted(_("Your role may not do this: %(action)s.") % {"action": transition.label})
    _check_inputs(transition, (note or "").strip(), [], params)
    try:
        batch = uuid.UUID(str(request_id)) if request_id else None
    except ValueError:
        message = str(_("A request id is a UUID."))
        raise InvalidInput(message, fields={"request_id": [message]}) from None
    expected = {int(k): v for k, v in (expected_statuses or {}).items()}
    results = []
    for case_id in ids:
        try:
            case = case_transition(
                case_id=case_id,
                action=action,
                actor=actor,
                note=note,
                expected_status=expected.get(case_id),
                request_id=str(uuid.uuid5(batch, str(case_id))) if batch else None,
                **params,
            )
        except CaseActionError as exc:
            number = "" if isinstance(exc, CaseNotFound) else _tracking_number(case_id)
            results.append(BatchResult(case_id, False, exc.current_status, number, exc.code, exc.message))
        else:
            results.append(BatchResult(case_id, True, case.status, case.tracking_number, repeated=case.repeated))
    return results


def _tracking_number(case_id: int) -> str:
    return Case.objects.filter(pk=case_id).values_list("tracking_number", flat=True).first() or ""


# ---- the citizen's rating of a closed case (回访 by staff is the `callback` action) ----------

CITIZEN_RATING = "citizen_rating"
ALREADY_RATED = gettext_lazy("This case has already been rated; thank you.")


def case_citizen_rating(
    *,
    case_id: int,
    satisfaction: str,
    solved: bool,
    contacted: bool,
    comment: str = "",
    reopen_actor=None,
    reopen_note: str = "",
    now: datetime.datetime | None = None,
) -> Case:
    """Record the citizen's rating of a closed case (满意 / 基本满意 / 不满意, solved, contacted, a
    comment): an event `citizen_rating`, the status unchanged. Once per case: checked under the
    row lock, and by the event's request id (`citizen-rating:<case id>`), unique in the database,
    so two ratings sent at the same moment make one. 不满意 with `reopen_actor` (an account that
    may reopen) also reopens the case (重办) through `case_transition`, in the same transaction.
    The caller has found the case by its public tracking code; nothing else is checked about who
    rates."""
    payload = evaluation_payload(satisfaction=satisfaction, solved=solved, contacted=contacted, by="citizen")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                raise CaseNotFound(_("No such case, or not one you may see."))
            if CaseEvent.objects.filter(case_id=case_id, action=CITIZEN_RATING).exists():
                raise IllegalTransition(str(ALREADY_RATED), current_status=case.status)
            if case.status != Status.CLOSED:
                raise IllegalTransition(_("A case can be rated once it is closed."), current_status=case.status)
            _event(case, actor=None, action=CITIZEN_RATING, from_status=case.status, note=(comment or "").strip()[:1000],
                   payload=payload, request_id=f"{CITIZEN_RATING}:{case.pk}", now=now)  # fmt: skip
            if satisfaction == Satisfaction.DISSATISFIED and reopen_actor is not None:
                case = case_transition(case_id=case.pk, action="reopen", actor=reopen_actor, note=reopen_note, now=now)
    except IntegrityError:  # rated at the same moment by another request: the first one stands
        raise IllegalTransition(str(ALREADY_RATED), current_status=Status.CLOSED) from None
    return case
