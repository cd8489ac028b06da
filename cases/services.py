"""The one write path for cases: intake and every status change.

Each change checks the transition table (cases.transitions), the actor's role
and scope, locks the row, compares-and-sets the status, and writes an
append-only CaseEvent in the same transaction. A repeated request (same
request id) is not applied twice; an action on a case that has moved on meanwhile
gets a clear error with the current status.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, user_roles
from cases.models import (
    CalendarDay,
    Case,
    CaseEvent,
    Category,
    DailySequence,
    LimitUnit,
    Source,
    Status,
    Urgency,
)
from cases.models.case import TERMINAL
from cases.models.photos import PhotoKind
from cases.notifications import notifications_create_for_dispatch, notifications_create_for_overdue
from cases.photos import CheckedPhoto, PhotoError, case_photo_add, photo_check
from cases.selectors import case_chief_chain, department_for
from cases.transitions import CENTRE, TRANSITIONS, Transition
from cases.worktime import WorkCalendar, default_calendar
from config.errors import ApplicationError
from grids.models import Grid, Person
from grids.selectors import grid_at_point, responsible_at_point


class CaseActionError(ApplicationError):
    """An action that cannot be applied; `status_code` is what the API answers, `current_status`
    (in the API's error body) the case's status now, when known."""

    def __init__(self, message: str, *, current_status: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, current_status=current_status, **kwargs)
        self.current_status = current_status


class InvalidInput(CaseActionError):
    status_code = 400
    code = "invalid"


class NotPermitted(CaseActionError):
    status_code = 403
    code = "not_permitted"


class IllegalTransition(CaseActionError):
    status_code = 409
    code = "illegal_transition"


class StaleAction(CaseActionError):
    status_code = 409
    code = "stale"


def work_calendar() -> WorkCalendar:
    """The office calendar with the administrators' overrides, read fresh each time."""
    return default_calendar(overrides=dict(CalendarDay.objects.values_list("date", "is_workday")))


def _next_tracking_number(day: datetime.date) -> str:
    """Date + the day's sequence, e.g. 202611210007; safe under concurrent intake."""
    if not DailySequence.objects.filter(day=day).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                DailySequence.objects.create(day=day, last=1)
        except IntegrityError:  # another intake created the day's row first
            DailySequence.objects.filter(day=day).update(last=F("last") + 1)
    last = DailySequence.objects.get(day=day).last
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
    point: Point,
    address: str = "",
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    description: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    actor=None,
    request_id: str | None = None,
    now: datetime.datetime | None = None,
    photos: Sequence[IO[bytes]] = (),
) -> Case:
    """Take in a report: locate it, name who is responsible there, give it a tracking number.

    A report outside the jurisdiction is refused and nothing is stored. The same
    request id sent twice (a double click, a retried upload) gives the same case.
    `photos` (files) are stored as the report's "before" photos, in the same transaction;
    a photo that is refused refuses the report, with nothing stored.
    """
    if request_id:
        earlier = CaseEvent.objects.filter(request_id=request_id, action="report").select_related("case").first()
        if earlier:
            return earlier.case
    if source not in Source.values:
        raise InvalidInput(_("Unknown source %(source)r.") % {"source": source})
    if urgency not in Urgency.values:
        raise InvalidInput(_("Unknown urgency %(urgency)r.") % {"urgency": urgency})
    if point is None:
        raise InvalidInput(_("A report needs a location."))
    location = grid_at_point(point=point)
    if not location.inside:
        raise InvalidInput(_("The location is outside the city's grids; check the point on the map."))
    responsible = responsible_at_point(point=point, location=location)
    checked = _check_photos(photos)
    now = now or timezone.now()
    stored: list = []
    try:
        with transaction.atomic():
            case = Case.objects.create(
                tracking_number=_next_tracking_number(timezone.localdate(now)),
                source=source,
                location=location.point,
                address=address[:200],
                micro_grid=location.micro,
                community_grid=location.community,
                large_grid=location.large,
                district_grid=location.district,
                responsible=responsible.person if responsible else None,
                responsible_role=responsible.role if responsible else "",
                category=category,
                urgency=urgency,
                description=description,
                reporter_name=reporter_name[:50],
                reporter_phone=reporter_phone[:30],
                reported_at=now,
            )
            event = _event(case, actor=actor, action="report", from_status="", request_id=request_id, now=now)
            _store_photos(case, event, photos, checked, kind=PhotoKind.BEFORE, actor=actor, now=now, stored=stored)
    except IntegrityError:
        _forget(stored)
        if request_id and (earlier := CaseEvent.objects.filter(request_id=request_id, action="report").first()):
            return earlier.case  # the same request, sent twice at once: the other one won
        raise
    except BaseException:
        _forget(stored)
        raise
    return case


