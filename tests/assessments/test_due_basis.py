"""The due basis (应结案) of the closure-type figures: closure rate and on-time closure rate over the
cases whose handling deadline falls in the period, beside the default basis (cases filed in it).

Two datasets: October's story (conftest.py, every case through the case service), and a month of
1,068 cases written as event logs (the rows the case service writes, made in bulk) that reproduces
a county bulletin: 受理 1,054, 立案 996, 应结案 972, 结案 911 = 93.72 %, 按期结案 737 = 75.82 %.
"""

import datetime
import itertools
from decimal import Decimal

import pytest

from assessments.facts import facts_rebuild_all
from assessments.models import AssessmentSettings, Basis, CaseFact
from assessments.selectors import Period, Slice, comparison, figures, grid_ranking, metric_cases
from cases.models import Case, CaseEvent, Department, Source, Status
from tests.assessments.conftest import at
from tests.cases.conftest import IN_M1, NOW

pytestmark = pytest.mark.django_db

OCTOBER = Period.containing("month", datetime.date(2026, 10, 1))
DUE = Slice(basis="due")


# ---- October's story ------------------------------------------------------------------------


def test_it_keeps_each_cases_handling_deadline_in_the_rollup(october):
    due = {key: CaseFact.objects.get(case_id=case.pk).due_at for key, case in october["cases"].items()}
    # B: approved 14 Oct 10:20, 4 working hours → 15:50; I: extended to Thu 22 Oct 09:50
    assert due["B"] == at(14, 15, 50) and due["I"] == at(22, 9, 50)
    # C: approved Sat 31 Oct 23:58, 4 working hours from Mon 2 Nov 08:30 (lunch 12:00–13:30) → 14:00
    assert due["C"] == at(2, 14, month=11)
    # never dispatched: no deadline, never due
    assert due["E"] is None and due["J"] is None and due["K"] is None


def test_it_counts_octobers_closure_over_the_cases_due_in_it(october, now):
    f = figures(period=OCTOBER, slice=DUE, now=now)
    # Due in October: A B F G H I, and L (sent back on 23 Oct, its deadline 14:50 that day stands);
    # C and D fall due on 2 November; E cancelled, J K never dispatched.
    assert f["due"] == 7
    assert f["due_closed"] == 5  # A B G H I
    assert f.ratio("closure_rate").numerator == 5 and f.percent("closure_rate") == Decimal("71.43")
    assert f["due_on_time_base"] == 6  # F suspended
    assert f["due_closed_on_time"] == 4  # B handled late
    assert f.percent("on_time_rate") == Decimal("66.67")
    # the same figures on the filed basis, and the counts of the funnel, do not move
    filed = figures(period=OCTOBER, now=now)
    assert filed.percent("closure_rate") == Decimal("62.50") and filed.percent("on_time_rate") == Decimal("57.14")
    assert (f["reports"], f["filed"], f["closed"]) == (filed["reports"], filed["filed"], filed["closed"])
    assert f.score == filed.score  # the composite score does not depend on the basis


def test_it_counts_the_cases_due_in_november_up_to_now(october, now):
    f = figures(period=Period.containing("month", datetime.date(2026, 11, 1)), slice=DUE, now=now)
    assert (f["due"], f["due_closed"]) == (2, 1)  # C closed on 2 Nov, D still open
    assert f.percent("closure_rate") == Decimal("50.00")


def test_it_lists_the_cases_due(october, now):
    cases = metric_cases(name="due", period=OCTOBER, now=now)
    keys = {key for key, case in october["cases"].items() if cases.filter(pk=case.pk).exists()}
    assert keys == {"A", "B", "F", "G", "H", "I", "L"}


def test_it_takes_the_citys_basis_unless_the_request_says(october, now):
    AssessmentSettings.objects.update_or_create(pk=1, defaults={"basis": Basis.DUE})
    assert figures(period=OCTOBER, now=now).percent("closure_rate") == Decimal("71.43")
    assert figures(period=OCTOBER, slice=Slice(basis="filed"), now=now).percent("closure_rate") == Decimal("62.50")


