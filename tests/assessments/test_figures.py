"""Every figure of DESIGN.md §4 against answers worked out by hand from the October
story in conftest.py (period October 2026, looked at on 18 November: cut-off 1 Nov 00:00)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.facts import facts_rebuild_all, facts_refresh
from assessments.models import AssessmentSettings, CaseFact
from assessments.selectors import (
    Period,
    Ratio,
    Slice,
    comparison,
    figures,
    metric_cases,
    overdue_now,
    trend,
)
from cases.models import Department
from cases.services import case_transition
from tests.assessments.conftest import at

pytestmark = pytest.mark.django_db

OCTOBER = Period.containing("month", datetime.date(2026, 10, 20))


def numbers(f, *names):
    return {name: f[name] for name in names}


def test_it_rounds_the_design_example_to_96_62_percent():
    assert Ratio(17_676, 18_294).percent == Decimal("96.62")
    assert Ratio(0, 0).percent is None


def test_it_counts_octobers_figures(october, now):
    f = figures(period=OCTOBER, now=now)
    # reports by reported date in Shanghai: A B C E F G H I J K L (D is 1 Nov in Shanghai)
    assert f["reports"] == 11
    assert f["reports_filed"] == 9  # J not accepted, K not filed
    assert f.percent("filing_rate") == Decimal("81.82")
    assert f["filed"] == 9 and f["cancelled"] == 1  # E
    assert f["assessed"] == 8  # A B C F G H I L
    # C was closed on 2 Nov: after October's cut-off
    assert f["closed"] == 5  # A B G H I
    assert f.percent("closure_rate") == Decimal("62.50")
    assert f["on_time_base"] == 7  # F suspended
    assert f["closed_on_time"] == 4  # B was late
    assert f.percent("on_time_rate") == Decimal("57.14")
    assert f["overdue"] == 1  # B
    assert f["dispatched"] == 8 and f["handled"] == 5  # C handled in November
    assert f["reworked"] == 1 and f.percent("rework_rate") == Decimal("20.00")  # G
    assert f["extended"] == 1 and f["suspended"] == 1  # I, F
    # events by date: dispatches A B C F G H H I L (G's rework is not a dispatch), send-backs H L
    assert numbers(f, "dispatches", "send_backs", "extensions", "reworks") == {
        "dispatches": 9,
        "send_backs": 2,
        "extensions": 1,
        "reworks": 1,
    }
    assert f.ratio("dispatch_accuracy") == Ratio(7, 9)
    assert f.percent("dispatch_accuracy") == Decimal("77.78")
    # (0.6667 + 6.1667 + 1 + 1 + 5.1667) / 5 working hours, suspended time excluded
    assert f.mean_handling_hours == Decimal("2.80")
    # on-time handling: of the 5 handled (A B G H I; F suspended), B late → 4/5
    assert f.ratio("on_time_handling_rate") == Ratio(4, 5)
    # 0.625×30 + 0.8×20 + 0.8×20 + 0.875×20 + 0.875×10 = 77.00 (DESIGN §4: the on-time *handling* rate)
    assert f.score == Decimal("77.00") and f.grade == "B"


def test_it_puts_cases_in_the_day_of_shanghai_not_utc(october, now):
    oct31 = figures(period=Period.containing("day", datetime.date(2026, 10, 31)), now=now)
    nov1 = figures(period=Period.containing("day", datetime.date(2026, 11, 1)), now=now)
    assert (oct31["reports"], oct31["filed"], oct31["dispatches"]) == (1, 1, 1)  # C
    assert (nov1["reports"], nov1["filed"], nov1["dispatches"]) == (1, 1, 1)  # D, 00:00:30 Shanghai


def test_it_counts_a_case_closed_after_the_period_in_the_current_one_only_as_of_now(october, now):
    november = figures(period=Period.containing("month", datetime.date(2026, 11, 1)), now=now)
    assert november["filed"] == 1 and november["closed"] == 0  # D is open
    # D: 4 working hours from Sun 1 Nov 00:20 → Mon 2 Nov 14:00, long past on 18 Nov
    assert november["overdue"] == 1
    both = figures(period=Period.custom(datetime.date(2026, 10, 1), datetime.date(2026, 11, 30)), now=now)
    assert both["closed"] == 6  # C counts once its range reaches 2 Nov
    assert both.cut == now


def test_it_counts_by_the_cut_off_for_a_period_seen_before_it_ended(october):
    seen = figures(period=OCTOBER, now=at(15, 9, 30))  # what the dashboard showed then
    assert seen["reports"] == 3 and seen["filed"] == 3  # A B E
    assert seen["assessed"] == 2  # E was cancelled (at 09:30)
    assert seen["closed"] == 1  # A; B was closed at 10:00
    assert seen["overdue"] == 1  # B, past its deadline of 15:50 the day before


def test_it_follows_a_late_cancellation_of_an_old_case(october, now):
    before = figures(period=OCTOBER, now=now)
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=october["leader"], note="重复",
                    now=at(10, 9, month=11))  # fmt: skip
    facts_refresh()
    after = figures(period=OCTOBER, now=now)
    assert (before["assessed"], after["assessed"]) == (8, 7)
    assert after["cancelled"] == 2
    assert after.percent("closure_rate") == Decimal("71.43")  # 5 / 7


def test_it_follows_a_late_change_in_a_range_that_includes_it(october, now):
    story = october["stories"]["L"]
    story.do("dispatch", "dispatcher", at(3, 9, month=11), department=Department.objects.get(code="enforcement"))
    story.do("approve", "chief", at(3, 9, 10, month=11)).do("handle", "other_handler", at(3, 10, month=11))
    story.do("close", "leader", at(3, 11, month=11))
    facts_refresh()
    fact = CaseFact.objects.get(case=october["cases"]["L"])
    assert fact.closed_at == at(3, 11, month=11) and fact.department.code == "enforcement"
    autumn = figures(period=Period.custom(datetime.date(2026, 10, 1), datetime.date(2026, 11, 17)), now=now)
    assert autumn["closed"] == 7  # A B C G H I L
    assert figures(period=OCTOBER, now=now)["closed"] == 5  # October as it stood at its end


def test_it_sums_a_subtree_to_its_children(october, now):
    by = {key: figures(period=OCTOBER, slice=Slice(grid=october[key]), now=now) for key in ("a", "b", "community")}
    assert by["a"]["assessed"] == 5 and by["a"]["closed"] == 3  # A B C F G; A B G
    assert by["b"]["assessed"] == 3 and by["b"]["closed"] == 2  # H I L; H I
    assert by["a"].percent("closure_rate") == Decimal("60.00")
    assert by["b"].percent("closure_rate") == Decimal("66.67")
    for name in by["community"].counts:
        assert by["community"][name] == by["a"][name] + by["b"][name], name
    assert by["community"].counts == figures(period=OCTOBER, now=now).counts


def test_it_slices_by_department_chief_category_and_source(october, now):
    enforcement = Department.objects.get(code="enforcement")
    sanitation = Department.objects.get(code="sanitation")
    f = figures(period=OCTOBER, slice=Slice(department=enforcement), now=now)
    assert (f["assessed"], f["closed"], f["dispatches"], f["send_backs"]) == (1, 1, 1, 0)  # H after the send-back
    s = figures(period=OCTOBER, slice=Slice(department=sanitation), now=now)
    # sanitation: A B C F G I L (L sent back: its last department); dispatches A B C F G H I L; sent back H L
    assert (s["assessed"], s["dispatches"], s["send_backs"]) == (7, 8, 2)
    chief = october["a"].chief
    assert figures(period=OCTOBER, slice=Slice(chief=chief), now=now)["assessed"] == 5
    assert figures(period=OCTOBER, slice=Slice(category=october["garbage"]), now=now)["assessed"] == 8
    assert figures(period=OCTOBER, slice=Slice(source="citizen"), now=now)["reports"] == 0


def test_it_compares_with_the_previous_period_and_a_year_earlier(october, now):
    november = Period.containing("month", datetime.date(2026, 11, 5))
    assert november.previous() == OCTOBER
    assert november.year_earlier() == Period("month", datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    c = comparison(period=november, now=now)
    assert (c.current["filed"], c.previous["filed"], c.year_earlier["filed"]) == (1, 9, 0)


def test_it_counts_overdue_cases_open_now(october, now):
    assert overdue_now(now=now) == 1  # D; F is suspended (not late), L waits re-dispatch
    assert overdue_now(now=at(2, 13, month=11)) == 0  # D's deadline is 14:00 on 2 Nov


def test_it_lists_the_cases_behind_a_figure(october, now):
    closed = set(metric_cases(name="closed", period=OCTOBER, now=now).values_list("pk", flat=True))
    assert closed == {october["cases"][k].pk for k in "ABGHI"}
    sent_back = set(metric_cases(name="send_backs", period=OCTOBER, now=now).values_list("pk", flat=True))
    assert sent_back == {october["cases"][k].pk for k in "HL"}


def test_it_gives_a_monthly_trend_each_month_with_its_own_cut_off(october, now):
    months = trend(period=Period.custom(datetime.date(2026, 9, 1), datetime.date(2026, 11, 30)), now=now)
    assert [m.period.start.month for m in months] == [9, 10, 11]
    assert [m["filed"] for m in months] == [0, 9, 1]
    assert [m["closed"] for m in months] == [0, 5, 0]


def test_it_weighs_the_score_with_the_citys_weights(october, now):
    AssessmentSettings.objects.create(pk=1, weight_handling=100, weight_on_time=0, weight_rework=0,
                                      weight_overdue=0, weight_extension=0)  # fmt: skip
    assert figures(period=OCTOBER, now=now).score == Decimal("62.50")  # the handling rate alone


def test_it_derives_the_same_rows_from_scratch(october, now):
    before = figures(period=OCTOBER, now=now)
    facts_rebuild_all()
    assert figures(period=OCTOBER, now=now).counts == before.counts


def test_it_refreshes_in_a_few_queries_when_nothing_changed(october, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the newest event id and the watermark
        assert facts_refresh() == 0


def test_it_reads_the_figures_in_three_queries(october, now, django_assert_num_queries):
    with django_assert_num_queries(3):  # the city's weights, one aggregate over cases and one over events
        figures(period=OCTOBER, now=now)


def test_it_reads_without_writing_until_the_rollup_is_refreshed(october, now):
    """Selectors only read: a change waits for the refresh that a request or the beat makes."""
    before = figures(period=OCTOBER, now=now)
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=october["leader"], note="重复",
                    now=at(10, 9, month=11))  # fmt: skip
    with CaptureQueriesContext(connection) as read:
        for _ in range(2):
            stale = figures(period=OCTOBER, now=now)
            assert stale.counts == before.counts
        comparison(period=OCTOBER, now=now)
        trend(period=OCTOBER, now=now)
        overdue_now(now=now)
        list(metric_cases(name="cancelled", period=OCTOBER, now=now))
    assert [q["sql"] for q in read.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")] == []
    assert CaseFact.objects.get(case=october["cases"]["L"]).cancelled_at is None
    assert facts_refresh() == 1
    assert figures(period=OCTOBER, now=now)["cancelled"] == before["cancelled"] + 1
