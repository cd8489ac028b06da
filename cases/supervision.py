"""Supervision orders (督办) and reminders (催办): who may take each step, and the reads of them.

The steps are actions of the transition table (cases.transitions: `supervise`, `remind`,
`answer_supervision`, `sign_off`), applied by cases.services.case_transition like every other
action; their row names the step (`order=`), and `order_refusal` here is the one rule of who
may take it on which order, called by the service under the row lock and by the view-model to
offer only what would be allowed.

| step | who | the case's current order |
|---|---|---|
| issue 督办 | shift leader (the centre), supervisor (a leader) | none: one current order per case |
| remind 催办 | shift leader, supervisor | waiting for an answer, or answered (then it waits for a new answer) |
| answer 回复 | the addressee: a member of the department named, or the person named | waiting for an answer |
| sign off 销号 | the issuer; for an order of the centre, any shift leader (the next shift) | answered, or the case has ended |
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, user_roles
from cases.models import TERMINAL, Case, OrderStatus, SupervisionOrder
from cases.models.supervision import CURRENT
from cases.scope import cases_visible_to, may_act

# The roles that issue, remind and sign off; those an addressee person may hold.
ISSUERS = frozenset({Role.SHIFT_LEADER, Role.SUPERVISOR})
ANSWERERS = frozenset({Role.DEPARTMENT_HANDLER, Role.GRID_CHIEF})
# The steps, as the transition table's rows name them.
ISSUES, FOLLOWS, ANSWERS, SIGNS_OFF = "issues", "follows", "answers", "signs_off"


@dataclass(frozen=True)
class Refusal:
    message: str
    who: bool = False  # about who acts (403), not about where the order stands (409)


def current_order(*, case_id: int, lock: bool = False) -> SupervisionOrder | None:
    """The case's order not yet signed off (at most one), with its people; locked with `lock`."""
    orders = SupervisionOrder.objects.filter(case_id=case_id, status__in=CURRENT)
    if lock:
        return orders.select_for_update(of=("self",)).first()
    return orders.select_related("issued_by__person", "addressee_department", "addressee_user__person").first()


def is_addressee(*, order: SupervisionOrder, user) -> bool:
    if order.addressee_user_id is not None:
        return order.addressee_user_id == user.pk
    return (
        Role.DEPARTMENT_HANDLER in user_roles(user)
        and user.departments.filter(pk=order.addressee_department_id).exists()
    )


def may_sign_off(*, order: SupervisionOrder, user) -> bool:
    if order.issued_by_id == user.pk:
        return True
    return order.issued_as == Role.SHIFT_LEADER and Role.SHIFT_LEADER in user_roles(user)


def order_refusal(*, step: str, order: SupervisionOrder | None, case: Case, user) -> Refusal | None:
    """Why `user` may not take `step` on `case`, whose current order is `order` (None: they may)."""
    if step == ISSUES:
        if order is not None:
            return Refusal(_("This case is already under supervision: send a reminder, or sign the order off first."))
        return None
    if order is None:
        return Refusal(_("There is no supervision order on this case."))
    if step == FOLLOWS:
        return None
    if step == ANSWERS:
        if not is_addressee(order=order, user=user):
            return Refusal(
                _("Only the addressee answers this supervision order: %(name)s.") % {"name": order.addressee_name},
                who=True,
            )
        if order.status != OrderStatus.OPEN:
            return Refusal(_("The supervision order has been answered: it waits to be signed off or reminded."))
        return None
    if step == SIGNS_OFF:
        if not may_sign_off(order=order, user=user):
            return Refusal(_("Only who issued the supervision order signs it off."), who=True)
        if order.status != OrderStatus.ANSWERED and case.status not in TERMINAL:
            return Refusal(_("The supervision order has not been answered yet: remind the addressee."))
        return None
    raise ValueError(step)


def may_answer_case(*, user, case: Case) -> bool:
    """Whether `user` could answer an order on `case`: an answering role, and the case in their scope."""
    roles = set(user_roles(user)) & ANSWERERS
    return bool(roles) and may_act(user=user, case=case, roles=roles)


