"""The command center's own clocks: filing + dispatch, verification, approval, on-site check."""

import datetime

import pytest

from cases.clocks import case_step_clocks
from cases.models import CaseEvent, Urgency
from cases.selectors import work_calendar
from cases.services import case_transition
from tests.cases.conftest import NOW
from tests.photos import with_after_photo


def minutes(n: float) -> datetime.datetime:
    return NOW + datetime.timedelta(minutes=n)  # Wednesday 09:00 + n, inside office hours


def clocks(case, now):
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
    case.refresh_from_db()
    return {c.step: c for c in case_step_clocks(case=case, events=events, calendar=work_calendar(), now=now)}


def act(case, action, user, at, **kwargs):
    return case_transition(case_id=case.pk, action=action, actor=user, now=at, **with_after_photo(action, kwargs))


def test_filing_and_dispatch_turn_yellow_at_24_and_red_after_30_minutes(city, report):
    case = report()
    assert clocks(case, minutes(23))["dispatch"].light == "green"
    assert clocks(case, minutes(24))["dispatch"].light == "yellow"
    late = clocks(case, minutes(31))["dispatch"]
    assert late.light == "red" and late.deadline == minutes(30) and late.stopped_at is None
    act(case, "file", city["clerk"], minutes(5), category=city["garbage"])
    act(case, "dispatch", city["dispatcher"], minutes(12))
    done = clocks(case, minutes(300))["dispatch"]
    assert done.stopped_at == minutes(12) and done.light == "green" and done.elapsed_fraction == pytest.approx(0.4)


def test_an_urgent_report_has_ten_minutes(city, report):
    case = report(urgency=Urgency.URGENT)
    assert clocks(case, minutes(9))["dispatch"].light == "yellow"
    assert clocks(case, minutes(11))["dispatch"].light == "red"


def test_verification_has_its_own_clock_and_does_not_count_for_dispatch(city, report):
    case = report()
    act(case, "verify", city["clerk"], minutes(5))
    act(case, "file", city["inspector"], minutes(45), category=city["garbage"])  # 40 min verifying: red
    act(case, "dispatch", city["dispatcher"], minutes(55))
    found = clocks(case, minutes(60))
    assert found["verify"].light == "red" and found["verify"].stopped_at == minutes(45)
    assert found["dispatch"].elapsed_fraction == pytest.approx(15 / 30)  # 55 minutes less 40 verifying


def test_the_approval_clock_runs_while_the_chief_decides(city, report, settings):
    settings.APPROVAL_LIMIT_MINUTES = 30
    case = report()
    act(case, "file", city["clerk"], minutes(1), category=city["garbage"])
    act(case, "dispatch", city["dispatcher"], minutes(2))
    assert clocks(case, minutes(28))["approval"].light == "yellow"
    act(case, "approve", city["chief"], minutes(40))
    approval = clocks(case, minutes(100))["approval"]
    assert approval.light == "red" and approval.stopped_at == minutes(40)


def test_the_check_clock_has_two_working_hours(city, report):
    case = report()
    act(case, "file", city["clerk"], minutes(1), category=city["garbage"])
    city["garbage"].needs_approval = False
    city["garbage"].save()
    act(case, "dispatch", city["dispatcher"], minutes(2))
    act(case, "handle", city["handler"], minutes(3), note="已清运")
    act(case, "send_to_check", city["dispatcher"], minutes(4))
    assert clocks(case, minutes(4 + 90))["check"].light == "green"
    assert clocks(case, minutes(4 + 100))["check"].light == "yellow"
    act(case, "check_pass", city["inspector"], minutes(4 + 130))  # 11:14, before the lunch break
    check = clocks(case, minutes(400))["check"]
    assert check.light == "red" and check.stopped_at == minutes(134)


def test_the_case_page_shows_the_step_clocks(client, city, report):
    case = report()
    client.force_login(city["clerk"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="step-clocks"' in page and "立案派遣" in page


def test_the_api_answers_the_step_clocks(client, city, report):
    case = report()
    client.force_login(city["clerk"])
    [dispatch] = client.get(f"/api/cases/{case.pk}/").json()["step_clocks"]
    assert dispatch["step"] == "dispatch" and dispatch["stopped_at"] is None and dispatch["light"] == "red"
