"""The clocks' sweeps (cases.sla): warnings, overdue marks and escalation, late approvals."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.roles import Role
from cases import tasks
from cases.models import Case, CaseEvent, Department, Status
from cases.selectors import work_calendar
from cases.services import case_transition
from cases.sla import sla_sweep_approvals, sla_sweep_handling
from tests.cases.conftest import NOW, SHANGHAI
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
# The garbage category: 4 working hours from Wednesday 09:00 → 14:30 the same day.
DEADLINE = datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **with_after_photo(action, kwargs))


def used(fraction, start=NOW, limit_hours=4):
    """The moment `fraction` of a limit of `limit_hours` working hours from `start` is used up."""
    return work_calendar().add(start, Decimal(limit_hours) * Decimal(str(fraction)), "working_hours")


def marks(case, action=None):
    actions = [action] if action else ["sla_warning", "sla_overdue"]
    return list(CaseEvent.objects.filter(case=case, action__in=actions).order_by("pk"))


@pytest.fixture
def waiting(city, report):
    """A case waiting for its micro grid chief's approval since NOW."""

    def make():
        case = report()
        act(case, "file", city["clerk"], category=city["garbage"])
        return act(case, "dispatch", city["dispatcher"])

    return make


@pytest.fixture
def dispatched(city, waiting):
    """A case dispatched at NOW, with a deadline at 14:30."""

    def make():
        return act(waiting(), "approve", city["chief"])

    return make


@pytest.fixture
def head(city, make_user):
    user = make_user("head", Role.DEPARTMENT_HANDLER, first_name="环卫处长")
    Department.objects.filter(code="sanitation").update(head=user)
    return user


# ---- handling clock -----------------------------------------------------------------------


def test_it_warns_at_80_and_marks_overdue_above_100_percent_once_each(city, dispatched, head):
    case = dispatched()
    assert case.handling_deadline == DEADLINE == used(1.0)

    assert sla_sweep_handling(now=used(0.79)).lights == {case.pk: "green"}
    assert marks(case) == []

    sweep = sla_sweep_handling(now=used(0.8))
    assert (sweep.lights, sweep.warned, sweep.overdue) == ({case.pk: "yellow"}, [case.pk], [])
    [warning] = marks(case)
    assert warning.action == "sla_warning" and warning.at == used(0.8) and warning.actor is None
    assert (warning.from_status, warning.to_status) == (Status.DISPATCHED, Status.DISPATCHED)
    assert warning.payload["threshold"] == 0.8 and warning.payload["fraction"] == 0.8
    assert datetime.datetime.fromisoformat(warning.payload["deadline"]) == DEADLINE
    assert not Case.objects.get(pk=case.pk).overdue

    sweep = sla_sweep_handling(now=used(1.0))
    assert (sweep.lights, sweep.warned, sweep.overdue) == ({case.pk: "yellow"}, [], [])

    sweep = sla_sweep_handling(now=used(1.01))
    assert (sweep.lights, sweep.warned, sweep.overdue) == ({case.pk: "red"}, [], [case.pk])
    overdue = marks(case, "sla_overdue")[0]
    assert overdue.payload["threshold"] == 1.0 and overdue.payload["fraction"] == 1.01
    assert (overdue.from_status, overdue.to_status) == (Status.DISPATCHED, Status.DISPATCHED)
    stored = Case.objects.get(pk=case.pk)
    assert stored.overdue and stored.status == Status.DISPATCHED

    for later in (used(1.01), used(1.5), used(3)):
        again = sla_sweep_handling(now=later)
        assert (again.warned, again.overdue) == ([], [])
    assert [event.action for event in marks(case)] == ["sla_warning", "sla_overdue"]


def test_it_names_the_community_chief_and_the_department_head_when_a_case_is_overdue(city, dispatched, head):
    case = dispatched()
    sla_sweep_handling(now=used(1.01))
    [overdue] = marks(case)
    community_chief = city["community"].chief
    assert overdue.payload["escalated_to"] == {
        "grid_chief": {"id": community_chief.pk, "name": community_chief.name},
        "department_head": {"user_id": head.pk, "name": "环卫处长"},
    }
    assert overdue.payload["department"]["id"] == case.department_id


