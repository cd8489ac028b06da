"""回访 and satisfaction: the citizen's rating, the staff callback, reopening (重办) with the
rework counted, and 响应率 / 解决率 / 满意率 against answers worked out by hand.

A hand-built October 2026 in the test city (tests.assessments.conftest), garbage cases closed
without an on-site check, looked at on 18 November (October's cut-off: 1 Nov 00:00):

  P  reported Wed 14 Oct 09:00, handled 10:00, closed 11:00; the citizen rates 12:00:
     满意, solved, contacted
  Q  reported Thu 15 Oct 09:00, handled 10:00, closed 11:00; callback 15:00:
     基本满意, not solved, not contacted
  R  reported Fri 16 Oct 09:00, handled 10:00, closed 11:00; the citizen rates 14:00:
     不满意, not solved, contacted → reopened (重办) at once, back to 待派遣
  S  reported Mon 19 Oct 09:00, handled 10:00, closed 11:00; never evaluated
  T  reported Tue 20 Oct 09:00, handled 10:00, closed 11:00; callback Mon 2 Nov 10:00:
     不满意, not solved, not contacted (after October's cut-off)

October: evaluated P Q R = 3; contacted P R = 2 → 66.67 %; solved P = 1 → 33.33 %;
satisfied P Q = 2 → 66.67 %; dissatisfied R = 1; reopened R = 1; reworked R = 1 of 5 handled →
rework rate 20.00 %; closed stays 5 (R's first closure, on 16 Oct, stands for October).
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.machines import REOPENER
from assessments.facts import facts_refresh
from assessments.models import AssessmentSettings, CaseFact
from assessments.selectors import Period, figures
from cases.models import CaseEvent, Status
from cases.services import IllegalTransition, InvalidInput, NotPermitted, case_citizen_rating, case_transition
from citizens.services import reopener
from tests.assessments.conftest import IN_M1, Story, at

pytestmark = pytest.mark.django_db

OCTOBER = Period.containing("month", datetime.date(2026, 10, 1))


def closed_on(city, day: int) -> Story:
    story = Story(city, IN_M1, at(day, 9)).dispatched(day, 9, 0).do("handle", "handler", at(day, 10))
    return story.do("close", "leader", at(day, 11))


@pytest.fixture
def rated(chiefs):
    city = chiefs
    city["garbage"].needs_onsite_check = False
    city["garbage"].save()
    s = {day_key: closed_on(city, day) for day_key, day in (("P", 14), ("Q", 15), ("R", 16), ("S", 19), ("T", 20))}
    case_citizen_rating(case_id=s["P"].case.pk, satisfaction="satisfied", solved=True, contacted=True,
                        comment="很快", now=at(14, 12))  # fmt: skip
    case_transition(case_id=s["Q"].case.pk, action="callback", actor=city["leader"], satisfaction="basic",
                    solved=False, contacted=False, note="电话回访", now=at(15, 15))  # fmt: skip
    case_citizen_rating(case_id=s["R"].case.pk, satisfaction="dissatisfied", solved=False, contacted=True,
                        comment="垃圾还在", reopen_actor=reopener(), reopen_note="重办", now=at(16, 14))  # fmt: skip
    case_transition(case_id=s["T"].case.pk, action="callback", actor=city["leader"], satisfaction="dissatisfied",
                    solved=False, contacted=False, now=at(2, 10, month=11))  # fmt: skip
    facts_refresh()
    return {**city, "cases": {key: story.case for key, story in s.items()}}


def test_it_counts_the_three_rates_of_october_by_hand(rated, now):
    f = figures(period=OCTOBER, now=now)
    assert (f["assessed"], f["closed"], f["handled"]) == (5, 5, 5)
    assert (f["evaluated"], f["contacted"], f["solved"], f["satisfied"], f["dissatisfied"]) == (3, 2, 1, 2, 1)
    assert f.percent("response_rate") == Decimal("66.67")  # 2 / 3
    assert f.percent("solution_rate") == Decimal("33.33")  # 1 / 3
    assert f.percent("satisfaction_rate") == Decimal("66.67")  # 2 / 3


def test_it_counts_the_reopening_as_a_rework(rated, now):
    f = figures(period=OCTOBER, now=now)
    assert f["reopened"] == 1 and f["reworked"] == 1 and f["reworks"] == 1  # R
    assert f.percent("rework_rate") == Decimal("20.00")  # 1 / 5 handled
    case = rated["cases"]["R"]
    case.refresh_from_db()
    assert case.status == Status.FILED and case.rework_count == 1 and case.department is None
    fact = CaseFact.objects.get(case=case)
    assert fact.is_open and fact.reopened_at == at(16, 14)


def test_it_counts_a_callback_after_the_cut_off_in_the_later_range_only(rated, now):
    autumn = figures(period=Period.custom(datetime.date(2026, 10, 1), datetime.date(2026, 11, 17)), now=now)
    assert (autumn["evaluated"], autumn["satisfied"]) == (4, 2)  # T called back on 2 Nov
    assert autumn.percent("satisfaction_rate") == Decimal("50.00")


def test_it_weighs_satisfaction_into_the_score_only_when_the_city_chooses(rated, now):
    # handling 5/5, on time 5/5, rework 1/5, overdue 0, extensions 0:
    # (30×1 + 20×1 + 20×0.8 + 20×1 + 10×1) / 100 = 96.00, satisfaction weight 0 by default
    assert figures(period=OCTOBER, now=now).score == Decimal("96.00")
    AssessmentSettings.objects.update_or_create(pk=1, defaults={"weight_satisfaction": 20})
    # (96 + 20 × 2/3) / 120 × 100 = 91.11
    assert figures(period=OCTOBER, now=now).score == Decimal("91.11")


def test_the_citizen_rates_once(rated):
    with translation.override("en"), pytest.raises(IllegalTransition, match="already been rated"):
        case_citizen_rating(case_id=rated["cases"]["P"].pk, satisfaction="dissatisfied", solved=False,
                            contacted=False)  # fmt: skip
    assert CaseEvent.objects.filter(case=rated["cases"]["P"], action="citizen_rating").count() == 1


def test_an_open_case_cannot_be_rated_or_called_back(rated):
    case = rated["cases"]["R"]  # reopened: 待派遣
    with pytest.raises(IllegalTransition):
        case_citizen_rating(case_id=case.pk, satisfaction="satisfied", solved=True, contacted=True)
    with pytest.raises(IllegalTransition):
        case_transition(case_id=case.pk, action="callback", actor=rated["leader"], satisfaction="satisfied",
                        solved=True, contacted=True)  # fmt: skip


def test_a_callback_needs_its_answers_and_a_centre_role(rated):
    case = rated["cases"]["S"]
    with pytest.raises(InvalidInput):
        case_transition(case_id=case.pk, action="callback", actor=rated["leader"], solved=True, contacted=True)
    with pytest.raises(InvalidInput):
        case_transition(case_id=case.pk, action="callback", actor=rated["leader"], satisfaction="very",
                        solved=True, contacted=True)  # fmt: skip
    with pytest.raises(NotPermitted):
        case_transition(case_id=case.pk, action="callback", actor=rated["handler"], satisfaction="satisfied",
                        solved=True, contacted=True)  # fmt: skip


def test_the_shift_leader_reopens_after_a_dissatisfied_callback(rated, now):
    case = rated["cases"]["T"]
    case = case_transition(case_id=case.pk, action="reopen", actor=rated["leader"], note="回访不满意",
                           now=at(2, 11, month=11))  # fmt: skip
    assert case.status == Status.FILED and case.rework_count == 1
    reopened = CaseEvent.objects.get(case=case, action="reopen")
    assert reopened.from_status == Status.CLOSED and reopened.to_status == Status.FILED
    # back in the dispatch queue: dispatched again, handled, closed again
    story_case = case_transition(case_id=case.pk, action="dispatch", actor=rated["dispatcher"], now=at(2, 12, month=11))
    assert story_case.status in (Status.PENDING_APPROVAL, Status.DISPATCHED)


def test_the_citizens_reopening_is_done_by_its_own_account(rated):
    event = CaseEvent.objects.get(case=rated["cases"]["R"], action="reopen")
    assert event.actor.username == REOPENER and not event.actor.is_active


def test_the_api_takes_a_callback(rated, client):
    client.force_login(rated["leader"])
    response = client.post(f"/api/cases/{rated['cases']['S'].pk}/actions/callback/",
                           {"satisfaction": "satisfied", "solved": True, "contacted": True, "note": "ok"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    event = CaseEvent.objects.get(case=rated["cases"]["S"], action="callback")
    assert event.payload["evaluation"] == {"by": "callback", "satisfaction": "satisfied", "solved": True,
                                           "contacted": True}  # fmt: skip


def test_the_api_gives_the_three_rates(rated, client, now):
    client.force_login(rated["leader"])
    response = client.get("/api/assessments/figures/", {"period": "month", "day": "2026-10-01"})
    assert response.status_code == 200
    rates = response.json()["current"]["rates"]
    assert rates["response_rate"] == {"numerator": 2, "denominator": 3, "percent": "66.67"}
    assert rates["solution_rate"]["percent"] == "33.33"
    assert rates["satisfaction_rate"]["percent"] == "66.67"
