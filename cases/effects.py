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

from accounts.roles import Role, user_roles
from cases.clocks import case_time_limit
from cases.errors import IllegalTransition, InvalidInput
from cases.inspectors import inspector_suggested
from cases.models import (
    TERMINAL,
    Case,
    CaseEvent,
    LimitUnit,
    OrderStatus,
    Satisfaction,
    Status,
    SupervisionOrder,
    Urgency,
)
from cases.selectors import case_approver, case_department, work_calendar
from cases.supervision import may_answer_case
from grids.selectors import Centers, centers_known

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
    # The supervision order (督办) the action issues or takes a step on: the service locks the
    # current one, the effect changes it in memory (or makes it), the service saves it.
    order: SupervisionOrder | None = None


def missing(transition: Transition, name: str) -> InvalidInput:
    """The refusal of an action without its input `name`, in the words of the action's row."""
    spec = next(i for i in transition.inputs if i.name == name)
    message = str(spec.message)
    return InvalidInput(message, fields={name: [message]})


def _target(ctx: Context) -> str:
    (target,) = ctx.transition.targets
    return target


# The actions that change nothing but the status (their row has one target).
reject = cancel = check_pass = confirm_fix = request_suspension = refuse_request = _target


def verify(ctx: Context) -> str:
    _assign_inspector(ctx)
    return _target(ctx)


def send_to_check(ctx: Context) -> str:
    _assign_inspector(ctx)
    return _target(ctx)


def _assign_inspector(ctx: Context) -> None:
    """The inspector named, or the one suggested (cases.inspectors); none: the pool takes it."""
    inspector = ctx.params.get("inspector")
    if inspector is not None:
        if Role.INSPECTOR not in user_roles(inspector) or not inspector.is_active:
            message = _("%(name)s is not an inspector.") % {"name": inspector.get_username()}
            raise InvalidInput(message, fields={"inspector": [message]})
    else:
        inspector = inspector_suggested(case=ctx.case)
    ctx.case.inspector = inspector
    if inspector is not None:
        person = getattr(inspector, "person", None)
        name = person.name if person is not None else (inspector.get_full_name() or inspector.get_username())
        ctx.payload["inspector"] = {"id": inspector.pk, "name": name}


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


def evaluation_payload(*, satisfaction: str, solved: bool, contacted: bool, by: str) -> dict:
    """What an evaluation records (a citizen's rating or a staff callback): the three answers a
    12345 assessment asks (响应, 解决, 满意), and who gave them."""
    if satisfaction not in Satisfaction.values:
        message = _("Choose satisfied, basically satisfied or dissatisfied.")
        raise InvalidInput(message, fields={"satisfaction": [message]})
    return {
        "evaluation": {"by": by, "satisfaction": satisfaction, "solved": bool(solved), "contacted": bool(contacted)}
    }


def callback(ctx: Context) -> str:
    p = ctx.params
    ctx.payload.update(evaluation_payload(satisfaction=p["satisfaction"], solved=p["solved"],
                                          contacted=p["contacted"], by="callback"))  # fmt: skip
    return Status.CLOSED


def reopen(ctx: Context) -> str:
    """重办: back to dispatch (the centre may choose another department), a rework counted; the
    handling clock starts again at the next dispatch."""
    case = ctx.case
    ctx.payload["department"] = {"id": case.department_id}
    case.rework_count += 1
    case.department, case.approver = None, None
    case.handled_at = case.closed_at = case.handling_deadline = None
    case.overdue = False
    return Status.FILED


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


# ---- supervision orders (督办, 催办): beside the status, which they leave as it is ----------

ORDER_UNITS = (LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS)


def supervise(ctx: Context) -> str:
    case, params = ctx.case, ctx.params
    amount, unit = params.get("amount"), params.get("unit") or LimitUnit.WORKING_DAYS
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise missing(ctx.transition, "amount") from None
    if not amount.is_finite() or amount <= 0:
        message = _("The time to answer must be more than zero.")
        raise InvalidInput(message, fields={"amount": [message]})
    if unit not in ORDER_UNITS:
        message = _("A supervision order's time is counted in working hours or working days.")
        raise InvalidInput(message, fields={"unit": [message]})
    department, person = params.get("department"), params.get("person")
    if department is not None and person is not None:
        message = _("Name a department or a person to answer, not both.")
        raise InvalidInput(message, fields={"person": [message]})
    if person is not None:
        if not may_answer_case(user=person, case=case):
            message = _(
                "%(name)s cannot answer for this case: name a chief of its grids or a member of its department."
            ) % {"name": person.get_username()}
            raise InvalidInput(message, fields={"person": [message]})
    elif department is None:
        department = case.department
        if department is None:
            message = _("The case has no handling department yet: name the department or the person to answer.")
            raise InvalidInput(message, fields={"department": [message]})
    deadline = work_calendar().add(ctx.now, amount, unit)
    issued_as = Role.SHIFT_LEADER if Role.SHIFT_LEADER in ctx.roles else Role.SUPERVISOR
    ctx.order = SupervisionOrder(
        case=case,
        note=ctx.note,
        issued_by=ctx.actor,
        issued_as=issued_as,
        issued_at=ctx.now,
        limit_amount=amount,
        limit_unit=unit,
        deadline=deadline,
        addressee_department=department,
        addressee_user=person,
    )
    case.supervised = True
    addressee = (
        {"department": {"id": department.pk, "name": department.name}}
        if department is not None
        else {"user": {"id": person.pk, "name": ctx.order.addressee_name}}
    )
    ctx.payload.update(due=deadline.isoformat(), limit={"amount": str(amount), "unit": unit}, addressee=addressee)
    return case.status


