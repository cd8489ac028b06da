"""The monthly trend reads the stored figures of the months that are over and computes the
others in one grouped query over the rollup; either way it must give exactly what the figures
of each month give when computed one month at a time (the slow way)."""

import datetime

import pytest

from assessments.facts import facts_refresh, month_index, month_start
from assessments.models import CaseFact, MonthFigures
from assessments.months import months_refresh
from assessments.selectors import ALL, Period, Slice, figures, trend
from cases.models import Department
from cases.services import case_transition
from tests.assessments.conftest import IN_M2, Story, at
from tests.cases.conftest import IN_M1, NOW

pytestmark = pytest.mark.django_db

AUTUMN = Period.custom(datetime.date(2026, 9, 1), datetime.date(2026, 11, 30))


def month_by_month(period, slice, now):
    return [figures(period=month, slice=slice, now=now) for month in period.months()]


def assert_same(period, *, slice=ALL, now):
    fast = trend(period=period, slice=slice, now=now)
    slow = month_by_month(period, slice, now)
    assert [f.period for f in fast] == [f.period for f in slow]
    for quick, careful in zip(fast, slow, strict=True):
        label = f"{quick.period.label} {slice}"
        assert quick.cut == careful.cut, label
        assert quick.counts == careful.counts, label
        assert quick.handling_hours_sum == careful.handling_hours_sum, label
        assert quick.score == careful.score, label
    return fast


@pytest.fixture(params=["rollup", "stored"])
def stored(request):
    """Run the test with the months read from the rollup, then with the months that are over
    stored beforehand (MonthFigures)."""
    return request.param == "stored"


@pytest.fixture
def straddling(october, stored):
    """More cases across month ends: reported in one month and filed in the next, closed in
    the month after filing, handled late in the next month, an extension in November."""
    city = october
    s = Story(city, IN_M2, at(31, 23, 57))  # reported 31 Oct, filed 1 Nov
    s.do("file", "leader", at(1, 0, 5, month=11), category=city["garbage"])
    s.do("dispatch", "dispatcher", at(1, 0, 6, month=11)).do("approve", "chief", at(1, 0, 8, month=11))
    s.do("handle", "handler", at(3, 9, month=11)).do("close", "leader", at(3, 9, 30, month=11))
    s = Story(city, IN_M1, at(30, 16)).dispatched(30, 16, 0)  # filed in October, closed in November
    s.do("request_extension", "handler", at(2, 9, month=11), amount=4, unit="working_hours")
    s.do("approve_extension", "leader", at(2, 9, 30, month=11)).do("handle", "handler", at(4, 9, month=11))
    s.do("close", "leader", at(4, 10, month=11))
    s = Story(city, IN_M1, at(29, 9)).dispatched(29, 9, 0).do("suspend", "leader", at(2, 9, month=11))
    # L (sent back in October) dispatched again and handled in November
    story = city["stories"]["L"]
    story.do("dispatch", "dispatcher", at(3, 9, month=11), department=Department.objects.get(code="enforcement"))
    story.do("approve", "chief", at(3, 9, 10, month=11)).do("handle", "other_handler", at(3, 10, month=11))
    facts_refresh()
    if stored:
        assert months_refresh(now=NOW) == 1  # October: the first month with cases, and over on 18 November
    return city


@pytest.mark.parametrize(
    "period, now",
    [
        (AUTUMN, None),  # the fixture's now: 18 November
        (Period.containing("year", datetime.date(2026, 1, 1)), None),
        (Period.custom(datetime.date(2026, 10, 1), datetime.date(2026, 11, 17)), None),  # last month clipped
        (Period.custom(datetime.date(2026, 10, 16), datetime.date(2026, 11, 3)), None),  # first and last clipped
        (AUTUMN, at(15, 9, 30)),  # seen in the middle of October
        (AUTUMN, at(2, 10, 30, month=11)),  # between C's handling and closing
        (AUTUMN, at(3, 9, 15, month=11)),
        (Period.containing("month", datetime.date(2026, 10, 1)), None),
    ],
)
def test_it_gives_each_month_what_the_figures_of_that_month_give(straddling, now, period):
    assert_same(period, now=now or NOW)


def test_it_gives_each_months_figures_for_every_slice(straddling):
    city, now = straddling, NOW
    slices = [
        Slice(grid=city["a"]),
        Slice(grid=city["b"]),
        Slice(grid=city["community"]),
        Slice(department=Department.objects.get(code="sanitation")),
        Slice(department=Department.objects.get(code="enforcement")),
        Slice(chief=city["a"].chief),
        Slice(category=city["garbage"]),
        Slice(major_id=city["garbage"].major_id),
        Slice(source="inspector"),
        Slice(source="citizen"),
    ]
    for slice in slices:
        assert_same(AUTUMN, slice=slice, now=now)


