"""What each action does to a case: the fields it sets and the status it leads to.

One function per action, named in its row of cases.transitions.TRANSITIONS. Each is called by
cases.services.case_transition with the case locked and every rule of the row already checked
(role, scope, source status, note, inputs, photos, the request rules); it changes the case in
memory, adds to the event's payload, and returns the new status, which the service checks is
one of the row's targets before writing anything. An effect may still refuse (InvalidInput,
IllegalTransition) for a rule that depends on the inputs' values.

`available` functions say, for a case, why an action is not possible now (or None): the service
refuses with that message, and the pages and the API do not offer the action.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.clocks import case_time_limit
from cases.errors import IllegalTransition, InvalidInput
from cases.models import TERMINAL, Case, CaseEvent, LimitUnit, Status, Urgency
from cases.selectors import case_approver, case_department, work_calendar

if TYPE_CHECKING:
    from cases.transitions import Transition


@dataclass
class Context:
    """One action being applied: the locked case, who acts, when, what they sent."""

    case: Case
    transition: Transition
    actor: Any
    roles: set[str]
    now: datetime.datetime
    note: str
    params: dict
    request: CaseEvent | None = None  # the open request this action decides, if any
    payload: dict = field(default_factory=dict)  # what the event records besides the note


def missing(transition: Transition, name: str) -> InvalidInput:
    """The refusal of an action without its input `name`, in the words of the action's row."""
    spec = next(i for i in transition.inputs if i.name == name)
    message = str(spec.message)
    return InvalidInput(message, fields={name: [message]})


def _target(ctx: Context) -> str:
    (target,) = ctx.transition.targets
    return target


# The actions that change nothing but the status (their row has one target).
verify = reject = cancel = send_to_check = check_pass = request_suspension = refuse_request = _target


def file(ctx: Context) -> str:
    case, params = ctx.case, ctx.params
    category = params.get("category") or case.category
    if category is None:
        raise missing(ctx.transition, "category")
    case.category, case.filed_at = category, ctx.now
    if params.get("urgency"):
        case.urgency = params["urgency"]
    return Status.FILED


def dispatch(ctx: Context) -> str:
    case = ctx.case
    if case.category is None:
        raise InvalidInput(_("The case has no category; file it first."))
    department = ctx.params.get("department") or case_department(case=case)
    if department is None:
        message = _("No department handles this category here; choose one.")
        raise InvalidInput(message, fields={"department": [message]})
    case.department = department
    ctx.payload["department"] = {"id": department.pk, "name": department.name}
    urgent_now = case.urgency == Urgency.URGENT and case.category.urgent_skips_approval
    approver = case_approver(case=case) if case.category.needs_approval else None
    if approver is not None and not urgent_now:
        case.approver = approver
        ctx.payload["approver"] = {"id": approver.pk, "name": approver.name}
        return Status.PENDING_APPROVAL
    if approver is not None:
        # Urgent: sent at once, and the chief who would have approved is told (their approvals page).
        ctx.payload["informed"] = {"id": approver.pk, "name": approver.name}
    return _dispatched(ctx)


def approve(ctx: Context) -> str:
    return _dispatched(ctx)


def _dispatched(ctx: Context) -> str:
    case = ctx.case
    case.dispatched_at = ctx.now
    case.handling_deadline = _deadline(case, ctx.now)
    case.overdue = False  # a new round (e.g. another department after a send-back) starts on time
    ctx.payload["deadline"] = case.handling_deadline.isoformat() if case.handling_deadline else None
    return Status.DISPATCHED


def refuse(ctx: Context) -> str:
    case = ctx.case
    ctx.payload["department"] = {"id": case.department_id}
    case.approver, case.department = None, None
    return Status.FILED


def handle(ctx: Context) -> str:
    ctx.case.handled_at = ctx.now
    return Status.HANDLED


def send_back(ctx: Context) -> str:
    case = ctx.case
    ctx.payload["department"] = {"id": case.department_id}
    case.department, case.approver = None, None
    case.send_back_count += 1
    return Status.RETURNED


def request_extension(ctx: Context) -> str:
    ctx.payload.update(_extension_asked(ctx.case, ctx.params))
    return Status.DISPATCHED


