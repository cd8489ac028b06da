"""The clocks' sweeps (DESIGN.md §3.3–3.4): time-limit warnings and overdue cases, late approvals.

Both run every minute (CELERY_BEAT_SCHEDULE → cases.tasks.sla_sweep and
approval_escalation_sweep). Each reads a snapshot, decides here, and writes through
cases.services, which re-checks the decision under the case's row lock. So a sweep run
twice, or two sweeps at once, write nothing more; no status changes.

Handling clock (处置时限), for dispatched cases with a deadline, measured as the case page
shows it (cases.selectors.case_clock): from the start of the round (dispatch, approval,
or rework, which restarts the clock) to now, suspended (挂账) time excluded, against the
limit up to the current deadline (so an approved extension gives more room). Suspended
cases are paused and not swept. Per round, once each:

- yellow (80 % used or more): event ``sla_warning`` (payload threshold 0.8);
- red (more than 100 %): ``Case.overdue`` set and event ``sla_overdue`` (threshold 1.0),
  escalated: the payload names the chief one level above the micro grid (the community
  chief, or the next one up) and the head of the department. A case found red without a
  warning gets only the overdue event; one that was overdue gets no warning afterwards.

Approval clock: a dispatch waiting for a grid chief's approval longer than
``APPROVAL_LIMIT_MINUTES`` (default 30, of working time; natural with APPROVAL_LIMIT_TIME=natural) passes one level up, micro chief →
community chief → large-grid chief (event ``approval_escalated``). Each level has its own
wait, counted from the dispatch or the last escalation; the top level stays.

The events record whom to tell; cases.services, writing the overdue event, also writes the
department's notifications of type ``case.overdue`` (webhook, and an e-mail that also goes to
the department head and that chief where their accounts have an address), delivered like
dispatch notifications (cases.notifications). Warnings and approval escalations show on the
case and in the chiefs' queues; they send no message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from cases.clocks import approval_due, approval_limit, approval_limit_minutes, case_clock
from cases.models import Case, CaseEvent, Status
from cases.selectors import case_chief_chain, work_calendar
from cases.services import SLA_THRESHOLDS, case_escalate_approval, case_record_sla_threshold
from cases.worktime import Light
from grids.models import Person

WARNING, OVERDUE = 0.8, 1.0
_THRESHOLD_OF_LIGHT = {"yellow": WARNING, "red": OVERDUE}
_BATCH = 200


@dataclass
class HandlingSweep:
    lights: dict[int, Light] = field(default_factory=dict)  # case id → light, for every case measured
    warned: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)


def sla_sweep_handling(*, now: datetime.datetime | None = None) -> HandlingSweep:
    """Measure every dispatched case's handling clock; warn at 80 %, mark overdue above 100 %."""
    now = now or timezone.now()
    calendar = work_calendar()
    result = HandlingSweep()
    ids = list(
        Case.objects.filter(status=Status.DISPATCHED, handling_deadline__isnull=False, category__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for case in _in_batches(ids):
        events = list(case.events.all())
        clock = case_clock(case=case, events=events, calendar=calendar, now=now)
        if clock is None or clock.paused or clock.stopped_at is not None:
            continue
        result.lights[case.pk] = clock.light
        threshold = _THRESHOLD_OF_LIGHT.get(clock.light)
        if threshold is None:
            continue
        marked = {event.action for event in events if event.pk > clock.start_event_id}
        if any(SLA_THRESHOLDS[t] in marked for t in SLA_THRESHOLDS if t >= threshold):
            continue  # this threshold, or a higher one, is already marked in this round
        payload = {
            "fraction": round(clock.elapsed_fraction, 4) if clock.elapsed_fraction is not None else None,
            "started_at": clock.started_at.isoformat(),
            "deadline": clock.deadline.isoformat(),
            "department": _department(case),
        }
        if threshold == OVERDUE:
            payload["escalated_to"] = {"grid_chief": _person(_chief_above_micro(case)), "department_head": _head(case)}
        event = case_record_sla_threshold(
            case_id=case.pk,
            threshold=threshold,
            round_start_id=clock.start_event_id,
            deadline=case.handling_deadline,
            now=now,
            payload=payload,
        )
        if event is not None:
            (result.overdue if threshold == OVERDUE else result.warned).append(case.pk)
    return result


def sla_sweep_approvals(*, now: datetime.datetime | None = None) -> list[int]:
    """Pass each dispatch that waited too long for approval one level up; the ids of those moved."""
    now = now or timezone.now()
    # Working time never runs faster than the clock: waits shorter than the limit in natural time
    # are left in the database; the others are measured on the calendar (approval_due).
    limit = datetime.timedelta(minutes=approval_limit_minutes())
    calendar = work_calendar()
    waits = CaseEvent.objects.filter(
        case=OuterRef("pk"), action__in=["dispatch", "approval_escalated"], to_status=Status.PENDING_APPROVAL
    ).order_by("-pk")
    cases = (
        Case.objects.filter(status=Status.PENDING_APPROVAL)
        .annotate(wait_id=Subquery(waits.values("pk")[:1]), wait_at=Subquery(waits.values("at")[:1]))
        .filter(wait_at__lt=now - limit)
        .select_related("approver")
        .order_by("pk")
    )
    moved = []
    for case in cases:
        if approval_due(since=case.wait_at, calendar=calendar) >= now:
            continue  # within its limit of working time (e.g. proposed late in the day)
        to_approver = _approver_above(case)
        if to_approver is None:
            continue  # the top of the chain: it stays with the large-grid chief
        event = case_escalate_approval(
            case_id=case.pk,
            from_approver_id=case.approver_id,
            to_approver=to_approver,
            waiting_since_id=case.wait_id,
            now=now,
            payload={
                "waited_since": case.wait_at.isoformat(),
                "limit_minutes": approval_limit_minutes(),
                "limit_unit": approval_limit()[1],
            },
        )
        if event is not None:
            moved.append(case.pk)
    return moved


# ---- helpers ----------------------------------------------------------------------------


def _in_batches(ids: list[int]) -> Iterator[Case]:
    """The cases with their events, a batch at a time; no cursor stays open while the sweep writes."""
    cases = Case.objects.select_related("category", "department__head__person").prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id"))
    )
    for first in range(0, len(ids), _BATCH):
        yield from cases.filter(pk__in=ids[first : first + _BATCH]).order_by("pk")


def _chief_above_micro(case: Case) -> Person | None:
    """Whom an overdue case escalates to: the community chief, else the next chief up."""
    return next((chief for chief in case_chief_chain(case=case)[1:] if chief is not None), None)


def _approver_above(case: Case) -> Person | None:
    """The next chief up from the case's approver, among micro, community and large-grid chiefs.

    One person chiefing two levels is passed over, so the case reaches someone new. An
    approver who is no longer in the chain (the chief was replaced) counts as the micro level.
    """
    chain = case_chief_chain(case=case)[:3]
    level = max((i for i, chief in enumerate(chain) if chief is not None and chief.pk == case.approver_id), default=0)
    return next(
        (chief for chief in chain[level + 1 :] if chief is not None and chief.pk != case.approver_id),
        None,
    )


def _person(person: Person | None) -> dict | None:
    return {"id": person.pk, "name": person.name} if person is not None else None


def _department(case: Case) -> dict | None:
    department = case.department
    return {"id": department.pk, "name": department.name} if department is not None else None


def _head(case: Case) -> dict | None:
    head = case.department.head if case.department is not None else None
    if head is None:
        return None
    person = getattr(head, "person", None)
    return {"user_id": head.pk, "name": person.name if person is not None else (head.get_full_name() or head.username)}