def test_it_escalates_past_a_community_grid_without_a_chief_and_a_department_without_a_head(city, dispatched):
    city["community"].chief = None
    city["community"].save()
    case = dispatched()
    sla_sweep_handling(now=used(1.01))
    large_chief = city["large"].chief
    assert marks(case)[0].payload["escalated_to"] == {
        "grid_chief": {"id": large_chief.pk, "name": large_chief.name},
        "department_head": None,
    }


def test_it_marks_only_overdue_when_it_first_finds_a_case_late(city, dispatched):
    case = dispatched()
    sweep = sla_sweep_handling(now=used(2))
    assert (sweep.warned, sweep.overdue) == ([], [case.pk])
    assert [event.action for event in marks(case)] == ["sla_overdue"]
    sla_sweep_handling(now=used(2.5))
    assert len(marks(case)) == 1


def test_it_does_not_sweep_a_suspended_case(city, dispatched):
    case = dispatched()
    act(case, "suspend", city["leader"], note="等待产权单位", now=used(0.25))  # 10:00, a quarter used
    sweep = sla_sweep_handling(now=used(3))
    assert sweep.lights == {} and marks(case) == []
    assert not Case.objects.get(pk=case.pk).overdue


def test_it_does_not_count_the_suspended_time_after_resumption(city, dispatched):
    case = dispatched()
    act(case, "suspend", city["leader"], note="等待产权单位", now=used(0.25))
    thursday = datetime.datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI)
    act(case, "resume", city["leader"], now=thursday)
    # 1 h used before, 2 h after (10:00–12:00): 75 %; 2.2 h after (… 13:42): 80 %
    assert sla_sweep_handling(now=thursday.replace(hour=13, minute=30)).lights == {case.pk: "green"}
    sweep = sla_sweep_handling(now=thursday.replace(hour=13, minute=42))
    assert sweep.lights == {case.pk: "yellow"} and sweep.warned == [case.pk]


def test_it_leaves_cases_that_are_not_being_handled_alone(city, waiting, dispatched):
    pending = waiting()
    handled = act(dispatched(), "handle", city["handler"], note="已清运")
    sweep = sla_sweep_handling(now=used(5))
    assert sweep.lights == {} and marks(pending) == [] and marks(handled) == []


def test_it_restarts_the_clock_and_the_thresholds_on_rework(city, dispatched):
    case = dispatched()
    sla_sweep_handling(now=used(0.9))
    sla_sweep_handling(now=used(1.2))
    assert Case.objects.get(pk=case.pk).overdue
    act(case, "handle", city["handler"], note="已清运", now=used(1.3))
    act(case, "send_to_check", city["dispatcher"], now=used(1.3))
    thursday = datetime.datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)
    case = act(case, "check_fail", city["inspector"], note="仍有残留", now=thursday)
    assert not case.overdue and case.handling_deadline == used(1.0, start=thursday)

    assert sla_sweep_handling(now=used(0.79, start=thursday)).lights == {case.pk: "green"}
    assert sla_sweep_handling(now=used(0.8, start=thursday)).warned == [case.pk]
    assert sla_sweep_handling(now=used(1.01, start=thursday)).overdue == [case.pk]
    sla_sweep_handling(now=used(1.5, start=thursday))
    assert [event.action for event in marks(case)] == ["sla_warning", "sla_overdue"] * 2
    assert Case.objects.get(pk=case.pk).overdue


def test_it_gives_an_extended_case_more_room_and_does_not_warn_again(city, dispatched):
    case = dispatched()
    assert sla_sweep_handling(now=used(0.85)).warned == [case.pk]
    act(case, "request_extension", city["handler"], note="需调用吊车", amount=4, unit="working_hours", now=used(0.85))
    case = act(case, "approve_extension", city["leader"], now=used(0.85))
    assert case.handling_deadline == used(2.0)
    # 4.04 of now 8 working hours
    assert sla_sweep_handling(now=used(1.01)).lights == {case.pk: "green"}
    sweep = sla_sweep_handling(now=used(1.8))
    assert (sweep.lights, sweep.warned, sweep.overdue) == ({case.pk: "yellow"}, [], [])
    assert sla_sweep_handling(now=used(2.02)).overdue == [case.pk]
    assert [event.action for event in marks(case)] == ["sla_warning", "sla_overdue"]


