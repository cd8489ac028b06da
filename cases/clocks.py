"""The clocks of a case, read from its event log: the one place that says what the events mean
for time.

- The handling clock (处置时限, DESIGN.md §3.4): a round starts when the case enters
  "dispatched" (a dispatch, an approval, a rework after a failed check; a resumption continues
  the round), stops when it leaves the handling states (handled, sent back …); suspended
  (挂账) time counts neither in the time used nor in the limit.
- The command center's step clocks: filing + dispatch, verification, approval, on-site check.
- A list row's light, from the case's fields alone (no events).
- The first handling time (dispatch → handled, working hours) the assessment rollup counts.
- A case's handling limit (`case_time_limit`): its subcategory's, for its urgency, in the region
  class of its micro grid (一类/二类/三类) when the catalogue sets one there, else class-less.

Used by the case page and the API (cases.viewmodel), the queue lights (cases.views), the SLA
sweeps (cases.sla) and the assessment rollup (assessments.facts). Every function takes the
events in order (`at`, id), as model instances or any rows with the same attributes.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cases.models import STATUS_INFO, Case, LimitUnit, Status, Urgency
from cases.worktime import Light, WorkCalendar, traffic_light
from grids.models import Grid

Span = tuple[datetime.datetime, datetime.datetime]
DEFAULT_APPROVAL_LIMIT_MINUTES = 30

LIGHT_LABELS = {
    "green": _("On time"),
    "yellow": _("Due soon"),
    "red": _("Overdue"),
    "paused": _("Suspended: the clock stands"),
}


# ---- the handling limit: subcategory × urgency × region class -------------------------------


def time_limit(*, category: Any, urgent: bool, region_class_id: int | None) -> tuple[Decimal, str]:
    """(amount, unit) of the handling limit of a subcategory for an urgency in a region class.

    The class's own limit for that urgency if the catalogue sets one; else, for an urgent case
    whose subcategory has no urgent limit ("same as normal"), the class's normal limit; else the
    subcategory's class-less limit (Category.time_limit).
    """
    amount, unit, _by_class = _limit(category, urgent, region_class_id)
    return amount, unit


def _limit(category: Any, urgent: bool, region_class_id: int | None) -> tuple[Decimal, str, bool]:
    from cases.selectors import class_limit

    row = class_limit(category_id=category.pk, region_class_id=region_class_id) if region_class_id else None
    if row is not None:
        own = row.time_limit(urgent=urgent)
        if own is None and urgent and category.urgent_limit is None:
            own = row.time_limit(urgent=False)
        if own is not None:
            return own[0], own[1], True
    amount, unit = category.time_limit(urgent=urgent)
    return amount, unit, False


def case_region_class_id(case: Any) -> int | None:
    """The region class of the case's micro grid (None: outside any class, or no micro grid).
    Reads the grid loaded with the case when it is (lists and the case page load it), else one query."""
    if not getattr(case, "micro_grid_id", None):
        return None
    if Case._meta.get_field("micro_grid").is_cached(case):
        return case.micro_grid.region_class_id
    return Grid.objects.filter(pk=case.micro_grid_id).values_list("region_class_id", flat=True).first()


def case_time_limit(case: Any) -> tuple[Decimal, str]:
    """(amount, unit) of the case's handling limit: its category, urgency and region class."""
    return time_limit(
        category=case.category, urgent=case.urgency == Urgency.URGENT, region_class_id=case_region_class_id(case)
    )


@dataclass(frozen=True)
class CaseLimit:
    """A case's handling limit as its page shows it: how long, and whether its class set it."""

    amount: Decimal
    unit: str
    region_class_id: int | None  # the class of the case's micro grid (None: no class)
    by_class: bool  # the class's own limit applies (else the subcategory's class-less one)


def case_limit(case: Any) -> CaseLimit | None:
    """The handling limit of `case` with where it comes from, or None without a category."""
    if case.category is None:
        return None
    region_class_id = case_region_class_id(case)
    amount, unit, by_class = _limit(case.category, case.urgency == Urgency.URGENT, region_class_id)
    return CaseLimit(amount, unit, region_class_id, by_class)


# ---- what the events mean for the handling clock ------------------------------------------


def starts_round(event: Any) -> bool:
    """The event starts a handling round: the case enters "dispatched" other than by resuming
    (a dispatch, an approval, a rework). Requests and decisions on a dispatched case do not."""
    return event.to_status == Status.DISPATCHED and event.from_status not in (Status.DISPATCHED, Status.SUSPENDED)