def approve_extension(ctx: Context) -> str:
    case, asked = ctx.case, ctx.request.payload
    deadline = _extended_deadline(case, asked)
    ctx.payload.update(asked)
    ctx.payload["from"] = case.handling_deadline.isoformat()
    ctx.payload["deadline"] = deadline.isoformat()
    case.handling_deadline = deadline
    case.extension_count += 1
    return Status.DISPATCHED


def suspend(ctx: Context) -> str:
    ctx.case.suspended_at = ctx.now
    return Status.SUSPENDED


def resume(ctx: Context) -> str:
    case = ctx.case
    if case.handling_deadline and case.suspended_at:
        case.handling_deadline = _shifted(case, case.handling_deadline, case.suspended_at, ctx.now)
    ctx.payload["suspended_from"] = case.suspended_at.isoformat() if case.suspended_at else None
    case.suspended_at = None
    return Status.DISPATCHED


def check_fail(ctx: Context) -> str:
    case = ctx.case
    case.rework_count += 1
    case.handled_at = None
    case.handling_deadline = _deadline(case, ctx.now)  # the rework gets the full limit again
    case.overdue = False
    return Status.DISPATCHED


def close(ctx: Context) -> str:
    ctx.case.closed_at = ctx.now
    return Status.CLOSED


def merge(ctx: Context) -> str:
    case, target = ctx.case, ctx.params["into"]  # a Case, locked by the service
    if target.pk == case.pk:
        message = _("A case cannot be merged into itself.")
        raise InvalidInput(message, fields={"into": [message]})
    if target.status in TERMINAL:
        raise IllegalTransition(
            _("Case %(number)s is “%(status)s”: merge into an open case.")
            % {"number": target.tracking_number, "status": target.get_status_display()},
            current_status=case.status,
        )
    case.duplicate_of = target
    ctx.payload["into"] = {"id": target.pk, "tracking_number": target.tracking_number}
    return Status.MERGED


# ---- when an action is not possible for a case ------------------------------------


def has_deadline(case: Case) -> str | None:
    return None if case.handling_deadline is not None else _("This case has no deadline to extend.")


def close_available(case: Case) -> str | None:
    if case.status == Status.HANDLED and case.category is not None and case.category.needs_onsite_check:
        return _("This category needs an on-site check before the case is closed: send an inspector.")
    return None


# ---- deadlines ------------------------------------------------------------------------


def _deadline(case: Case, start: datetime.datetime) -> datetime.datetime | None:
    if case.category is None:
        return None
    amount, unit = case_time_limit(case)
    return work_calendar().add(start, amount, unit)


def _shifted(case: Case, deadline, suspended_from, suspended_to) -> datetime.datetime:
    """A deadline moved by the time a case spent suspended (挂账 time does not count)."""
    _amount, unit = case_time_limit(case)
    if unit == LimitUnit.HOURS:
        return deadline + (suspended_to - suspended_from)
    calendar = work_calendar()
    hours = calendar.working_hours_between(suspended_from, suspended_to)
    return calendar.add(deadline, hours, LimitUnit.WORKING_HOURS)


def _extension_asked(case: Case, params: dict) -> dict:
    """What a department asks for: more time (amount + unit of LimitUnit) or a new deadline."""
    amount, unit, deadline = params.get("amount"), params.get("unit"), params.get("deadline")
    if deadline is not None:
        if amount is not None or unit:
            raise InvalidInput(_("Ask either for more time or for a new deadline, not both."))
        if not isinstance(deadline, datetime.datetime) or timezone.is_naive(deadline):
            raise InvalidInput(_("The new deadline must be a date and time with a time zone."))
        if deadline <= case.handling_deadline:
            message = _("The new deadline must be later than the current one.")
            raise InvalidInput(message, fields={"deadline": [message]})
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
        message = _("The extra time must be more than zero.")
        raise InvalidInput(message, fields={"amount": [message]})
    return {"amount": str(amount), "unit": unit}


def _extended_deadline(case: Case, asked: dict) -> datetime.datetime:
    """The deadline after approving `asked`: the extra time counts from the current deadline."""
    if "deadline" in asked:
        deadline = datetime.datetime.fromisoformat(asked["deadline"])
        if deadline <= case.handling_deadline:  # the deadline moved meanwhile (a suspension): ask again
            raise InvalidInput(_("The deadline asked for is no longer later than the current one; refuse the request."))
        return deadline
    return work_calendar().add(case.handling_deadline, Decimal(asked["amount"]), asked["unit"])