def test_it_ranks_on_the_basis_asked_for(october, now):
    ranked = grid_ranking(period=OCTOBER, level="micro", slice=DUE, order="closure_rate", now=now, min_cases=0)
    rates = {r.unit.code: r.figures.percent("closure_rate") for r in ranked}
    # M1: due A B F G, closed A B G → 75 %; M2: due H I L, closed H I → 66.67 %
    assert rates == {"M1": Decimal("75.00"), "M2": Decimal("66.67")}


def test_the_api_takes_the_basis(client, october):
    client.force_login(october["supervisor"])
    body = client.get("/api/assessments/figures/?period=month&day=2026-10-05&basis=due").json()
    assert body["current"]["basis"] == "due"
    assert body["current"]["rates"]["closure_rate"] == {"numerator": 5, "denominator": 7, "percent": "71.43"}
    assert client.get("/api/assessments/figures/?period=month&day=2026-10-05&basis=later").status_code == 400


# ---- a county's month, as its bulletin counts it -----------------------------------------------


def _sep(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return at(day, hour, minute, month=9)


def _nov(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return at(day, hour, minute, month=11)


def _county_month(city) -> None:
    """1,068 cases of M1, in nine groups (n cases each; "d" cycles over 2–28 October):

    G1    6  reported 30 Sep, filed 1 Oct, due 2 Oct, handled and closed 1 Oct     → filed and due in Oct
    G2  723  reported, filed, due (next day) and closed on time in October
    G3  174  reported, filed, due in October; handled after the deadline, closed  → late
    G4   31  reported, filed, due in October, still being handled                  → open, overdue
    G5   32  reported and filed 30 Oct, due 3 Nov, closed 2 Nov                   → filed in Oct, not due
    G6    8  reported and filed 29 Sep, due 1 Oct 10:00, closed 1 Oct 08:00        → due in Oct, filed in Sep
    G7   50  reported in October, not accepted
    G8   14  reported 31 Oct 22:00, filed 1 Nov 08:00                              → a report of Oct, filed in Nov
    G9   30  reported and filed 20 Oct, due 31 Oct 18:00, handled 17:00, closed 2 Nov → due in Oct, closed after it
    """
    department = Department.objects.get(code="sanitation")
    grids = {f"{level}_grid": city[key] for level, key in
             (("micro", "a"), ("community", "community"), ("large", "large"), ("district", "district"))}  # fmt: skip
    numbers = itertools.count(1)
    stories: list[tuple[Case, list[tuple[str, str, str, datetime.datetime]]]] = []

    def story(reported, *, filed=None, deadline=None, handled=None, closed=None, rejected=None) -> None:
        steps = [("report", "", Status.REPORTED, reported)]
        status = Status.REPORTED
        if rejected:
            steps.append(("reject", Status.REPORTED, Status.REJECTED, rejected))
            status = Status.REJECTED
        if filed:
            steps.append(("file", Status.REPORTED, Status.FILED, filed))
            status = Status.FILED
        if deadline:
            steps.append(("dispatch", Status.FILED, Status.DISPATCHED, filed + datetime.timedelta(minutes=5)))
            status = Status.DISPATCHED
        if handled:
            steps.append(("handle", Status.DISPATCHED, Status.HANDLED, handled))
            status = Status.HANDLED
        if closed:
            steps.append(("close", Status.HANDLED, Status.CLOSED, closed))
            status = Status.CLOSED
        case = Case(
            tracking_number=f"T{next(numbers):07d}", source=Source.HOTLINE, status=status, location=IN_M1,
            category=city["garbage"] if filed else None, department=department if deadline else None,
            handling_deadline=deadline, reported_at=reported, filed_at=filed, handled_at=handled, closed_at=closed,
            dispatched_at=filed + datetime.timedelta(minutes=5) if deadline else None, **grids,
        )  # fmt: skip
        stories.append((case, steps))

    days = itertools.cycle(range(2, 29))
    for _n in range(6):  # G1
        story(_sep(30, 10), filed=at(1, 9), deadline=at(2, 9), handled=at(1, 15), closed=at(1, 16))
    for _n in range(723):  # G2
        d = next(days)
        story(at(d, 9), filed=at(d, 9, 5), deadline=at(d + 1, 9), handled=at(d, 15), closed=at(d, 16))
    for _n in range(174):  # G3
        d = next(days)
        story(at(d, 9), filed=at(d, 9, 5), deadline=at(d, 12), handled=at(d, 15), closed=at(d, 16))
    for _n in range(31):  # G4
        d = next(days)
        story(at(d, 9), filed=at(d, 9, 5), deadline=at(d, 12))
    for _n in range(32):  # G5
        story(at(30, 10), filed=at(30, 10, 5), deadline=_nov(3, 10), handled=_nov(2, 9), closed=_nov(2, 10))
    for _n in range(8):  # G6
        story(_sep(29, 10), filed=_sep(29, 10, 5), deadline=at(1, 10), handled=_sep(30, 15), closed=at(1, 8))
    for _n in range(50):  # G7
        d = next(days)
        story(at(d, 9), rejected=at(d, 9, 30))
    for _n in range(14):  # G8
        story(at(31, 22), filed=_nov(1, 8))
    for _n in range(30):  # G9
        story(at(20, 9), filed=at(20, 9, 5), deadline=at(31, 18), handled=at(31, 17), closed=_nov(2, 9))
    assert len(stories) == 1_068
    Case.objects.bulk_create([case for case, _steps in stories])
    events = []
    for case, steps in stories:
        for action, before, after, when in steps:
            payload = {"department": {"id": case.department_id}} if action == "dispatch" else {}
            events.append(CaseEvent(case=case, action=action, from_status=before, to_status=after, at=when,
                                    payload=payload))  # fmt: skip
    CaseEvent.objects.bulk_create(events)
    facts_rebuild_all()  # derived from the event logs, as after an import


def test_it_reproduces_a_countys_bulletin_on_the_due_basis(city):
    _county_month(city)
    f = figures(period=OCTOBER, slice=DUE, now=NOW)
    # 受理: G2 G3 G4 G5 G7 G8 G9 = 723 + 174 + 31 + 32 + 50 + 14 + 30
    assert f["reports"] == 1_054
    # 立案: G1 G2 G3 G4 G5 G9 = 6 + 723 + 174 + 31 + 32 + 30
    assert f["filed"] == 996
    # 应结案: G1 G2 G3 G4 G6 G9 = 6 + 723 + 174 + 31 + 8 + 30
    assert f["due"] == 972
    # 结案 (of those due, closed by 31 Oct 24:00): G1 G2 G3 G6 = 6 + 723 + 174 + 8
    assert f["due_closed"] == 911
    # 按期结案: G1 G2 G6 = 6 + 723 + 8
    assert f["due_closed_on_time"] == 737
    assert f.ratio("closure_rate").numerator == 911 and f.ratio("closure_rate").denominator == 972
    assert f.percent("closure_rate") == Decimal("93.72")  # 911 / 972 = 0.937242…
    assert f.percent("on_time_rate") == Decimal("75.82")  # 737 / 972 = 0.758230…
    # 立案率: reports of October filed by its end: G2 G3 G4 G5 G9 = 990 (G8 filed in November)
    assert f["reports_filed"] == 990 and f.percent("filing_rate") == Decimal("93.93")

    # The same month on the filed basis: of the 996 filed, closed by the end of October
    # G1 G2 G3 = 903 → 90.66 %; on time G1 G2 = 729 → 73.19 %
    filed = figures(period=OCTOBER, now=NOW)
    assert (filed["assessed"], filed["closed"], filed["closed_on_time"]) == (996, 903, 729)
    assert filed.percent("closure_rate") == Decimal("90.66") and filed.percent("on_time_rate") == Decimal("73.19")


def test_the_cases_crossing_the_months_count_in_the_month_they_fall_due(city):
    _county_month(city)
    september = comparison(period=OCTOBER, slice=DUE, now=NOW).previous
    # filed in September: G6 only; due in September: none (G6 falls due on 1 October)
    assert (september["filed"], september["due"]) == (8, 0)
    assert september.percent("closure_rate") is None
    november = figures(period=Period.containing("month", datetime.date(2026, 11, 1)), slice=DUE, now=NOW)
    # due in November: G5 (3 Nov), closed on 2 Nov, on time
    assert (november["due"], november["due_closed"], november["due_closed_on_time"]) == (32, 32, 32)
    assert november["filed"] == 14  # G8