@pytest.mark.django_db(transaction=True)
def test_it_marks_each_threshold_once_when_two_sweeps_run_at_once(city, dispatched):
    case = dispatched()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            sla_sweep_handling(now=used(1.01))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [event.action for event in marks(case)] == ["sla_overdue"]


def test_it_runs_the_handling_sweep_as_a_task(city, dispatched):
    case = dispatched()  # its deadline, Wednesday 2026-11-18 14:30, has passed by the time this runs
    assert tasks.sla_sweep.apply().get() == {"measured": 1, "warned": 0, "overdue": 1}
    assert Case.objects.get(pk=case.pk).overdue


# ---- approval clock -------------------------------------------------------------------------


@pytest.fixture
def community_chief(city, make_user):
    user = make_user("community_chief", Role.GRID_CHIEF)
    person = city["community"].chief
    person.user = user
    person.save()
    return user


def escalations(case):
    return list(CaseEvent.objects.filter(case=case, action="approval_escalated").order_by("pk"))


def test_it_passes_a_late_approval_to_the_community_chief_once(city, waiting, community_chief):
    case = waiting()
    micro, community = city["a"].chief, city["community"].chief
    assert case.status == Status.PENDING_APPROVAL and case.approver == micro

    assert sla_sweep_approvals(now=NOW + 30 * MINUTE) == []
    assert sla_sweep_approvals(now=NOW + 31 * MINUTE) == [case.pk]
    case.refresh_from_db()
    assert case.approver == community and case.status == Status.PENDING_APPROVAL
    [event] = escalations(case)
    assert event.payload["from"] == {"id": micro.pk, "name": micro.name}
    assert event.payload["to"] == {"id": community.pk, "name": community.name}
    assert (event.from_status, event.to_status, event.actor) == (Status.PENDING_APPROVAL, Status.PENDING_APPROVAL, None)

    assert sla_sweep_approvals(now=NOW + 31 * MINUTE) == []
    assert len(escalations(case)) == 1

    case = act(case, "approve", community_chief, now=NOW + 40 * MINUTE)
    assert case.status == Status.DISPATCHED


def test_it_passes_it_one_level_per_wait_and_stops_at_the_large_grid_chief(city, waiting):
    case = waiting()
    sla_sweep_approvals(now=NOW + 31 * MINUTE)
    assert sla_sweep_approvals(now=NOW + 61 * MINUTE) == []  # the community chief has waited 30 minutes
    assert sla_sweep_approvals(now=NOW + 62 * MINUTE) == [case.pk]
    assert Case.objects.get(pk=case.pk).approver == city["large"].chief
    assert sla_sweep_approvals(now=NOW + 600 * MINUTE) == []
    assert [e.payload["to"]["id"] for e in escalations(case)] == [city["community"].chief.pk, city["large"].chief.pk]


def test_it_skips_a_level_without_a_chief(city, waiting):
    city["community"].chief = None
    city["community"].save()
    case = waiting()
    sla_sweep_approvals(now=NOW + 31 * MINUTE)
    assert Case.objects.get(pk=case.pk).approver == city["large"].chief


def test_it_follows_the_approval_limit_setting(city, waiting, settings):
    settings.APPROVAL_LIMIT_MINUTES = 10
    case = waiting()
    assert sla_sweep_approvals(now=NOW + 10 * MINUTE) == []
    assert sla_sweep_approvals(now=NOW + 11 * MINUTE) == [case.pk]


def test_it_starts_the_wait_again_when_the_case_is_dispatched_again(city, waiting):
    case = waiting()
    act(case, "refuse", city["chief"], note="不是环卫的事", now=NOW + 20 * MINUTE)
    act(case, "dispatch", city["dispatcher"], now=NOW + 25 * MINUTE)
    assert sla_sweep_approvals(now=NOW + 40 * MINUTE) == []
    assert sla_sweep_approvals(now=NOW + 56 * MINUTE) == [case.pk]


