"""Keeping the rollup (CaseFact, EventFact) in step with the cases.

The facts are derived from each case's CaseEvent history, never written by the
case service: every change to a case writes an event, so "which cases changed"
is "which cases have events newer than their fact row". `facts_refresh()` finds
them from a watermark on the event id (RollupState) and derives their rows again;
each request that reads figures calls it once first (`with_fresh_facts`: the selectors
only read), the beat schedule calls it every minute, and `manage.py assessments_rebuild`
derives everything from scratch.

A late change to an old case (cancelled months later, a check failed on a case
filed last quarter) is an event like any other: the case's row is derived again
and every period it belongs to follows.

Event ids are handed out before commit, so a transaction can commit an id lower
than one already seen; each refresh therefore looks back MARGIN ids below the
watermark and compares with each case's own last_event_id.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments.models import CaseFact, EventFact, MonthFigures, PostFact, RollupState
from cases.clocks import first_handling_hours, is_dispatch, post_steps, suspensions
from cases.models import NOT_COUNTED, TERMINAL, Case, CaseEvent, Source, Status, Urgency
from cases.selectors import work_calendar
from cases.worktime import WorkCalendar

MARGIN = 500
CHUNK = 500

_CASE_FIELDS = (
    "id",
    "status",
    "source",
    "micro_grid_id",
    "community_grid_id",
    "large_grid_id",
    "district_grid_id",
    "department_id",
    "category_id",
    "responsible_id",
    "reported_at",
    "handled_at",
    "handling_deadline",
    "urgency",
)
_EVENT_FIELDS = ("id", "case_id", "action", "from_status", "to_status", "at", "payload", "actor_id")


class EventRow(NamedTuple):
    """A case event as the rollup reads it (the attributes cases.clocks reads)."""

    id: int
    case_id: int
    action: str
    from_status: str
    to_status: str
    at: datetime.datetime
    payload: dict
    actor_id: int | None = None


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value else None


def month_index(day: datetime.date) -> int:
    """A month as one integer, year × 12 + month − 1 (the `*_month` columns of the rollup)."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def _local_month(value: datetime.datetime | None) -> int | None:
    return month_index(timezone.localtime(value)) if value else None


# The moments whose local month a fact row carries next to them (CaseFact.<name>_month).
MONTH_OF = ("reported", "filed", "dispatched", "handled", "reworked", "extended", "suspended", "closed", "late",
            "evaluated", "contacted", "solved", "satisfied", "reopened", "due")  # fmt: skip
# The events that evaluate a closed case: the citizen's rating, a staff callback (回访).
EVALUATIONS = ("citizen_rating", "callback")


def _department_in(payload: dict) -> int | None:
    department = (payload or {}).get("department")
    return department.get("id") if isinstance(department, dict) else None


def derive_posts(case: dict, events: list[EventRow], calendar: WorkCalendar, department: int | None) -> list[PostFact]:
    """The steps people did on one case (PostFact rows): the timed ones as cases.clocks measures
    them, an inspector's report (good when filed), and every dispatch by the centre (good unless
    the department sent it back before the next dispatch)."""
    slices = {name: case[name] for name in ("micro_grid_id", "community_grid_id", "large_grid_id",
                                            "district_grid_id", "category_id", "source", "responsible_id")}  # fmt: skip
    rows: list[PostFact] = []

    def row(step: str, event: EventRow, good: bool) -> None:
        if event.actor_id is None:  # a citizen, a device, the system: not a post
            return
        rows.append(PostFact(case_id=case["id"], event_id=event.id, step=step, person_id=event.actor_id, good=good,
                             on=_local_date(event.at), at=event.at, month=_local_month(event.at),
                             department_id=department, **slices))  # fmt: skip

    report = next((e for e in events if e.action == "report"), None)
    if report is not None and case["source"] == Source.INSPECTOR:
        row(PostFact.Step.REPORT, report, any(e.action == "file" for e in events))
    for step in post_steps(events, calendar, urgent=case.get("urgency") == Urgency.URGENT):
        row(step.step, step.event, step.on_time)
    for index, event in enumerate(events):
        if event.action != "dispatch":
            continue
        later = events[index + 1 :]
        following = next((n for n, e in enumerate(later) if e.action == "dispatch"), len(later))
        row(PostFact.Step.ROUTE, event, not any(e.action == "send_back" for e in later[:following]))
    return rows