def test_it_follows_late_changes_to_old_months(straddling):
    city, now = straddling, NOW
    returned = Story(city, IN_M2, at(27, 9)).dispatched(27, 9, 0).do("send_back", "handler", at(27, 9, 40))
    facts_refresh()
    before = trend(period=AUTUMN, now=now)
    # filed in October, cancelled in November: it leaves October's figures
    case_transition(case_id=returned.case.pk, action="cancel", actor=city["leader"], note="重复",
                    now=at(10, 9, month=11))  # fmt: skip
    # K, reported in October, filed only in November: October's report, November's filing
    city["stories"]["K"].do("file", "leader", at(10, 10, month=11), category=city["garbage"])
    facts_refresh()
    after = assert_same(AUTUMN, now=now)
    assert (before[1]["assessed"], after[1]["assessed"]) == (11, 10)
    assert (before[1]["cancelled"], after[1]["cancelled"]) == (1, 2)
    assert before[1]["reports_filed"] == after[1]["reports_filed"]  # K was not filed by October's end
    assert (before[2]["filed"], after[2]["filed"]) == (2, 3)


def test_it_counts_octobers_trend_row_as_the_hand_computed_october(straddling):
    months = trend(period=AUTUMN, now=NOW)
    assert [m.period.start.month for m in months] == [9, 10, 11]
    # October by hand (test_figures) plus the case filed 30 Oct (closed in November) and the
    # one filed 29 Oct (suspended in November): 10 assessed, still 5 closed
    assert months[1]["assessed"] == 10 and months[1]["closed"] == 5
    # the case reported on 31 Oct and filed on 1 Nov: a report in October, filed in November
    assert months[1]["reports"] == 14 and months[2]["filed"] == 2


def test_it_keeps_the_months_on_the_rows(straddling):
    facts_refresh()
    fact = CaseFact.objects.filter(reported_on=datetime.date(2026, 10, 31), filed_on=datetime.date(2026, 11, 1)).get()
    assert month_start(fact.reported_month) == datetime.date(2026, 10, 1)
    assert month_start(fact.filed_month) == datetime.date(2026, 11, 1)
    assert fact.closed_month == month_index(datetime.date(2026, 11, 3))
    assert fact.late_month == fact.filed_month  # 4 working hours from Sunday: late on Monday 2 Nov


def test_it_computes_a_years_trend_in_a_fixed_number_of_queries(straddling, django_assert_max_num_queries):
    trend(period=AUTUMN, now=NOW)
    # the city's weights, the stored months, one grouped aggregate over cases and one over
    # events for the months not stored
    with django_assert_max_num_queries(4):
        months = trend(period=Period.containing("year", datetime.date(2026, 1, 1)), now=NOW)
    assert len(months) == 12


@pytest.mark.parametrize("stored", ["stored"], indirect=True)  # about stored months only
def test_it_forgets_a_stored_month_when_one_of_its_cases_changes(straddling, stored):
    october = month_index(datetime.date(2026, 10, 1))
    assert MonthFigures.objects.filter(month=october, dim="all").get().counts["closed"] == 5
    returned = Story(straddling, IN_M2, at(27, 9))  # reported in October, a month already stored
    facts_refresh()
    assert not MonthFigures.objects.filter(month=october).exists()
    assert_same(AUTUMN, now=NOW)
    assert months_refresh(now=NOW) == 1
    assert MonthFigures.objects.filter(month=october, dim="all").get().counts["reports"] == 15
    returned.dispatched(27, 9, 0)  # a case filed and dispatched back in October
    facts_refresh()
    assert_same(AUTUMN, now=NOW)
    assert not MonthFigures.objects.filter(month=october).exists()


@pytest.mark.parametrize("stored", ["stored"], indirect=True)  # about stored months only
def test_it_stores_a_month_for_the_city_and_each_dimension(straddling, stored):
    october = month_index(datetime.date(2026, 10, 1))
    rows = {(r.dim, r.key): r for r in MonthFigures.objects.filter(month=october)}
    city = straddling
    for grid in ("a", "b", "community", "large", "district"):
        assert ("grid", str(city[grid].pk)) in rows, grid
    assert rows[("grid", str(city["community"].pk))].counts == rows[("all", "")].counts
    assert rows[("source", "inspector")].counts == rows[("all", "")].counts
    assert ("department", str(Department.objects.get(code="enforcement").pk)) in rows
    assert ("category", str(city["garbage"].pk)) in rows
    assert ("chief", str(city["a"].chief.pk)) in rows


def test_it_reads_a_combined_slice_from_the_rollup(straddling):
    slice = Slice(grid=straddling["a"], source="inspector")
    assert slice.dimension() is None
    assert_same(AUTUMN, slice=slice, now=NOW)