def is_dispatch(event: Any) -> bool:
    """The event sends the case to a department (a dispatch or an approval), not a rework."""
    return starts_round(event) and event.from_status != Status.CHECKING


def round_start(events: Sequence[Any]) -> Any | None:
    """The event that started the current (or last) handling round, or None before any dispatch."""
    return next((event for event in reversed(events) if starts_round(event)), None)


def suspensions(events: Sequence[Any]) -> tuple[list[Span], datetime.datetime | None]:
    """The spans spent suspended (挂账), and since when the case is suspended now (or None)."""
    spans: list[Span] = []
    since = None
    for event in events:
        if event.to_status == Status.SUSPENDED and event.from_status != Status.SUSPENDED:
            since = event.at
        elif event.from_status == Status.SUSPENDED and event.to_status != Status.SUSPENDED and since is not None:
            spans.append((since, event.at))
            since = None
    return spans, since


@dataclass(frozen=True)
class CaseClock:
    """The handling clock of a dispatched case: from dispatch (or rework) to handled."""

    started_at: datetime.datetime
    stopped_at: datetime.datetime | None  # handled, sent back …: the clock no longer runs
    deadline: datetime.datetime
    paused: bool  # suspended (挂账): that time does not count
    elapsed_fraction: float | None  # of the limit; None when the deadline leaves no time at all
    light: Light
    start_event_id: int  # the event that started the round (the sweeps mark thresholds once per round)

    @property
    def label(self) -> str:
        return str(LIGHT_LABELS["paused" if self.paused else self.light])

    @property
    def percent(self) -> int | None:
        return round(self.elapsed_fraction * 100) if self.elapsed_fraction is not None else None


def case_clock(*, case: Any, events: Sequence[Any], calendar: WorkCalendar, now: datetime.datetime) -> CaseClock | None:
    """The clock of `case` from its events, or None before its first dispatch.

    The limit measured against runs from the start to the deadline, so an extension (which
    moves the deadline) gives more time; suspended spans count neither in the time used nor
    in the limit.
    """
    if case.handling_deadline is None or case.category is None:
        return None
    start = round_start(events)
    if start is None:
        return None
    after = list(events[events.index(start) + 1 :])
    spans, suspended_since = suspensions(after)
    stopped_at = next((e.at for e in after if not STATUS_INFO[e.to_status].clock_runs), None)
    if stopped_at is None and not STATUS_INFO[case.status].clock_runs:
        stopped_at = case.updated_at  # left the handling states without an event we know of
    end = stopped_at or now
    paused = case.status == Status.SUSPENDED and stopped_at is None
    _amount, unit = case_time_limit(case)
    # The deadline was moved at resume by the suspended time: measure the limit without it.
    limit = calendar.elapsed(start.at, case.handling_deadline, unit, spans)
    if paused and suspended_since is not None:
        spans.append((suspended_since, max(suspended_since, end)))
    if limit > 0:
        fraction = calendar.elapsed_fraction(start.at, end, limit, unit, spans)
        light = traffic_light(fraction)
    else:
        fraction, light = None, ("red" if end > case.handling_deadline else "yellow")
    return CaseClock(
        started_at=start.at,
        stopped_at=stopped_at,
        deadline=case.handling_deadline,
        paused=paused,
        elapsed_fraction=fraction,
        light=light,
        start_event_id=start.id,
    )


def first_handling_hours(events: Sequence[Any], calendar: WorkCalendar) -> Decimal | None:
    """Working hours from the dispatch to the first "handled", suspended time left out (the
    rollup's mean handling time); None if the case was never handled after a dispatch."""
    dispatched_at = None
    for index, event in enumerate(events):
        if is_dispatch(event):
            dispatched_at = event.at
        if event.to_status == Status.HANDLED:
            if dispatched_at is None:
                return None
            spans, _since = suspensions(events[:index])
            hours = calendar.working_hours_between(dispatched_at, event.at, spans)
            return Decimal(str(round(hours, 4)))
    return None


# ---- a list row's light, without the events -------------------------------------------------


@dataclass(frozen=True)
class RowLight:
    """A deadline as a list row shows it: when, and how close (green, yellow, red or paused)."""

    deadline: datetime.datetime
    colour: str
    stopped: bool  # handled or closed: the colour is how it stood then

    @property
    def label(self) -> str:
        return str(LIGHT_LABELS[self.colour])