def derive(case: dict, events: list[EventRow], calendar: WorkCalendar) -> tuple[CaseFact, list[EventFact]]:
    """The fact row and the counted events of one case (`case`: _CASE_FIELDS; `events` in id order).

    What the events mean (a dispatch, a suspension, the handling time) is read by cases.clocks,
    as the case page and the sweeps read it.
    """
    slices = {
        "micro_grid_id": case["micro_grid_id"],
        "community_grid_id": case["community_grid_id"],
        "large_grid_id": case["large_grid_id"],
        "district_grid_id": case["district_grid_id"],
        "category_id": case["category_id"],
        "source": case["source"],
        "responsible_id": case["responsible_id"],
    }
    first: dict[str, datetime.datetime] = {}
    overdue_marks: list[datetime.datetime] = []
    counted: list[EventFact] = []
    department = None  # the department that has the case, as the events go
    last_department = None

    def count(kind: str, event: EventRow, dept: int | None) -> None:
        counted.append(
            EventFact(
                event_id=event.id,
                case_id=case["id"],
                kind=kind,
                on=_local_date(event.at),
                month=_local_month(event.at),
                at=event.at,
                department_id=dept,
                **slices,
            )
        )

    for event in events:
        action, to, at = event.action, event.to_status, event.at
        if action == "dispatch" and _department_in(event.payload):
            department = last_department = _department_in(event.payload)
        if to == Status.FILED and action == "file":
            first.setdefault("filed", at)
        if is_dispatch(event):
            first.setdefault("dispatched", at)
            count(EventFact.Kind.DISPATCH, event, department)
        if action == "send_back":
            count(EventFact.Kind.SEND_BACK, event, _department_in(event.payload) or department)
            department = None
        if action == "refuse":
            department = None
        if action == "approve_extension":
            first.setdefault("extended", at)
            count(EventFact.Kind.EXTENSION, event, department)
        if to == Status.SUSPENDED and event.from_status != Status.SUSPENDED:
            first.setdefault("suspended", at)
        if to == Status.HANDLED:
            first.setdefault("handled", at)
        if action in ("check_fail", "reopen"):  # 返工, and 重办 after closure: both count as rework
            first.setdefault("reworked", at)
            count(EventFact.Kind.REWORK, event, department)
        if action == "reopen":
            first.setdefault("reopened", at)
        if action in EVALUATIONS and "evaluated" not in first:  # the first evaluation counts
            answers = (event.payload or {}).get("evaluation") or {}
            first["evaluated"] = at
            if answers.get("contacted"):
                first["contacted"] = at
            if answers.get("solved"):
                first["solved"] = at
            if answers.get("satisfaction") in ("satisfied", "basic"):
                first["satisfied"] = at
        if to == Status.CLOSED:
            first.setdefault("closed", at)
        if to in NOT_COUNTED:
            first.setdefault("cancelled", at)
        if action == "sla_overdue":
            overdue_marks.append(at)

    status, deadline, handled = case["status"], case["handling_deadline"], case["handled_at"]
    _spans, suspended_since = suspensions(events)
    late = list(overdue_marks)
    if deadline is not None:
        running = status == Status.DISPATCHED  # late from the deadline on, unless handled before it
        parked_late = status == Status.SUSPENDED and suspended_since is not None and suspended_since > deadline
        handled_late = handled is not None and handled > deadline and status not in NOT_COUNTED
        if running or parked_late or handled_late:
            late.append(deadline)
    moments = {
        "reported": case["reported_at"],
        "filed": first.get("filed"),
        "dispatched": first.get("dispatched"),
        "handled": first.get("handled"),
        "reworked": first.get("reworked"),
        "extended": first.get("extended"),
        "suspended": first.get("suspended"),
        "closed": first.get("closed"),
        "late": min(late) if late else None,
        **{name: first.get(name) for name in ("evaluated", "contacted", "solved", "satisfied", "reopened")},
        # The due basis (应结案): the case's handling deadline, after extensions, once dispatched.
        "due": deadline if first.get("dispatched") else None,
    }
    fact = CaseFact(
        case_id=case["id"],
        last_event_id=events[-1].id if events else 0,
        department_id=case["department_id"] or last_department,
        reported_on=_local_date(case["reported_at"]),
        reported_at=case["reported_at"],
        filed_on=_local_date(first.get("filed")),
        filed_at=first.get("filed"),
        dispatched_at=first.get("dispatched"),
        handled_at=first.get("handled"),
        reworked_at=first.get("reworked"),
        extended_at=first.get("extended"),
        suspended_at=first.get("suspended"),
        closed_at=first.get("closed"),
        cancelled_at=first.get("cancelled"),
        late_at=min(late) if late else None,
        evaluated_at=first.get("evaluated"),
        contacted_at=first.get("contacted"),
        solved_at=first.get("solved"),
        satisfied_at=first.get("satisfied"),
        reopened_at=first.get("reopened"),
        due_on=_local_date(moments["due"]),
        due_at=moments["due"],
        handling_hours=first_handling_hours(events, calendar),
        is_open=status not in TERMINAL,
        **{f"{name}_month": _local_month(moments[name]) for name in MONTH_OF},
        **slices,
    )
    return fact, counted