# Actions that may carry photos, and as what: the department's proof of the result.
PHOTO_ACTIONS = {"handle": PhotoKind.AFTER}


def _check_photos(photos: Sequence[IO[bytes]]) -> list[CheckedPhoto]:
    """Every photo checked before anything is written (and before any lock is taken): a refused
    one refuses the whole action."""
    checked = []
    for number, file in enumerate(photos, start=1):
        try:
            checked.append(photo_check(file))
        except PhotoError as exc:
            message = (
                exc.message if len(photos) == 1 else _("Photo %(n)s: %(reason)s") % {"n": number, "reason": exc.message}
            )
            raise InvalidInput(message) from None
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


@dataclass
class _Context:
    case: Case
    actor: Any
    roles: set[str]
    now: datetime.datetime
    note: str
    payload: dict
    params: dict


def _approver_for(case: Case):
    """The chief who approves a dispatch: micro, else community, else large-grid chief."""
    return next((chief for chief in case_chief_chain(case=case)[:3] if chief is not None), None)


def _in_scope(user, case: Case, roles: set[str]) -> bool:
    if roles & CENTRE or Role.INSPECTOR in roles:
        return True  # the command center and inspectors work city-wide
    if Role.GRID_CHIEF in roles:
        person = getattr(user, "person", None)
        if person is None:
            return False
        if case.approver_id == person.pk:
            return True
        grids = [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]
        return Grid.objects.filter(chief=person, pk__in=[g for g in grids if g]).exists()
    if Role.DEPARTMENT_HANDLER in roles:
        return case.department_id is not None and user.departments.filter(pk=case.department_id).exists()
    return False


def _deadline(case: Case, start: datetime.datetime) -> datetime.datetime | None:
    if case.category is None:
        return None
    amount, unit = case.category.time_limit(urgent=case.urgency == Urgency.URGENT)
    return work_calendar().add(start, amount, unit)