def answerer_choices(*, case: Case) -> list[tuple[int, str]]:
    """The people an order on `case` may name to answer: the chiefs of its grids and the members of
    its department who have an account, each able to act on the case (the service checks again)."""
    User = get_user_model()
    grids = [g for g in (case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id) if g]
    who = Q(person__chief_of_grids__pk__in=grids)
    if case.department_id:
        who |= Q(departments__pk=case.department_id)
    users = (
        User.objects.filter(who, is_active=True, groups__name__in=[r.value for r in ANSWERERS])
        .select_related("person")
        .distinct()
        .order_by("username")
    )
    choices = []
    for user in users:
        person = getattr(user, "person", None)
        name = person.name if person is not None else (user.get_full_name() or user.get_username())
        choices.append((user.pk, f"{name} ({user.get_username()})"))
    return choices


# ---- reads: what is due, what waits for whom, and the figures ---------------------------------


def orders_current(*, user) -> QuerySet[SupervisionOrder]:
    """The current orders on cases `user` may see, the earliest deadline first."""
    return (
        SupervisionOrder.objects.filter(status__in=CURRENT, case__in=cases_visible_to(user=user))
        .select_related("case", "issued_by__person", "addressee_department", "addressee_user__person")
        .order_by("deadline", "id")
    )


def orders_due(*, user, now: datetime.datetime | None = None, within: datetime.timedelta | None = None):
    """What an issuer must look at (the shift leader's inbox): answers waiting for the sign-off, and
    orders past (or within `within` of) their deadline still waiting for an answer."""
    now = now or timezone.now()
    horizon = now + (within or datetime.timedelta(0))
    return orders_current(user=user).filter(
        Q(status=OrderStatus.ANSWERED) | Q(status=OrderStatus.OPEN, deadline__lte=horizon)
    )


def orders_to_answer(*, user) -> QuerySet[SupervisionOrder]:
    """The orders waiting for `user`'s answer: named personally, or to a department of theirs."""
    if not set(user_roles(user)) & ANSWERERS:
        return SupervisionOrder.objects.none()
    mine = Q(addressee_user=user)
    if Role.DEPARTMENT_HANDLER in user_roles(user):
        mine |= Q(addressee_department__in=user.departments.values("pk"))
    return (
        SupervisionOrder.objects.filter(mine, status=OrderStatus.OPEN)
        .select_related("case", "issued_by__person", "addressee_department", "addressee_user__person")
        .order_by("deadline", "id")
    )


@dataclass(frozen=True)
class SupervisionFigures:
    """The orders of a period (by the day they were issued, Asia/Shanghai)."""

    issued: int
    answered: int
    answered_in_time: int
    signed_off: int
    reminders: int

    @property
    def in_time_rate(self) -> float | None:
        """Answered in time / issued (None when none was issued)."""
        return self.answered_in_time / self.issued if self.issued else None


def supervision_figures(
    *, start: datetime.date, end: datetime.date, cases: QuerySet[Case] | None = None
) -> SupervisionFigures:
    """How many orders were issued from `start` to `end` (local dates, both included), of those how
    many were answered, answered by their deadline, signed off, and the reminders they took; on
    `cases` only (a slice: a grid's, a department's) if given. One query (the assessments use it)."""
    tz = timezone.get_default_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    orders = SupervisionOrder.objects.filter(issued_at__gte=since, issued_at__lt=until)
    if cases is not None:
        orders = orders.filter(case__in=cases.values("pk"))
    row = orders.aggregate(
        issued=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        answered_in_time=Count("pk", filter=Q(answered_at__lte=F("deadline"))),
        signed_off=Count("pk", filter=Q(status=OrderStatus.SIGNED_OFF)),
        reminders=Sum("reminder_count"),
    )
    return SupervisionFigures(
        issued=row["issued"],
        answered=row["answered"],
        answered_in_time=row["answered_in_time"],
        signed_off=row["signed_off"],
        reminders=row["reminders"] or 0,
    )


def addressee_emails(*, order: SupervisionOrder) -> list[str]:
    """Where a person addressee's messages go: their account's e-mail, if any."""
    email = order.addressee_user.email if order.addressee_user_id else ""
    return [email] if email else []