_UPDATE_FIELDS = [
    f.name for f in CaseFact._meta.concrete_fields if f.name != "case" and not f.primary_key
]  # every column but the key


def read_cases(case_ids: list[int]) -> tuple[dict[int, dict], dict[int, list[EventRow]]]:
    """The cases (_CASE_FIELDS) and their events in id order, from ONE query (events joined with
    their case): one snapshot, so a transition committing meanwhile is either wholly in it (the
    case row and its event) or wholly out of it, and then newer than the fact's last_event_id,
    which the next refresh sees. (Two queries could read the case before a transition and its
    event after it: a fact that claims the event yet shows the old status, forever.)"""
    cases: dict[int, dict] = {}
    events: dict[int, list[EventRow]] = defaultdict(list)
    columns = [*_EVENT_FIELDS, *(f"case__{name}" for name in _CASE_FIELDS)]
    width = len(_EVENT_FIELDS)
    for row in CaseEvent.objects.filter(case_id__in=case_ids).order_by("case_id", "id").values_list(*columns):
        events[row[1]].append(EventRow(*row[:width]))
        if row[1] not in cases:
            cases[row[1]] = dict(zip(_CASE_FIELDS, row[width:], strict=True))
    missing = [case_id for case_id in case_ids if case_id not in cases]
    if missing:  # a case without events (none is made so; kept for rows loaded by other means)
        for row in Case.objects.filter(pk__in=missing).values(*_CASE_FIELDS):
            cases[row["id"]] = row
    return cases, events


def facts_rebuild_cases(case_ids: Iterable[int], *, calendar: WorkCalendar | None = None) -> int:
    """Derive the rows of these cases again (in chunks). Returns how many cases.

    Each chunk is read, derived and written under the rollup's lock, so that refreshes running
    at once apply their reads in order: a row is never overwritten by one derived from an older
    read."""
    ids = sorted(set(case_ids))
    calendar = calendar or work_calendar()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            rollup_lock()
            cases, events = read_cases(chunk)
            facts, counted, posts = [], [], []
            for case_id, case in cases.items():
                fact, rows = derive(case, events[case_id], calendar)
                facts.append(fact)
                counted.extend(rows)
                posts.extend(derive_posts(case, events[case_id], calendar, fact.department_id))
            # Every month these cases and events belonged to, or belong to now: their stored
            # figures (MonthFigures) are no longer right.
            months = set(EventFact.objects.filter(case_id__in=chunk).values_list("month", flat=True).distinct())
            for reported, filed, due in CaseFact.objects.filter(case_id__in=chunk).values_list(
                "reported_month", "filed_month", "due_month"
            ):
                months |= {reported, filed, due}
            months |= {f.reported_month for f in facts} | {f.filed_month for f in facts} | {e.month for e in counted}
            months |= {f.due_month for f in facts}
            months.discard(None)
            if months:
                MonthFigures.objects.filter(month__in=months).delete()
            EventFact.objects.filter(case_id__in=chunk).delete()
            PostFact.objects.filter(case_id__in=chunk).delete()
            CaseFact.objects.bulk_create(
                facts, update_conflicts=True, unique_fields=["case"], update_fields=_UPDATE_FIELDS
            )
            EventFact.objects.bulk_create(counted, ignore_conflicts=True)
            PostFact.objects.bulk_create(posts)
    return len(ids)


def rollup_lock() -> None:
    """Inside a transaction: wait for, then hold, the rollup's lock (its state row), so that
    fact rows do not change while stored month figures are computed from them."""
    RollupState.objects.select_for_update().get_or_create(pk=1)