def _apply(ctx: _Context, transition: Transition) -> str:
    """Set the fields an action changes; return the new status."""
    case, now, params = ctx.case, ctx.now, ctx.params
    action = transition.action
    if action == "file":
        category = params.get("category") or case.category
        if category is None:
            raise InvalidInput(_("Choose a category before filing the case."))
        case.category, case.filed_at = category, now
        if params.get("urgency"):
            case.urgency = params["urgency"]
        return Status.FILED
    if action in ("verify", "reject", "cancel", "send_to_check"):
        return next(iter(transition.targets))
    if action == "dispatch":
        if case.category is None:
            raise InvalidInput(_("The case has no category; file it first."))
        department = params.get("department") or department_for(category=case.category, location=_location(case))
        if department is None:
            raise InvalidInput(_("No department handles this category here; choose one."))
        case.department = department
        ctx.payload["department"] = {"id": department.pk, "name": department.name}
        urgent_now = case.urgency == Urgency.URGENT and case.category.urgent_skips_approval
        approver = _approver_for(case) if case.category.needs_approval and not urgent_now else None
        if approver is not None:
            case.approver = approver
            ctx.payload["approver"] = {"id": approver.pk, "name": approver.name}
            return Status.PENDING_APPROVAL
        if urgent_now and case.category.needs_approval and (chief := _approver_for(case)) is not None:
            # Urgent: sent at once, and the chief who would have approved is told (their approvals page).
            ctx.payload["informed"] = {"id": chief.pk, "name": chief.name}
        return _dispatched(ctx)
    if action == "approve":
        return _dispatched(ctx)
    if action == "refuse":
        ctx.payload["department"] = {"id": case.department_id}
        case.approver, case.department = None, None
        return Status.FILED
    if action == "handle":
        case.handled_at = now
        return Status.HANDLED
    if action == "send_back":
        ctx.payload["department"] = {"id": case.department_id}
        case.department, case.approver = None, None
        case.send_back_count += 1
        return Status.RETURNED
    if action in ("request_extension", "request_suspension"):
        kind = _REQUEST_KINDS[action]
        if case_open_request(case=case, kind=kind) is not None:
            raise IllegalTransition(str(_OPEN_REQUEST_EXISTS[kind]), current_status=case.status)
        if action == "request_extension":
            ctx.payload.update(_extension_asked(case, params))
        return Status.DISPATCHED
    if action in ("approve_extension", "refuse_extension", "refuse_suspension"):
        kind = _REQUEST_KINDS[action]
        request = case_open_request(case=case, kind=kind)
        if request is None:
            raise IllegalTransition(str(_NO_OPEN_REQUEST[kind]), current_status=case.status)
        ctx.payload["request"] = request.pk
        if action == "approve_extension":
            deadline = _extended_deadline(case, request.payload)
            ctx.payload.update(request.payload)
            ctx.payload["from"] = case.handling_deadline.isoformat()
            ctx.payload["deadline"] = deadline.isoformat()
            case.handling_deadline = deadline
            case.extension_count += 1
        return Status.DISPATCHED
    if action == "suspend":
        # The shift leader's approval of a suspension; with or without the department's request.
        request = case_open_request(case=case, kind="suspension")
        ctx.payload["request"] = request.pk if request else None
        case.suspended_at = now
        return Status.SUSPENDED
    if action == "resume":
        if case.handling_deadline and case.suspended_at:
            case.handling_deadline = _shift(case, case.handling_deadline, case.suspended_at, now)
        ctx.payload["suspended_from"] = case.suspended_at.isoformat() if case.suspended_at else None
        case.suspended_at = None
        return Status.DISPATCHED
    if action == "check_fail":
        case.rework_count += 1
        case.handled_at = None
        case.handling_deadline = _deadline(case, now)  # the rework gets the full limit again
        case.overdue = False
        return Status.DISPATCHED
    if action == "check_pass":
        return Status.CHECKED
    if action == "close":
        if case.status == Status.HANDLED and case.category is not None and case.category.needs_onsite_check:
            raise IllegalTransition(
                _("This category needs an on-site check before the case is closed: send an inspector."),
                current_status=case.status,
            )
        case.closed_at = now
        return Status.CLOSED
    if action == "merge":
        target = ctx.params["into"]  # locked by case_transition
        if target.pk == case.pk:
            raise InvalidInput(_("A case cannot be merged into itself."))
        if target.status in TERMINAL:
            raise IllegalTransition(
                _("Case %(number)s is “%(status)s”: merge into an open case.")
                % {"number": target.tracking_number, "status": target.get_status_display()},
                current_status=case.status,
            )
        case.duplicate_of = target
        ctx.payload["into"] = {"id": target.pk, "tracking_number": target.tracking_number}
        return Status.MERGED
    raise IllegalTransition(_("Unknown action %(action)r.") % {"action": action})  # pragma: no cover


def _dispatched(ctx: _Context) -> str:
    case = ctx.case
    case.dispatched_at = ctx.now
    case.handling_deadline = _deadline(case, ctx.now)
    case.overdue = False  # a new round (e.g. another department after a send-back) starts on time
    ctx.payload["deadline"] = case.handling_deadline.isoformat() if case.handling_deadline else None
    return Status.DISPATCHED


