"""Rankings: ties share a rank, units below the minimum count are listed but not ranked."""

import datetime
from decimal import Decimal

import pytest

from assessments.models import AssessmentSettings
from assessments.selectors import (
    COUNTS,
    Figures,
    Period,
    _rank,
    department_ranking,
    grade,
    grid_ranking,
)
from cases.models import Department
from tests.grids.factories import GridFactory

pytestmark = pytest.mark.django_db

OCTOBER = Period.containing("month", datetime.date(2026, 10, 1))
WEIGHTS = {"handling": Decimal(30), "on_time": Decimal(20), "rework": Decimal(20), "overdue": Decimal(20),
           "extension": Decimal(10)}  # fmt: skip


class Unit:
    def __init__(self, code):
        self.code = code


def made(assessed, closed):
    counts = dict.fromkeys(COUNTS, 0)
    counts.update(assessed=assessed, closed=closed, dispatched=assessed, handled=closed, on_time_base=assessed,
                  closed_on_time=closed, handled_base=closed, handled_on_time=closed)  # fmt: skip
    return Figures(OCTOBER, datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC), counts, weights=WEIGHTS)


def test_it_gives_ties_the_same_rank_and_skips_the_next():
    units = [(Unit("u1"), made(10, 9)), (Unit("u2"), made(20, 18)), (Unit("u3"), made(10, 10)),
             (Unit("u4"), made(10, 5)), (Unit("tiny"), made(2, 2))]  # fmt: skip
    units.append((Unit("u5"), made(10, 9)))  # equal to u1 on every figure and count
    ranked = _rank(units, order="closure_rate", min_cases=5)
    # u1, u2 and u5 close 90 %, on time 90 % too: then by the count, u2's 20 cases before the 10 of
    # u1 and u5, who share rank 3 (equal on everything); the next is 5th
    assert [(r.unit.code, r.rank) for r in ranked] == [("u3", 1), ("u2", 2), ("u1", 3), ("u5", 3), ("u4", 5),
                                                       ("tiny", None)]  # fmt: skip
    assert [r.figures.percent("closure_rate") for r in ranked][:4] == [Decimal("100.00"), Decimal("90.00"),
                                                                       Decimal("90.00"), Decimal("90.00")]  # fmt: skip


def test_it_ranks_by_score_and_grades():
    ranked = _rank([(Unit("a"), made(10, 10)), (Unit("b"), made(10, 5))], order="score", min_cases=1)
    # a: 30 + 20 + 20 + 20 + 10 = 100; b: handled 5 of 10 → 15, the 5 handled all on time → 20,
    # + 20 + 20 + 10 = 85
    assert [(r.unit.code, r.figures.score, r.figures.grade) for r in ranked] == [
        ("a", Decimal("100.00"), "A"),
        ("b", Decimal("85.00"), "B"),
    ]
    assert [grade(Decimal(x)) for x in ("90", "89.99", "75", "60", "40", "39.99")] == ["A", "B", "B", "C", "D", "E"]


def test_it_ranks_the_micro_grids_of_october(october, now):
    ranked = grid_ranking(period=OCTOBER, level="micro", order="closure_rate", now=now, min_cases=1)
    assert [(r.unit.code, r.rank, r.figures.percent("closure_rate")) for r in ranked] == [
        ("M2", 1, Decimal("66.67")),
        ("M1", 2, Decimal("60.00")),
    ]


def test_it_lists_units_below_the_minimum_without_a_rank(october, now):
    AssessmentSettings.objects.create(pk=1, min_cases=4)
    GridFactory(level="micro", code="M3", parent=october["community"])  # no cases at all
    ranked = grid_ranking(period=OCTOBER, level="micro", now=now)
    assert [(r.unit.code, r.rank, r.figures["assessed"]) for r in ranked] == [
        ("M1", 1, 5),
        ("M2", None, 3),
        ("M3", None, 0),
    ]


def test_it_ranks_grids_only_inside_the_given_grid(october, now):
    other = october["other_community"]
    ranked = grid_ranking(period=OCTOBER, level="community", within=october["large"], now=now, min_cases=1)
    assert {r.unit.code for r in ranked} == {"C1", other.code}
    inside = grid_ranking(period=OCTOBER, level="micro", within=october["community"], now=now, min_cases=1)
    assert {r.unit.code for r in inside} == {"M1", "M2"}


def test_it_ranks_departments(october, now):
    ranked = department_ranking(period=OCTOBER, now=now, min_cases=1)
    by_code = {r.unit.code: r for r in ranked}
    assert by_code["sanitation"].figures["assessed"] == 7 and by_code["enforcement"].figures["assessed"] == 1
    assert by_code["enforcement"].rank == 1  # H: handled and closed on time, no rework
    assert len(ranked) == Department.objects.count()
    assert all(r.rank is None for r in ranked if r.figures["assessed"] == 0)