def facts_refresh(*, force: bool = False) -> int:
    """Bring the facts up to date with the events written since the last refresh.

    Cheap when nothing happened (one indexed MAX); `force` looks back MARGIN ids even
    then (the periodic task). Returns the number of cases derived again.
    """
    top = CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
    state = RollupState.objects.filter(pk=1).first()
    seen = state.last_event_id if state else 0
    if state is not None and top <= seen and not force:
        return 0
    latest: dict[int, int] = {}
    for case_id, event_id in CaseEvent.objects.filter(id__gt=max(seen - MARGIN, 0)).values_list("case_id", "id"):
        latest[case_id] = max(latest.get(case_id, 0), event_id)
    known = dict(CaseFact.objects.filter(case_id__in=list(latest)).values_list("case_id", "last_event_id"))
    stale = [case_id for case_id, event_id in latest.items() if known.get(case_id) != event_id]
    count = facts_rebuild_cases(stale) if stale else 0
    RollupState.objects.update_or_create(pk=1, defaults={"last_event_id": max(top, seen)})
    return count


def facts_rebuild_all() -> int:
    """Derive every case's rows from scratch (after an import, or to check the rollup)."""
    with transaction.atomic():
        MonthFigures.objects.all().delete()
        PostFact.objects.all().delete()
        EventFact.objects.all().delete()
        CaseFact.objects.all().delete()
        top = CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
        count = facts_rebuild_cases(Case.objects.values_list("id", flat=True))
        RollupState.objects.update_or_create(pk=1, defaults={"last_event_id": top})
    return count


@dataclass
class CheckResult:
    """What `facts_check` found: cases whose rows are wrong (derived from the same events they claim,
    yet different), and cases whose rows are behind (events not folded in yet: a refresh mends them)."""

    checked: int = 0
    wrong: dict[int, list[str]] = field(default_factory=dict)  # case id → the columns that differ
    behind: list[int] = field(default_factory=list)


def _fact_values(fact: CaseFact) -> dict:
    return {name: getattr(fact, name) for name in ["case_id", *_UPDATE_FIELDS]}


_EVENT_FACT_FIELDS = [f.attname for f in EventFact._meta.concrete_fields]


_POST_FACT_FIELDS = [f.attname for f in PostFact._meta.concrete_fields if f.attname != "id"]


def _post_fact_values(row: PostFact) -> tuple:
    return tuple(getattr(row, name) for name in _POST_FACT_FIELDS)


def _event_fact_values(row: EventFact) -> tuple:
    return tuple(getattr(row, name) for name in _EVENT_FACT_FIELDS)


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return (
            a is not None
            and b is not None
            and Decimal(a).quantize(Decimal("0.0001")) == Decimal(b).quantize(Decimal("0.0001"))
        )
    return a == b


def facts_check(*, calendar: WorkCalendar | None = None) -> CheckResult:
    """Compare every case's rollup rows with a derivation from scratch (`manage.py assessments_check`).

    Each chunk is read under the rollup's lock, so a refresh never runs halfway through it."""
    calendar = calendar or work_calendar()
    result = CheckResult()
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            rollup_lock()
            cases, events = read_cases(chunk)
            stored = {fact.case_id: fact for fact in CaseFact.objects.filter(case_id__in=chunk)}
            stored_events: dict[int, set] = defaultdict(set)
            for row in EventFact.objects.filter(case_id__in=chunk):
                stored_events[row.case_id].add(_event_fact_values(row))
            stored_posts: dict[int, set] = defaultdict(set)
            for row in PostFact.objects.filter(case_id__in=chunk):
                stored_posts[row.case_id].add(_post_fact_values(row))
        for case_id, case in cases.items():
            result.checked += 1
            fact, counted = derive(case, events[case_id], calendar)
            have = stored.get(case_id)
            if have is None or have.last_event_id != fact.last_event_id:
                result.behind.append(case_id)
                continue
            want, got = _fact_values(fact), _fact_values(have)
            differ = [name for name in want if not _same(want[name], got[name])]
            if {_event_fact_values(row) for row in counted} != stored_events[case_id]:
                differ.append("event facts")
            derived_posts = derive_posts(case, events[case_id], calendar, fact.department_id)
            if {_post_fact_values(row) for row in derived_posts} != stored_posts[case_id]:
                differ.append("post facts")
            if differ:
                result.wrong[case_id] = differ
    return result


def with_fresh_facts(view: Callable) -> Callable:
    """For a view, or an API view's handler, that reads figures: fold the case events written
    since the last refresh into the rollup once, at the start of the request, then read.

    Put it under the login check (`@login_required` above it; DRF has authenticated by the
    time a handler runs). A user whose roles read no figures is refused by the view before it
    reads anything, and writes nothing here either (params.may_read_figures)."""
    from assessments.params import may_read_figures

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request = next((arg for arg in args[:2] if hasattr(arg, "user")), None)
        if request is None or may_read_figures(request.user):
            facts_refresh()
        return view(*args, **kwargs)

    return wrapper
