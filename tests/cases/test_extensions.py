"""Extension (延期) and suspension (挂账) requests: asked by the department, decided by the centre."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import translation

from accounts.roles import Role
from cases.models import Case, CaseEvent, Department, Notification, Status
from cases.selectors import case_events, open_request
from cases.services import (
    CaseActionError,
    CaseNotFound,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    case_transition,
)
from cases.transitions import REQUESTS
from tests.cases.conftest import NOW, SHANGHAI
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db

# The garbage category: 4 working hours from Wednesday 09:00 → 14:30 the same day.
DEADLINE = datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def case_open_request(*, case, kind):
    request = REQUESTS[kind]
    return open_request(case_events(case_id=case.pk), ask=request.ask, decisions=request.decisions)


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **with_after_photo(action, kwargs))


@pytest.fixture
def dispatched(city, report):
    def make():
        case = report()
        act(case, "file", city["clerk"], category=city["garbage"])
        act(case, "dispatch", city["dispatcher"])
        return act(case, "approve", city["chief"])

    return make


def events(case, *actions):
    return list(CaseEvent.objects.filter(case=case, action__in=actions).order_by("pk"))


def test_it_moves_the_deadline_by_the_working_time_asked_and_counts(city, dispatched):
    case = dispatched()
    assert case.handling_deadline == DEADLINE
    case = act(case, "request_extension", city["handler"], note="需调用吊车", amount=2, unit="working_hours")
    assert case.status == Status.DISPATCHED and case.handling_deadline == DEADLINE and case.extension_count == 0
    [asked] = events(case, "request_extension")
    assert (asked.from_status, asked.to_status, asked.note) == (Status.DISPATCHED, Status.DISPATCHED, "需调用吊车")
    assert asked.payload == {"amount": "2", "unit": "working_hours"}
    assert case_open_request(case=case, kind="extension") == asked

    case = act(case, "approve_extension", city["leader"])
    assert case.handling_deadline == datetime.datetime(2026, 11, 18, 16, 30, tzinfo=SHANGHAI)
    assert case.extension_count == 1 and case.status == Status.DISPATCHED
    [approved] = events(case, "approve_extension")
    assert approved.actor == city["leader"] and approved.payload["request"] == asked.pk
    assert approved.payload["deadline"] == case.handling_deadline.isoformat()
    assert case_open_request(case=case, kind="extension") is None
    stored = Case.objects.get(pk=case.pk)
    assert (stored.handling_deadline, stored.extension_count) == (case.handling_deadline, 1)


def test_it_counts_working_days_from_the_current_deadline_across_the_weekend(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="材料未到", amount="2.5", unit="working_days")
    case = act(case, "approve_extension", city["leader"])
    # 2.5 working days of 7.5 h = 18.75 h from Wednesday 14:30: 3 h that day, Thursday and Friday
    # 7.5 h each, 0.75 h on Monday → Monday 09:15
    assert case.handling_deadline == datetime.datetime(2026, 11, 23, 9, 15, tzinfo=SHANGHAI)


def test_it_moves_the_deadline_to_the_date_asked_when_the_grid_chief_approves(city, dispatched):
    case = dispatched()
    wanted = datetime.datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI)
    act(case, "request_extension", city["handler"], note="周五前完成", deadline=wanted)
    case = act(case, "approve_extension", city["chief"])
    assert case.handling_deadline == wanted and case.extension_count == 1


def test_it_counts_every_approved_extension(city, dispatched):
    case = dispatched()
    for _round in range(2):
        act(case, "request_extension", city["handler"], note="再延", amount=1, unit="hours")
        case = act(case, "approve_extension", city["leader"])
    assert case.extension_count == 2
    assert case.handling_deadline == DEADLINE + datetime.timedelta(hours=2)


def test_it_refuses_an_extension_with_a_reason_and_keeps_the_deadline(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="人手不足", amount=1, unit="working_days")
    with pytest.raises(InvalidInput, match="Give a reason"):
        act(case, "refuse_extension", city["leader"])
    case = act(case, "refuse_extension", city["leader"], note="时限内可完成")
    assert case.handling_deadline == DEADLINE and case.extension_count == 0
    [refused] = events(case, "refuse_extension")
    assert refused.note == "时限内可完成" and refused.payload == {"request": events(case, "request_extension")[0].pk}
    assert case_open_request(case=case, kind="extension") is None
    act(case, "request_extension", city["handler"], note="再申请", amount=1, unit="hours")  # a new one may follow


def test_it_refuses_a_second_request_while_one_is_open(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="一", amount=1, unit="hours")
    with pytest.raises(IllegalTransition, match="already waiting") as caught:
        act(case, "request_extension", city["handler"], note="二", amount=2, unit="hours")
    assert caught.value.status_code == 409 and caught.value.current_status == Status.DISPATCHED
    assert len(events(case, "request_extension")) == 1


@pytest.mark.parametrize(("action", "note"), [("approve_extension", ""), ("refuse_extension", "不批")])
def test_it_refuses_to_decide_when_no_request_is_open(city, dispatched, action, note):
    case = dispatched()
    with pytest.raises(IllegalTransition, match="no extension request") as caught:
        act(case, action, city["leader"], note=note)
    assert caught.value.status_code == 409 and caught.value.current_status == Status.DISPATCHED
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    act(case, "approve_extension", city["leader"])
    with pytest.raises(IllegalTransition):  # that request is decided: nothing is open now
        act(case, action, city["leader"], note=note)
    assert Case.objects.get(pk=case.pk).extension_count == 1


@pytest.mark.parametrize(
    ("action", "user"),
    [
        ("request_extension", "leader"),
        ("request_extension", "dispatcher"),
        ("request_extension", "chief"),
        ("request_extension", "outsider"),
        ("approve_extension", "handler"),
        ("approve_extension", "dispatcher"),
        ("approve_extension", "inspector"),
        ("approve_extension", "supervisor"),
        ("refuse_extension", "handler"),
        ("request_suspension", "leader"),
        ("suspend", "handler"),
        ("refuse_suspension", "handler"),
        ("refuse_suspension", "chief"),
    ],
)
def test_it_refuses_a_role_that_may_not_act(city, dispatched, action, user):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    act(case, "request_suspension", city["handler"], note="x")
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(NotPermitted) as caught:
        act(case, action, city[user], note="x", amount=1, unit="hours")
    assert caught.value.status_code == 403
    assert CaseEvent.objects.filter(case=case).count() == before


def test_it_refuses_another_department_and_a_neighbouring_chief(city, dispatched):
    case = dispatched()
    with pytest.raises(CaseNotFound, match="not one you may see"):
        act(case, "request_extension", city["other_handler"], note="x", amount=1, unit="hours")
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    with pytest.raises(CaseNotFound, match="not one you may see"):
        act(case, "approve_extension", city["neighbour"])
    assert Case.objects.get(pk=case.pk).extension_count == 0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "Say how much more time"),
        ({"amount": 2}, "Say how much more time"),
        ({"unit": "hours"}, "Say how much more time"),
        ({"amount": 0, "unit": "hours"}, "more than zero"),
        ({"amount": -1, "unit": "hours"}, "more than zero"),
        ({"amount": "lots", "unit": "hours"}, "must be a number"),
        ({"amount": "NaN", "unit": "hours"}, "more than zero"),
        ({"amount": 1, "unit": "weeks"}, "Unknown time unit"),
        ({"amount": 1, "unit": "hours", "deadline": DEADLINE + datetime.timedelta(days=1)}, "not both"),
        ({"deadline": DEADLINE}, "later than the current one"),
        ({"deadline": datetime.datetime(2026, 11, 20, 17, 0)}, "time zone"),  # noqa: DTZ001
        ({"deadline": "2026-11-20"}, "time zone"),
    ],
)
def test_it_refuses_an_unclear_request(city, dispatched, given, message):
    case = dispatched()
    with pytest.raises(InvalidInput, match=message):
        act(case, "request_extension", city["handler"], note="x", **given)
    assert events(case, "request_extension") == []


def test_it_needs_a_reason_to_ask(city, dispatched):
    case = dispatched()
    with pytest.raises(InvalidInput, match="Give a reason"):
        act(case, "request_extension", city["handler"], amount=1, unit="hours")
    with pytest.raises(InvalidInput, match="Give a reason"):
        act(case, "request_suspension", city["handler"])


def test_it_asks_only_while_the_case_is_dispatched(city, dispatched):
    case = dispatched()
    act(case, "handle", city["handler"], note="已清运")
    with pytest.raises(IllegalTransition, match="not possible while the case is “Handled”"):
        act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")


def test_it_takes_a_repeated_request_once(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours", request_id="ext-1")
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours", request_id="ext-1")
    act(case, "approve_extension", city["leader"], request_id="ok-1")
    case = act(case, "approve_extension", city["leader"], request_id="ok-1")
    assert case.extension_count == 1 and len(events(case, "request_extension", "approve_extension")) == 2


def test_it_lets_an_open_request_lapse_when_the_case_is_handled(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    act(case, "handle", city["handler"], note="已清运")
    act(case, "send_to_check", city["dispatcher"])
    act(case, "check_fail", city["inspector"], note="仍有残留")  # rework: dispatched again
    with pytest.raises(IllegalTransition, match="no extension request"):
        act(case, "approve_extension", city["leader"])
    act(case, "request_extension", city["handler"], note="返工需时", amount=1, unit="hours")


def test_it_keeps_an_extension_request_open_across_a_suspension(city, dispatched):
    case = dispatched()
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="working_hours")
    act(case, "suspend", city["leader"], note="等待产权单位")
    # Wednesday 09:00 → Thursday 09:00 suspended: the deadline moves a working day, to Thursday 14:30
    case = act(case, "resume", city["leader"], now=NOW + datetime.timedelta(days=1))
    case = act(case, "approve_extension", city["leader"], now=NOW + datetime.timedelta(days=1))
    assert case.handling_deadline == datetime.datetime(2026, 11, 19, 15, 30, tzinfo=SHANGHAI)


def test_it_does_not_tell_the_department_again_about_a_case_it_has(city, dispatched):
    Department.objects.filter(code="sanitation").update(emails="huanwei@example.cn")
    case = dispatched()
    sent = Notification.objects.filter(case=case).count()
    assert sent == 1
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    act(case, "approve_extension", city["leader"])
    act(case, "request_suspension", city["handler"], note="y")
    act(case, "refuse_suspension", city["leader"], note="z")
    assert Notification.objects.filter(case=case).count() == sent


def test_it_suspends_on_the_department_request_when_the_shift_leader_approves(city, dispatched):
    case = dispatched()
    case = act(case, "request_suspension", city["handler"], note="涉及产权纠纷，需长期处理")
    assert case.status == Status.DISPATCHED
    [asked] = events(case, "request_suspension")
    assert (asked.from_status, asked.to_status) == (Status.DISPATCHED, Status.DISPATCHED)
    with pytest.raises(IllegalTransition, match="already waiting"):
        act(case, "request_suspension", city["handler"], note="again")
    case = act(case, "suspend", city["leader"], note="同意挂账")
    assert case.status == Status.SUSPENDED and case.suspended_at == NOW
    assert events(case, "suspend")[0].payload == {"request": asked.pk}
    assert case_open_request(case=case, kind="suspension") is None


def test_it_refuses_a_suspension_request_and_the_case_stays_with_the_department(city, dispatched):
    case = dispatched()
    with pytest.raises(IllegalTransition, match="no suspension request"):
        act(case, "refuse_suspension", city["leader"], note="x")
    act(case, "request_suspension", city["handler"], note="需长期处理")
    case = act(case, "refuse_suspension", city["leader"], note="可在时限内解决")
    assert case.status == Status.DISPATCHED and case.suspended_at is None
    act(case, "request_suspension", city["handler"], note="再次申请")


def test_it_still_lets_the_shift_leader_suspend_without_a_request(city, dispatched):
    case = act(dispatched(), "suspend", city["leader"], note="领导决定挂账")
    assert case.status == Status.SUSPENDED
    assert events(case, "suspend")[0].payload == {"request": None}


@pytest.mark.django_db(transaction=True)
def test_it_approves_one_request_once_when_two_decide_at_the_same_moment(city, dispatched, make_user):
    second_leader = make_user("leader2", Role.SHIFT_LEADER)
    case = dispatched()
    act(case, "request_extension", city["handler"], note="x", amount=1, unit="hours")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(user) -> None:
        try:
            barrier.wait(timeout=10)
            act(case, "approve_extension", user)
            outcomes[user.username] = "won"
        except CaseActionError as exc:
            outcomes[user.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in (city["leader"], second_leader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    losers = [outcome for outcome in outcomes.values() if outcome != "won"]
    assert len(losers) == 1 and losers[0].status_code == 409, outcomes
    case.refresh_from_db()
    assert case.extension_count == 1 and case.handling_deadline == DEADLINE + datetime.timedelta(hours=1)
    assert len(events(case, "approve_extension")) == 1
