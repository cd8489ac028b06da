"""The handling clock read in four places — the case page, a queue row, the SLA sweep and the
assessment rollup — reads the same from one case's events (cases.clocks)."""

from __future__ import annotations

import datetime

import pytest

from assessments.facts import facts_rebuild_cases
from assessments.models import CaseFact
from cases.clocks import case_clock, row_light
from cases.models import Case
from cases.selectors import work_calendar
from cases.services import case_transition
from cases.sla import sla_sweep_handling
from tests.cases.conftest import NOW
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def act(case, action, user, when, **params):
    return case_transition(case_id=case.pk, action=action, actor=user, now=when, **with_after_photo(action, params))


def readings(case_id: int, now: datetime.datetime) -> tuple[str, str, str]:
    case = Case.objects.select_related("category").get(pk=case_id)
    events = list(case.events.order_by("at", "id"))
    calendar = work_calendar()
    page = case_clock(case=case, events=events, calendar=calendar, now=now)
    row = row_light(case, calendar, now)
    swept = sla_sweep_handling(now=now).lights[case_id]
    return page.light, row.colour, swept


def test_the_page_the_queue_and_the_sweep_read_one_light(city, report):
    case = report()
    act(case, "file", city["clerk"], NOW, category=city["garbage"])  # 4 working hours
    act(case, "dispatch", city["dispatcher"], NOW)
    act(case, "approve", city["chief"], NOW)  # Wednesday 09:00: due 14:30 (lunch 12:00–13:30)
    seen = []
    for hours in (1, 5, 5.4, 6):
        page, row, swept = readings(case.pk, NOW + hours * HOUR)
        assert page == row == swept, hours
        seen.append(page)
    assert seen == ["green", "yellow", "yellow", "red"]


def test_a_suspension_counts_neither_on_the_page_nor_in_the_rollup(city, report):
    case = report()
    act(case, "file", city["clerk"], NOW, category=city["garbage"])
    act(case, "dispatch", city["dispatcher"], NOW)
    act(case, "approve", city["chief"], NOW)
    act(case, "suspend", city["leader"], NOW + HOUR, note="待协调")
    act(case, "resume", city["leader"], NOW + 26 * HOUR)  # Thursday 11:00
    page, row, swept = readings(case.pk, NOW + 26 * HOUR)
    assert page == row == swept == "green"  # one working hour used of four
    handled = act(case, "handle", city["handler"], NOW + 27 * HOUR, note="已清运")
    events = list(handled.events.order_by("at", "id"))
    clock = case_clock(case=handled, events=events, calendar=work_calendar(), now=NOW + 30 * HOUR)
    assert clock.stopped_at == NOW + 27 * HOUR
    facts_rebuild_cases([case.pk])
    hours = CaseFact.objects.get(case_id=case.pk).handling_hours
    assert float(hours) == pytest.approx(clock.elapsed_fraction * 4) == pytest.approx(2.0)
