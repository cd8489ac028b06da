"""The case state machine through cases.services: every branch, roles, scope, the audit trail."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from cases.models import Case, CaseEvent, Department, Status, Urgency
from cases.services import (
    CaseNotFound,
    IllegalTransition,
    InvalidInput,
    NotPermitted,
    StaleAction,
    case_report,
    case_transition,
)
from tests.cases.conftest import IN_M1, NOW, SHANGHAI
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **with_after_photo(action, kwargs))


def history(case):
    return list(CaseEvent.objects.filter(case=case).values_list("action", "from_status", "to_status"))


def test_it_takes_in_a_report_with_grid_chief_and_tracking_number(city, report):
    case = report()
    assert case.status == Status.REPORTED
    assert case.tracking_number == "202611180001"
    assert (case.micro_grid, case.community_grid, case.large_grid, case.district_grid) == (
        city["a"],
        city["community"],
        city["large"],
        city["district"],
    )
    assert case.responsible == city["a"].chief and case.responsible_role == "micro_chief"
    assert report().tracking_number == "202611180002"
    assert history(case) == [("report", "", "reported")]


def test_it_refuses_a_report_outside_the_city_and_stores_nothing(city):
    with pytest.raises(InvalidInput, match="outside the city"):
        case_report(source="citizen", point=Point(120.0, 30.0, srid=4326), now=NOW)
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_it_takes_a_double_submitted_report_once(city, report):
    first = report(request_id="r-1")
    second = report(request_id="r-1")
    assert first.pk == second.pk and Case.objects.count() == 1


def test_it_runs_the_whole_loop_with_approval_and_rework(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    case = act(case, "dispatch", city["dispatcher"])
    assert case.status == Status.PENDING_APPROVAL
    assert case.approver == city["a"].chief and case.department.code == "sanitation"
    case = act(case, "approve", city["chief"])
    assert case.status == Status.DISPATCHED
    # 4 working hours from Wednesday 09:00
    assert case.handling_deadline == datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)
    act(case, "handle", city["handler"], note="已清运")
    act(case, "send_to_check", city["dispatcher"])
    case = act(case, "check_fail", city["inspector"], note="仍有残留")
    assert case.status == Status.DISPATCHED and case.rework_count == 1
    act(case, "handle", city["handler"], note="再次清运")
    act(case, "send_to_check", city["dispatcher"])
    case = act(case, "check_pass", city["inspector"])
    assert case.status == Status.CHECKED and case.closed_at is None  # 核查通过: the centre closes (结案)
    with pytest.raises(NotPermitted):
        act(case, "close", city["inspector"])
    case = act(case, "close", city["leader"])
    assert case.status == Status.CLOSED and case.closed_at == NOW
    assert [step[0] for step in history(case)] == [
        "report", "file", "dispatch", "approve", "handle", "send_to_check", "check_fail", "handle",
        "send_to_check", "check_pass", "close",
    ]  # fmt: skip
    events = CaseEvent.objects.filter(case=case)
    assert events.get(action="approve").actor == city["chief"]
    assert events.get(action="check_fail").note == "仍有残留"
    case.refresh_from_db()
    assert case.status == Status.CLOSED  # what the service returned is what was stored


def test_it_goes_back_to_the_dispatcher_when_the_chief_refuses(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    with pytest.raises(InvalidInput, match="Give a reason"):
        act(case, "refuse", city["chief"])
    case = act(case, "refuse", city["chief"], note="不是环卫的事")
    assert case.status == Status.FILED and case.department is None
    assert CaseEvent.objects.get(case=case, action="refuse").note == "不是环卫的事"
    case = act(case, "dispatch", city["dispatcher"], department=Department.objects.get(code="enforcement"))
    assert case.status == Status.PENDING_APPROVAL and case.department.code == "enforcement"


def test_it_re_dispatches_a_case_sent_back(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    act(case, "approve", city["chief"])
    case = act(case, "send_back", city["handler"], note="属于执法局")
    assert case.status == Status.RETURNED and case.send_back_count == 1 and case.department is None
    with pytest.raises(CaseNotFound):  # out of the department's sight while it waits for re-dispatch
        act(case, "handle", city["handler"], note="x")
    case = act(case, "dispatch", city["dispatcher"], department=Department.objects.get(code="enforcement"))
    case = act(case, "approve", city["chief"])
    assert case.status == Status.DISPATCHED
    with pytest.raises(CaseNotFound):  # no longer the sanitation department's case: not theirs to see
        act(case, "handle", city["handler"], note="x")
    act(case, "handle", city["other_handler"], note="已处理")


def test_it_dispatches_an_urgent_case_without_waiting(city, report):
    case = report(urgency=Urgency.URGENT)
    act(case, "file", city["clerk"], category=city["garbage"])
    case = act(case, "dispatch", city["dispatcher"])
    assert case.status == Status.DISPATCHED and case.approver is None
    dispatch = CaseEvent.objects.get(case=case, action="dispatch")
    assert dispatch.to_status == Status.DISPATCHED
    chief = city["a"].chief
    assert dispatch.payload["informed"] == {"id": chief.pk, "name": chief.name}  # the chief is told


def test_the_chief_sees_the_urgent_dispatches_they_were_told_of(client, city, report):
    from django.utils import timezone

    case = case_report(source="inspector", point=IN_M1, urgency=Urgency.URGENT)  # now: within the page's 7 days
    act(case, "file", city["clerk"], category=city["garbage"], now=timezone.now())
    act(case, "dispatch", city["dispatcher"], now=timezone.now())
    client.force_login(city["chief"])
    page = client.get("/cases/approvals/")
    assert [event.case_id for event in page.context["told"]] == [case.pk]
    assert 'id="urgent-told"' in page.content.decode()
    client.force_login(city["neighbour"])
    assert list(client.get("/cases/approvals/").context["told"]) == []


def test_it_excludes_suspended_time_from_the_deadline(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    case = act(case, "approve", city["chief"])
    deadline = case.handling_deadline
    act(case, "suspend", city["leader"], note="等待产权单位")
    # suspended Wednesday 09:00 → Thursday 09:00: one working day (7.5 working hours) does not count
    case = act(case, "resume", city["leader"], now=NOW + datetime.timedelta(days=1))
    assert case.handling_deadline == datetime.datetime(2026, 11, 19, 14, 30, tzinfo=SHANGHAI)
    assert case.handling_deadline > deadline and case.suspended_at is None


def test_it_closes_without_a_check_only_by_the_shift_leader(city, report):
    city["garbage"].needs_onsite_check = False
    city["garbage"].save()
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    act(case, "approve", city["chief"])
    act(case, "handle", city["handler"], note="ok")
    with pytest.raises(NotPermitted):
        act(case, "close", city["dispatcher"])
    assert act(case, "close", city["leader"]).status == Status.CLOSED


def test_it_refuses_to_close_without_a_check_when_the_category_needs_one(city, report):
    assert city["garbage"].needs_onsite_check
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    act(case, "approve", city["chief"])
    act(case, "handle", city["handler"], note="ok")
    with translation.override("en"), pytest.raises(IllegalTransition, match="needs an on-site check"):
        act(case, "close", city["leader"])
    case.refresh_from_db()
    assert case.status == Status.HANDLED and case.closed_at is None


def test_it_rejects_and_cancels_with_a_reason(city, report):
    rejected = act(report(), "reject", city["clerk"], note="重复上报")
    assert rejected.status == Status.REJECTED
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    assert act(case, "cancel", city["leader"], note="误报").status == Status.CANCELLED


def test_it_verifies_through_an_inspector(city, report):
    case = act(report(), "verify", city["clerk"])
    assert case.status == Status.VERIFYING
    assert act(case, "file", city["inspector"], category=city["garbage"]).status == Status.FILED


def test_it_refuses_an_illegal_transition_with_the_current_status(city, report):
    case = report()
    with pytest.raises(IllegalTransition, match="not possible while the case is “Reported”") as caught:
        act(case, "approve", city["chief"])
    assert caught.value.current_status == Status.REPORTED and caught.value.status_code == 409
    with pytest.raises(IllegalTransition):
        act(act(case, "reject", city["clerk"], note="x"), "file", city["clerk"], category=city["garbage"])


@pytest.mark.parametrize(
    ("action", "user"),
    [
        ("file", "handler"),
        ("file", "supervisor"),
        ("file", "outsider"),
        ("dispatch", "clerk"),
        ("approve", "dispatcher"),
    ],
)
def test_it_refuses_a_role_that_may_not_act(city, report, action, user):
    case = report()
    with pytest.raises(NotPermitted) as caught:
        act(case, action, city[user], category=city["garbage"])
    assert caught.value.status_code == 403
    assert history(case) == [("report", "", "reported")]


def test_it_refuses_a_chief_of_a_neighbouring_grid_and_another_department(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    # Neither may see the case: they are told no more than about a case that does not exist.
    with pytest.raises(CaseNotFound, match="not one you may see"):
        act(case, "approve", city["neighbour"])
    act(case, "approve", city["chief"])
    with pytest.raises(CaseNotFound):
        act(case, "handle", city["other_handler"], note="x")
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED


def test_a_higher_chief_may_approve_in_their_subtree(city, report, make_user):
    from accounts.roles import Role

    boss = make_user("boss", Role.GRID_CHIEF)
    city["large"].chief.user = boss
    city["large"].chief.save()
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    assert act(case, "approve", boss).status == Status.DISPATCHED


def test_it_does_not_apply_a_repeated_request_twice(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])
    act(case, "approve", city["chief"], request_id="approve-1")
    again = act(case, "approve", city["chief"], request_id="approve-1")
    assert again.status == Status.DISPATCHED
    assert CaseEvent.objects.filter(case=case, action="approve").count() == 1


def test_it_refuses_a_stale_action(city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    with pytest.raises(StaleAction, match="now “Filed”") as caught:
        act(case, "reject", city["leader"], note="x", expected_status=Status.REPORTED)
    assert caught.value.current_status == Status.FILED and caught.value.status_code == 409


def test_it_needs_a_category_to_file(city, report):
    with pytest.raises(InvalidInput, match="Choose a category"):
        act(report(), "file", city["clerk"])


def test_a_shop_chief_sees_the_cases_they_answer_for_and_no_others(city, report, make_user):
    from accounts.roles import Role
    from cases.scope import cases_visible_to
    from tests.grids.factories import PersonFactory, PlaceFactory

    shop_chief = make_user("shop_chief", Role.GRID_CHIEF)
    PlaceFactory(geometry=IN_M1, micro_grid=city["a"], chief=PersonFactory(name="门店长", user=shop_chief))
    theirs = report()
    assert theirs.responsible.user == shop_chief
    elsewhere = case_report(source="hotline", point=Point(118.615, 34.905, srid=4326), now=NOW)
    assert list(cases_visible_to(user=shop_chief)) == [theirs]
    assert elsewhere not in cases_visible_to(user=shop_chief)
