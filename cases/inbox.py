"""The inbox (值班长的待办): what waits for a person of the command centre, section by section.

The shift leader's: extension (延期) and suspension (挂账) requests waiting for a decision,
approvals escalated past their limit and still waiting, overdue cases, notifications that finally
failed, and supervision orders (督办) due (answered and waiting for the sign-off, or past their
deadline unanswered). A leader (supervisor) sees the overdue cases and the orders due; a
department handler or a grid chief the orders waiting for their answer. Each section is counted
(up to a cap, like the queue's tabs) and lists its first items; the page (cases.views.case_inbox)
gives each item its action from the transition table. Nothing here writes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, user_roles
from cases.models import STATUS_INFO, Case, CaseEvent, DeliveryStatus, Notification, Status
from cases.scope import cases_visible_to
from cases.selectors import Tally, case_tally
from cases.supervision import orders_due, orders_to_answer
from cases.transitions import REQUESTS

SHOWN = 20  # items listed per section; the count says how many there are
# A current order is "due" in the inbox within this much of its deadline.
DUE_WITHIN = datetime.timedelta(hours=2)
INBOX_ROLES = frozenset({Role.SHIFT_LEADER, Role.SUPERVISOR, Role.DEPARTMENT_HANDLER, Role.GRID_CHIEF})


@dataclass
class Section:
    key: str  # extension, suspension, escalated, overdue, failed, orders_due, orders_to_answer
    title: str
    count: Tally
    items: list = field(default_factory=list)  # cases, notifications or supervision orders
    more_url: str = ""  # where the whole list is, if a page has it


def open_requests_of(*, kind: str, cases: QuerySet[Case]) -> QuerySet[CaseEvent]:
    """The requests of `kind` (extension, suspension) still waiting for a decision on `cases`, oldest
    first: asked on a dispatched case, with no decision since and the case not out of handling since
    (cases.selectors.open_request's rule, for many cases in one statement)."""
    request = REQUESTS[kind]
    handling = [status for status, info in STATUS_INFO.items() if info.clock_runs]
    closed_since = CaseEvent.objects.filter(case_id=OuterRef("case_id"), pk__gt=OuterRef("pk")).filter(
        Q(action__in=request.decisions) | ~Q(to_status__in=handling)
    )
    return (
        CaseEvent.objects.filter(action=request.ask, case__in=cases.filter(status=Status.DISPATCHED))
        .filter(~Exists(closed_since))
        .select_related("case__category", "case__department", "actor__person")
        .order_by("at", "id")
    )


def escalated_approvals(*, cases: QuerySet[Case]) -> QuerySet[Case]:
    """Dispatches still waiting for a grid chief after their approval passed one level up (or more)."""
    escalated = CaseEvent.objects.filter(case_id=OuterRef("pk"), action="approval_escalated")
    return (
        cases.filter(status=Status.PENDING_APPROVAL)
        .filter(Exists(escalated))
        .select_related("category", "department", "approver")
        .order_by("updated_at", "id")
    )


def overdue_cases(*, cases: QuerySet[Case]) -> QuerySet[Case]:
    """Dispatched cases past their handling deadline, the longest overdue first."""
    return (
        cases.filter(status=Status.DISPATCHED, overdue=True)
        .select_related("category", "department")
        .order_by("handling_deadline", "id")
    )


def failed_notifications_of(*, cases: QuerySet[Case] | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(status=DeliveryStatus.FAILED)
    if cases is not None:
        notifications = notifications.filter(case__in=cases)
    return notifications.select_related("case", "department").order_by("-created_at", "-id")


def _section(key: str, title, queryset, *, more_url: str = "") -> Section:
    items = list(queryset[:SHOWN])
    count = Tally(len(items)) if len(items) < SHOWN else case_tally(cases=queryset)
    return Section(key, str(title), count, items, more_url)


def inbox_sections(*, user, now: datetime.datetime | None = None) -> list[Section]:
    """The sections of `user`'s inbox, by their roles (none: nothing waits for them here)."""
    from django.urls import reverse

    now = now or timezone.now()
    roles = set(user_roles(user))
    sections: list[Section] = []
    if not roles & INBOX_ROLES:
        return sections
    cases = cases_visible_to(user=user)
    leader = Role.SHIFT_LEADER in roles
    if leader:
        sections.append(_section("extension", _("Extension requests"), open_requests_of(kind="extension", cases=cases)))
        sections.append(
            _section("suspension", _("Suspension requests"), open_requests_of(kind="suspension", cases=cases))
        )
        sections.append(_section("escalated", _("Approvals escalated"), escalated_approvals(cases=cases)))
    if roles & {Role.SHIFT_LEADER, Role.SUPERVISOR}:
        sections.append(
            _section("overdue", _("Overdue cases"), overdue_cases(cases=cases),
                     more_url=reverse("cases:queue") + "?status=dispatched&overdue=yes")
        )  # fmt: skip
    if leader:
        sections.append(
            _section("failed", _("Failed notifications"), failed_notifications_of(),
                     more_url=reverse("cases:notifications_failed"))
        )  # fmt: skip
    if roles & {Role.SHIFT_LEADER, Role.SUPERVISOR}:
        due = orders_due(user=user, now=now, within=DUE_WITHIN)
        sections.append(_section("orders_due", _("Supervision orders due"), due))
    if roles & {Role.DEPARTMENT_HANDLER, Role.GRID_CHIEF}:
        sections.append(_section("orders_to_answer", _("Supervision orders to answer"), orders_to_answer(user=user)))
    return sections


def inbox_counts(*, user, now: datetime.datetime | None = None) -> list[Section]:
    """The sections with their counts (for the home page); the same as the inbox shows."""
    return inbox_sections(user=user, now=now)