def row_light(case: Any, calendar: WorkCalendar, now: datetime.datetime) -> RowLight | None:
    """The handling deadline's light for a list row, from the case's fields alone.

    The share of the limit used up is read backwards from the deadline (an extension, which
    moves the deadline, gives more time); the case page measures it exactly (case_clock).
    """
    deadline = case.handling_deadline
    if deadline is None or case.category is None:
        return None
    info = STATUS_INFO[case.status]
    if case.status == Status.SUSPENDED:
        return RowLight(deadline, "paused", False)
    if case.status == Status.DISPATCHED:
        end, stopped = now, False
    elif info.handling_done and case.handled_at:
        end, stopped = case.handled_at, True
    else:
        return None
    if case.overdue or end > deadline:
        return RowLight(deadline, "red", stopped)
    amount, unit = case_time_limit(case)
    left = calendar.elapsed(end, deadline, unit)
    used = 1 - left / float(amount) if amount else 1.0
    return RowLight(deadline, traffic_light(max(used, 0.0)), stopped)


# ---- the command center's own clocks (DESIGN.md §3.4) ---------------------------------------

# Step → (limit, urgent limit, unit). Filing + dispatch 30 min (urgent 10), verification 30 min,
# on-site check 2 h, in office hours; the approval's own limit is approval_limit() (APPROVAL_LIMIT_MINUTES, of working time by default).
STEP_LIMITS = {
    "dispatch": (Decimal("0.5"), Decimal(10) / 60, LimitUnit.WORKING_HOURS),
    "verify": (Decimal("0.5"), Decimal("0.5"), LimitUnit.WORKING_HOURS),
    "check": (Decimal(2), Decimal(2), LimitUnit.WORKING_HOURS),
}
STEP_LABELS = {
    "dispatch": _("Filing and dispatch"),
    "verify": _("Verification"),
    "approval": _("Grid-chief approval"),
    "check": _("On-site check"),
}