def _shift(case: Case, deadline, suspended_from, suspended_to):
    """Move a deadline by the time a case spent suspended (挂账 time does not count)."""
    amount, unit = case.category.time_limit(urgent=case.urgency == Urgency.URGENT)
    calendar = work_calendar()
    if unit == LimitUnit.HOURS:
        return deadline + (suspended_to - suspended_from)
    hours = calendar.working_hours_between(suspended_from, suspended_to)
    return calendar.add(deadline, hours, LimitUnit.WORKING_HOURS)


# Requests on a dispatched case (延期 extension, 挂账 suspension): the action that asks, the ones that decide.
_REQUESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "extension": ("request_extension", ("approve_extension", "refuse_extension")),
    "suspension": ("request_suspension", ("suspend", "refuse_suspension")),
}
_REQUEST_KINDS = {action: kind for kind, (ask, decide) in _REQUESTS.items() for action in (ask, *decide)}
_OPEN_REQUEST_EXISTS = {
    "extension": gettext_lazy("An extension request is already waiting for a decision."),
    "suspension": gettext_lazy("A suspension request is already waiting for a decision."),
}
_NO_OPEN_REQUEST = {
    "extension": gettext_lazy("There is no extension request waiting for a decision."),
    "suspension": gettext_lazy("There is no suspension request waiting for a decision."),
}


def case_open_request(*, case: Case, kind: str) -> CaseEvent | None:
    """The request of `kind` ("extension" or "suspension") waiting for a decision on `case`, or None.

    Open: the latest such request, not yet approved or refused, and the case has not
    left handling since (reported handled, sent back): then the request lapses, so a
    rework starts without an old request in the way. Suspension and resumption do not
    close an extension request.
    """
    ask, decisions = _REQUESTS[kind]
    request = CaseEvent.objects.filter(case_id=case.pk, action=ask).order_by("-pk").first()
    if request is None:
        return None
    later = CaseEvent.objects.filter(case_id=case.pk, pk__gt=request.pk)
    closed = later.filter(Q(action__in=decisions) | ~Q(to_status__in=[Status.DISPATCHED, Status.SUSPENDED]))
    return None if closed.exists() else request


def _extension_asked(case: Case, params: dict) -> dict:
    """What a department asks for: more time (amount + unit of LimitUnit) or a new deadline."""
    amount, unit, deadline = params.get("amount"), params.get("unit"), params.get("deadline")
    if case.handling_deadline is None:
        raise InvalidInput(_("This case has no deadline to extend."))
    if deadline is not None:
        if amount is not None or unit:
            raise InvalidInput(_("Ask either for more time or for a new deadline, not both."))
        if not isinstance(deadline, datetime.datetime) or timezone.is_naive(deadline):
            raise InvalidInput(_("The new deadline must be a date and time with a time zone."))
        if deadline <= case.handling_deadline:
            raise InvalidInput(_("The new deadline must be later than the current one."))
        return {"deadline": deadline.isoformat()}
    if amount is None or not unit:
        raise InvalidInput(_("Say how much more time is needed (an amount and a unit), or give a new deadline."))
    if unit not in LimitUnit.values:
        raise InvalidInput(_("Unknown time unit %(unit)r.") % {"unit": unit})
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidInput(_("The extra time must be a number.")) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(_("The extra time must be more than zero."))
    return {"amount": str(amount), "unit": unit}


def _extended_deadline(case: Case, asked: dict) -> datetime.datetime:
    """The deadline after approving `asked`: the extra time counts from the current deadline."""
    if "deadline" in asked:
        deadline = datetime.datetime.fromisoformat(asked["deadline"])
        if deadline <= case.handling_deadline:  # the deadline moved meanwhile (a suspension): ask again
            raise InvalidInput(_("The deadline asked for is no longer later than the current one; refuse the request."))
        return deadline
    return work_calendar().add(case.handling_deadline, Decimal(asked["amount"]), asked["unit"])