def test_it_leaves_approved_cases_alone(city, dispatched):
    case = dispatched()
    assert sla_sweep_approvals(now=NOW + 600 * MINUTE) == []
    assert Case.objects.get(pk=case.pk).approver == city["a"].chief


@pytest.mark.django_db(transaction=True)
def test_it_passes_an_approval_up_once_when_two_sweeps_run_at_once(city, waiting):
    case = waiting()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            sla_sweep_approvals(now=NOW + 31 * MINUTE)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(escalations(case)) == 1
    assert Case.objects.get(pk=case.pk).approver == city["community"].chief


def test_it_runs_the_approval_sweep_as_a_task(city, waiting):
    case = waiting()  # dispatched for approval on 2026-11-18: long past the limit by the time this runs
    assert tasks.approval_escalation_sweep.apply().get() == 1
    assert Case.objects.get(pk=case.pk).approver == city["community"].chief


def test_it_starts_a_re_dispatched_case_on_time(city, dispatched):
    case = dispatched()
    sla_sweep_handling(now=used(1.5))
    act(case, "send_back", city["handler"], note="属于执法局", now=used(1.5))
    enforcement = Department.objects.get(code="enforcement")
    act(case, "dispatch", city["dispatcher"], department=enforcement, now=used(1.5))
    case = act(case, "approve", city["chief"], now=used(1.5))
    assert not case.overdue and case.department == enforcement
    start = used(1.5)
    assert sla_sweep_handling(now=used(0.5, start=start)).lights == {case.pk: "green"}
    assert sla_sweep_handling(now=used(1.01, start=start)).overdue == [case.pk]
    assert [event.action for event in marks(case)] == ["sla_overdue", "sla_overdue"]


def test_it_tells_the_department_head_and_chief_above_when_a_case_is_overdue(
    city, dispatched, head, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    from cases.models import Notification

    Department.objects.filter(code="sanitation").update(emails="duty@sanitation.example")
    head.email = "head@sanitation.example"
    head.save()
    chief_user = make_user("community_chief", Role.GRID_CHIEF, email="community.chief@example.org")
    city["community"].chief.user = chief_user
    city["community"].chief.save()
    case = dispatched()
    mailoutbox.clear()  # the dispatch's own e-mail
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep_handling(now=used(1.01))
    overdue = marks(case, "sla_overdue")[0]
    [notification] = Notification.objects.filter(event=overdue)
    assert notification.payload["type"] == "case.overdue"
    [message] = mailoutbox
    assert message.subject.startswith("【案件超期】" + case.tracking_number)
    assert sorted(message.to) == ["community.chief@example.org", "duty@sanitation.example", "head@sanitation.example"]
    assert "已超过处置时限" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep_handling(now=used(2))  # the next sweep tells nobody again
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(case=case, event__action="sla_overdue").count() == 1


def test_the_approval_limit_counts_working_time_across_a_night(city, report, settings):
    """Proposed at 17:20 on Wednesday: 10 working minutes are left that day, the other 20 run from
    08:30 on Thursday. Counted in natural time (the setting) it would climb a level at 17:51."""
    at_1720 = NOW.replace(hour=17, minute=20)
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"], now=at_1720)
    act(case, "dispatch", city["dispatcher"], now=at_1720)
    evening, thursday = NOW.replace(hour=22), NOW.replace(day=19, hour=8, minute=50)
    assert sla_sweep_approvals(now=evening) == []
    assert sla_sweep_approvals(now=thursday) == []  # due at 08:50 exactly
    assert sla_sweep_approvals(now=thursday + MINUTE) == [case.pk]
    [event] = escalations(case)
    assert event.payload["limit_unit"] == "working_hours"


def test_the_approval_limit_can_count_natural_time(city, report, settings):
    settings.APPROVAL_LIMIT_TIME = "natural"
    at_1720 = NOW.replace(hour=17, minute=20)
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"], now=at_1720)
    act(case, "dispatch", city["dispatcher"], now=at_1720)
    assert sla_sweep_approvals(now=at_1720 + 30 * MINUTE) == []
    assert sla_sweep_approvals(now=at_1720 + 31 * MINUTE) == [case.pk]