def approval_limit_minutes() -> float:
    """How long a dispatch may wait for a grid chief's approval, in minutes (of working time by
    default: approval_limit)."""
    minutes = getattr(settings, "APPROVAL_LIMIT_MINUTES", DEFAULT_APPROVAL_LIMIT_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
        raise ValueError(f"APPROVAL_LIMIT_MINUTES must be a positive number of minutes, not {minutes!r}.")
    return minutes


def approval_limit() -> tuple[Decimal, str]:
    """The approval's limit as (hours, LimitUnit): APPROVAL_LIMIT_MINUTES of working time (office
    hours on the official calendar: a dispatch proposed at 17:20 waits into the next morning, not
    up two levels overnight), or of natural time with APPROVAL_LIMIT_TIME=natural."""
    hours = Decimal(str(approval_limit_minutes())) / 60
    natural = getattr(settings, "APPROVAL_LIMIT_TIME", "working") == "natural"
    return hours, LimitUnit.HOURS if natural else LimitUnit.WORKING_HOURS


def approval_due(*, since: datetime.datetime, calendar: WorkCalendar) -> datetime.datetime:
    """When a dispatch waiting for approval since `since` passes its limit."""
    hours, unit = approval_limit()
    return calendar.add(since, hours, unit)


@dataclass(frozen=True)
class StepClock:
    """One of the command center's step clocks: when it started, stopped, is due, and its colour."""

    step: str
    label: str
    started_at: datetime.datetime
    stopped_at: datetime.datetime | None
    deadline: datetime.datetime
    elapsed_fraction: float
    light: Light

    @property
    def light_label(self) -> str:
        return str(LIGHT_LABELS[self.light])

    @property
    def percent(self) -> int:
        return round(self.elapsed_fraction * 100)


def case_step_clocks(
    *, case: Any, events: Sequence[Any], calendar: WorkCalendar, now: datetime.datetime
) -> list[StepClock]:
    """The clocks of the steps the center answers for, latest round of each, from the events:

    - filing and dispatch: from the report to the first dispatch (or the report's end: refused,
      merged, cancelled), time spent verifying left out (verification has its own clock);
    - verification: from sending an inspector to verify to filing or refusing;
    - grid-chief approval: from proposing a dispatch to the chief's decision;
    - on-site check: from sending an inspector to check to the check's result.
    """
    urgent = case.urgency == Urgency.URGENT
    clocks: list[StepClock] = []

    def span(start_actions: set[str], waiting: str) -> tuple[Any, datetime.datetime | None] | None:
        starts = [e for e in events if e.action in start_actions and e.to_status == waiting]
        return (starts[-1], _leaves(events, starts[-1], waiting)) if starts else None

    def clock(step: str, start: datetime.datetime, stop, amount, unit, excluded=()) -> StepClock:
        end = stop or now
        fraction = calendar.elapsed_fraction(start, end, amount, unit, excluded)
        deadline = calendar.add(start, amount, unit, excluded)
        return StepClock(step, str(STEP_LABELS[step]), start, stop, deadline, fraction, traffic_light(fraction))

    verifying = [(e.at, _leaves(events, e, Status.VERIFYING) or now) for e in events if e.action == "verify"]
    report = next((e for e in events if e.action == "report"), None)
    if report is not None:
        ends = {"dispatch", "reject", "merge", "cancel"}
        stop = next((e.at for e in events if e.action in ends), None)
        amount, urgent_amount, unit = STEP_LIMITS["dispatch"]
        clocks.append(clock("dispatch", report.at, stop, urgent_amount if urgent else amount, unit, verifying))
    for step, actions, waiting in (
        ("verify", {"verify"}, Status.VERIFYING),
        ("approval", {"dispatch", "approval_escalated"}, Status.PENDING_APPROVAL),
        ("check", {"send_to_check"}, Status.CHECKING),
    ):
        found = span(actions, waiting)
        if found is None:
            continue
        start, stop = found
        if step == "approval":
            hours, unit = approval_limit()
            clocks.append(clock(step, start.at, stop, hours, unit))
        else:
            amount, urgent_amount, unit = STEP_LIMITS[step]
            clocks.append(clock(step, start.at, stop, urgent_amount if urgent else amount, unit))
    return clocks


def _leaves(events: Sequence[Any], start: Any, status: str) -> datetime.datetime | None:
    """When the case, in `status` from event `start` on, next moved to another status (None: still there)."""
    return next((e.at for e in events[events.index(start) + 1 :] if e.to_status != status), None)


# ---- the posts' steps, on time or not (GB/T 30428.4 岗位考评; the assessment rollup) ---------


@dataclass(frozen=True)
class PostStep:
    """A step one person did on a case, and whether it was done within its limit:

    - accept (受理): the first answer to a report (filed, sent to verify, refused, merged), within
      the filing-and-dispatch limit from the report;
    - file (立案): filing, within that limit from the report, time spent verifying left out;
    - dispatch (派遣): the first dispatch, within that limit, verifying left out (the step clock);
    - verify (核实): an inspector's answer to a verification, within the verification limit;
    - check (核查): an inspector's result of an on-site check, within the check limit.
    `event` is the event that did the step (its actor is the person)."""

    step: str
    event: Any
    on_time: bool


def post_steps(events: Sequence[Any], calendar: WorkCalendar, *, urgent: bool = False) -> list[PostStep]:
    """Every timed step of the posts in a case's events (in order), each measured as the command
    center's step clocks measure it (STEP_LIMITS, in working time)."""
    steps: list[PostStep] = []
    report = next((e for e in events if e.action == "report"), None)
    verifying = [(e.at, _leaves(events, e, Status.VERIFYING) or e.at) for e in events if e.action == "verify"]
    amount, urgent_amount, unit = STEP_LIMITS["dispatch"]
    limit = float(urgent_amount if urgent else amount)

    def within(start: datetime.datetime, end: datetime.datetime, step: str, excluded=()) -> bool:
        step_amount, step_urgent, step_unit = STEP_LIMITS[step]
        allowed = float(step_urgent if urgent else step_amount)
        return calendar.elapsed(start, end, step_unit, excluded) <= allowed + 1e-9

    if report is not None:
        answer = next((e for e in events if e.from_status == Status.REPORTED and e.to_status != Status.REPORTED), None)
        if answer is not None:
            steps.append(PostStep("accept", answer, calendar.elapsed(report.at, answer.at, unit) <= limit + 1e-9))
        filing = next((e for e in events if e.action == "file"), None)
        if filing is not None:
            steps.append(PostStep("file", filing, within(report.at, filing.at, "dispatch", verifying)))
        dispatch = next((e for e in events if e.action == "dispatch"), None)
        if dispatch is not None:
            steps.append(PostStep("dispatch", dispatch, within(report.at, dispatch.at, "dispatch", verifying)))
    for step, start_action, waiting in (
        ("verify", "verify", Status.VERIFYING),
        ("check", "send_to_check", Status.CHECKING),
    ):
        for index, start in enumerate(events):
            if start.action != start_action or start.to_status != waiting:
                continue
            answer = next((e for e in events[index + 1 :] if e.to_status != waiting), None)
            if answer is not None:
                steps.append(PostStep(step, answer, within(start.at, answer.at, step)))
    return steps