def _location(case: Case):
    from grids.selectors import GridLocation

    micro = (
        Grid.objects.select_related("parent__parent__parent").get(pk=case.micro_grid_id) if case.micro_grid_id else None
    )
    return GridLocation(point=case.location, micro=micro)


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

    params: category (file), urgency (file), department (dispatch: overrides routing);
    into (merge: the case this one duplicates, as a Case, id or tracking number);
    request_extension: amount (a number) and unit (a LimitUnit value) of extra time, or
    deadline (an aware datetime). photos: files sent with handle (the "after" photos), stored
    in the same transaction; a refused photo refuses the action. Approving an extension moves the deadline by the time asked,
    counted from the current deadline; at most one request of each kind is open at a time.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise InvalidInput(_("Unknown action %(action)r.") % {"action": action})
    if request_id and CaseEvent.objects.filter(request_id=request_id, case_id=case_id, action=action).exists():
        return Case.objects.get(pk=case_id)  # the same request again: already applied
    roles = set(user_roles(actor)) & transition.roles
    if not roles:
        raise NotPermitted(_("Your role may not do this: %(action)s.") % {"action": transition.label})
    note = (note or "").strip()
    if transition.needs_note and not note:
        raise InvalidInput(_("Give a reason or note for: %(action)s.") % {"action": transition.label})
    photos = list(photos or ())
    if photos and action not in PHOTO_ACTIONS:
        raise InvalidInput(_("Photos cannot be sent with: %(action)s.") % {"action": transition.label})
    checked = _check_photos(photos)
    now = now or timezone.now()
    if action == "merge":
        params["into"] = _merge_target_id(params.get("into"))
    stored: list = []
    try:
        with transaction.atomic():
            if action == "merge":
                # Both rows, locked in id order: two clerks merging A into B and B into A at once
                # must not deadlock; one of them then finds its target merged and is refused.
                locked = Case.objects.select_for_update(of=("self",)).filter(pk__in=[case_id, params["into"]])
                found = {c.pk: c for c in locked.order_by("pk")}
                if params["into"] not in found:
                    raise InvalidInput(_("There is no case to merge into with that number."))
                params["into"] = found[params["into"]]
            case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
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
            if not _in_scope(actor, case, roles):
                raise NotPermitted(_("This case is outside your grid or department."), current_status=current)
            ctx = _Context(case, actor, roles, now, note, {}, params)
            case.status = _apply(ctx, transition)
            fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.attname != "id"}
            fields["updated_at"] = now
            # Compare-and-set: on SQLite select_for_update locks nothing, so two
            # concurrent actions could both have read `current`; only one may win.
            if not Case.objects.filter(pk=case.pk, status=current).update(**fields):
                raise StaleAction(
                    _("Someone else acted on this case at the same moment. Reload it."), current_status=None
                )
            event = _event(case, actor=actor, action=action, from_status=current, note=note, payload=ctx.payload,
                           request_id=request_id, now=now)  # fmt: skip
            if photos:
                _store_photos(
                    case, event, photos, checked, kind=PHOTO_ACTIONS[action], actor=actor, now=now, stored=stored
                )
            if action == "merge":
                _merged_in(case, event, actor=actor, now=now)
            if case.status == Status.DISPATCHED and current != Status.DISPATCHED:
                # The department is owed a message: a row now, in this transaction; sent after commit.
                # (Not for requests and decisions on a case it already has: extension, suspension.)
                notifications_create_for_dispatch(case=case, event=event)
    except IntegrityError:
        _forget(stored)
        if request_id and CaseEvent.objects.filter(request_id=request_id, case_id=case_id).exists():
            return Case.objects.get(pk=case_id)
        raise
    except BaseException:
        _forget(stored)
        raise
    return case


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