def remind(ctx: Context) -> str:
    order = ctx.order
    order.reminder_count += 1
    order.last_reminded_at = ctx.now
    if order.status == OrderStatus.ANSWERED:
        order.status = OrderStatus.OPEN  # not satisfied: the addressee answers again
        ctx.payload["answer_again"] = True
    ctx.payload.update(reminder=order.reminder_count, due=order.deadline.isoformat())
    return ctx.case.status


def answer_supervision(ctx: Context) -> str:
    order = ctx.order
    order.answer = ctx.note
    if order.answered_at is None:
        order.answered_at = ctx.now
    order.status = OrderStatus.ANSWERED
    ctx.payload.update(due=order.deadline.isoformat(), in_time=ctx.now <= order.deadline)
    return ctx.case.status


def sign_off(ctx: Context) -> str:
    order = ctx.order
    order.status = OrderStatus.SIGNED_OFF
    order.signed_off_at, order.signed_off_by = ctx.now, ctx.actor
    ctx.case.supervised = False
    ctx.payload["answered"] = order.answered_at is not None
    return ctx.case.status


# ---- 镇街三级: who holds a case ----------------------------------------------------------


def _holder(case: Case, centers: Centers) -> int | None:
    """The center holding the case; a case of no center is the district's."""
    return case.center_id if case.center_id in centers.parent else centers.root_id


def _chain(case: Case) -> list[int | None]:
    return [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]


def _below(case: Case, centers: Centers) -> int | None:
    """The center just below the holder that covers the case's location, if any."""
    covering, holder = centers.covering(_chain(case)), _holder(case, centers)
    if holder not in covering:
        return None
    at = covering.index(holder)
    return covering[at - 1] if at > 0 else None


def _moved(ctx: Context, to: int) -> str:
    centers = centers_known()
    before = _holder(ctx.case, centers)
    ctx.payload["from"] = {"id": before, "name": centers.names.get(before, "")} if before else None
    ctx.payload["to"] = {"id": to, "name": centers.names.get(to, "")}
    ctx.case.center_id = to
    return ctx.case.status


def escalate(ctx: Context) -> str:
    return _moved(ctx, centers_known().parent[_holder(ctx.case, centers_known())])


def assign_down(ctx: Context) -> str:
    return _moved(ctx, _below(ctx.case, centers_known()))


def take_over(ctx: Context) -> str:
    centers = centers_known()
    holder = _holder(ctx.case, centers)
    mine = _own_centers(ctx.actor)
    # The actor's own center above the holder, nearest first; the district's for one of no center.
    to = next((pk for pk in centers.ancestors(holder) if pk in mine), None) or centers.root_id
    return _moved(ctx, to)


def escalate_available(case: Case) -> str | None:
    centers = centers_known()
    holder = _holder(case, centers)
    if holder is None or centers.parent.get(holder) is None:
        return _("The case is held by the district's center: there is no center above to escalate it to.")
    return None


def assign_down_available(case: Case) -> str | None:
    if _below(case, centers_known()) is None:
        return _("No town center below covers this case's location.")
    return None


def take_over_available(case: Case) -> str | None:
    centers = centers_known()
    holder = _holder(case, centers)
    if holder is None or centers.parent.get(holder) is None:
        return _("The case is already held by the district's center.")
    return None


def _own_centers(user) -> set[int]:
    """The centers whose staff `user` is (cached on the user object: a page asks per action)."""
    cached = getattr(user, "_own_centers_cache", None)
    if cached is None:
        cached = set(user.command_centers.values_list("pk", flat=True)) if getattr(user, "pk", None) else set()
        user._own_centers_cache = cached
    return cached


def escalate_actor(case: Case, user) -> str | None:
    if _holder(case, centers_known()) not in _own_centers(user):
        return _("Only the staff of the center holding the case escalate it.")
    return None


def take_over_actor(case: Case, user) -> str | None:
    centers = centers_known()
    holder, mine = _holder(case, centers), _own_centers(user)
    if holder in mine:
        return _("Your center already holds this case.")
    if mine and not mine & set(centers.ancestors(holder)):
        return _("Only a center above the one holding the case takes it over.")
    return None


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
