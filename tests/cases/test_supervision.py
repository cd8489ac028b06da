"""Supervision orders (督办) and reminders (催办): issued, reminded, answered and signed off through
the one case service, with case events, notifications through the outbox, and their figures."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from cases.models import Case, CaseEvent, Department, Notification, OrderStatus, Status, SupervisionOrder
from cases.notifications import email_message, notification_deliver
from cases.services import CaseNotFound, IllegalTransition, InvalidInput, NotPermitted, case_transition
from cases.supervision import orders_due, orders_to_answer, supervision_figures
from tests.cases.conftest import NOW, SHANGHAI

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **kwargs)


@pytest.fixture
def dispatched(city, report):
    def make():
        case = report()
        act(case, "file", city["clerk"], category=city["garbage"])
        act(case, "dispatch", city["dispatcher"])
        return act(case, "approve", city["chief"])

    return make


@pytest.fixture
def mailed(city, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    department = Department.objects.get(code="sanitation")
    department.emails = "huanwei@example.gov.cn"
    department.save()
    return department


def actions(case):
    return list(CaseEvent.objects.filter(case=case).order_by("at", "id").values_list("action", flat=True))


def test_it_runs_an_order_from_issue_to_sign_off_with_events_notifications_and_figures(
    city, dispatched, mailed, django_capture_on_commit_callbacks
):
    case = dispatched()
    with django_capture_on_commit_callbacks(execute=False):
        case = act(case, "supervise", city["leader"], note="群众反映强烈，请今日处理", amount=2, unit="working_hours")
    assert case.status == Status.DISPATCHED and case.supervised
    assert Case.objects.get(pk=case.pk).supervised
    order = SupervisionOrder.objects.get(case=case)
    # Wednesday 09:00 + 2 working hours = 11:00; the handling deadline is untouched.
    assert order.deadline == datetime.datetime(2026, 11, 18, 11, 0, tzinfo=SHANGHAI)
    assert (order.status, order.addressee_department, order.issued_by) == (OrderStatus.OPEN, mailed, city["leader"])
    assert case.handling_deadline == datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)
    issued = CaseEvent.objects.get(case=case, action="supervise")
    assert (issued.from_status, issued.to_status, issued.note) == (Status.DISPATCHED, Status.DISPATCHED, order.note)
    assert issued.payload["order"] == order.pk and issued.payload["addressee"]["department"]["id"] == mailed.pk
    told = Notification.objects.get(event=issued)
    assert told.payload["type"] == "case.supervision" and told.payload["order"]["note"] == order.note
    subject, body = email_message(told.payload)
    assert subject.startswith("【督办】") and "回复时限：2026-11-18 11:00" in body

    later = NOW + datetime.timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=False):
        act(case, "remind", city["supervisor"], note="请抓紧", now=later)
    order.refresh_from_db()
    assert (order.reminder_count, order.last_reminded_at) == (1, later)
    reminded = CaseEvent.objects.get(case=case, action="remind")
    notification = Notification.objects.get(event=reminded)
    assert notification.payload["type"] == "case.reminder" and notification.payload["order"]["reminders"] == 1
    notification_deliver(notification_id=notification.pk)
    [sent] = mail.outbox
    assert sent.subject.startswith("【催办】") and sent.to == ["huanwei@example.gov.cn"]
    assert "第 1 次催办" in sent.body and "催办说明：请抓紧" in sent.body

    answered_at = NOW + datetime.timedelta(hours=1)
    act(case, "answer_supervision", city["handler"], note="已安排清运，11点前完成", now=answered_at)
    order.refresh_from_db()
    assert (order.status, order.answered_at, order.answer) == (
        OrderStatus.ANSWERED,
        answered_at,
        "已安排清运，11点前完成",
    )
    assert CaseEvent.objects.get(case=case, action="answer_supervision").payload["in_time"] is True

    case = act(case, "sign_off", city["leader"], now=answered_at + datetime.timedelta(minutes=5))
    order.refresh_from_db()
    assert order.status == OrderStatus.SIGNED_OFF and order.signed_off_by == city["leader"]
    assert not case.supervised and not Case.objects.get(pk=case.pk).supervised
    assert actions(case)[-4:] == ["supervise", "remind", "answer_supervision", "sign_off"]
    assert case.status == Status.DISPATCHED  # beside the status, never a state

    figures = supervision_figures(start=NOW.date(), end=NOW.date())
    assert (figures.issued, figures.answered, figures.answered_in_time, figures.signed_off, figures.reminders) == (
        1, 1, 1, 1, 1,
    )  # fmt: skip
    assert figures.in_time_rate == 1.0


def test_it_counts_a_late_answer_as_answered_not_in_time(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1, unit="working_hours")
    act(case, "answer_supervision", city["handler"], note="已处理", now=NOW + datetime.timedelta(hours=3))
    assert CaseEvent.objects.get(case=case, action="answer_supervision").payload["in_time"] is False
    figures = supervision_figures(start=NOW.date(), end=NOW.date())
    assert (figures.issued, figures.answered, figures.answered_in_time) == (1, 1, 0)
    assert (
        supervision_figures(
            start=NOW.date() + datetime.timedelta(days=1), end=NOW.date() + datetime.timedelta(days=2)
        ).issued
        == 0
    )


def test_it_counts_the_orders_of_a_slice_only(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1)
    assert supervision_figures(start=NOW.date(), end=NOW.date(), cases=Case.objects.filter(pk=case.pk)).issued == 1
    assert supervision_figures(start=NOW.date(), end=NOW.date(), cases=Case.objects.none()).issued == 0


def test_it_keeps_one_current_order_per_case(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1)
    with pytest.raises(IllegalTransition, match="already under supervision"):
        act(case, "supervise", city["supervisor"], note="再次督办", amount=1)
    assert SupervisionOrder.objects.filter(case=case).count() == 1


def test_only_the_addressee_answers(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请网格长协调", amount=1, person=city["chief"])
    order = SupervisionOrder.objects.get(case=case)
    assert order.addressee_user == city["chief"] and order.addressee_department is None
    with pytest.raises(NotPermitted, match="Only the addressee"):
        act(case, "answer_supervision", city["handler"], note="我来回复")
    with pytest.raises(CaseNotFound):  # a department that does not see the case learns nothing
        act(case, "answer_supervision", city["other_handler"], note="我来回复")
    act(case, "answer_supervision", city["chief"], note="已协调环卫")
    assert SupervisionOrder.objects.get(case=case).status == OrderStatus.ANSWERED
    with pytest.raises(IllegalTransition, match="has been answered"):
        act(case, "answer_supervision", city["chief"], note="再答一次")


def test_it_refuses_a_person_who_cannot_answer_for_the_case(city, dispatched):
    case = dispatched()
    with pytest.raises(InvalidInput, match="cannot answer for this case") as refused:
        act(case, "supervise", city["leader"], note="请处理", amount=1, person=city["neighbour"])
    assert "person" in refused.value.fields
    with pytest.raises(InvalidInput, match="not both"):
        act(case, "supervise", city["leader"], note="请处理", amount=1, person=city["chief"],
            department=Department.objects.get(code="sanitation"))  # fmt: skip
    with pytest.raises(InvalidInput, match="working hours or working days"):
        act(case, "supervise", city["leader"], note="请处理", amount=1, unit="hours")
    with pytest.raises(InvalidInput, match="Give a reason or note"):
        act(case, "supervise", city["leader"], amount=1)
    assert not SupervisionOrder.objects.exists() and not Case.objects.get(pk=case.pk).supervised


def test_an_order_before_dispatch_needs_someone_named(city, report):
    case = report()
    with pytest.raises(InvalidInput, match="no handling department yet"):
        act(case, "supervise", city["leader"], note="尽快立案", amount=1)
    case = act(case, "supervise", city["leader"], note="请网格长核实", amount=1, person=city["chief"])
    assert case.supervised and case.status == Status.REPORTED


def test_a_reminder_after_an_answer_asks_for_a_new_one(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1)
    act(case, "answer_supervision", city["handler"], note="已处理")
    act(case, "remind", city["leader"], note="现场仍有垃圾")
    order = SupervisionOrder.objects.get(case=case)
    assert order.status == OrderStatus.OPEN and order.answered_at is not None  # first answer still counts
    with pytest.raises(IllegalTransition, match="not been answered"):
        act(case, "sign_off", city["leader"])
    act(case, "answer_supervision", city["handler"], note="已再次清理")
    assert SupervisionOrder.objects.get(case=case).answer == "已再次清理"


def test_the_issuer_signs_off_or_for_the_centre_any_shift_leader(city, dispatched, make_user):
    from accounts.roles import Role

    next_shift = make_user("next_shift", Role.SHIFT_LEADER)
    other_leader = make_user("other_leader", Role.SUPERVISOR)
    first, second = dispatched(), dispatched()
    act(first, "supervise", city["leader"], note="中心督办", amount=1)
    act(second, "supervise", city["supervisor"], note="领导督办", amount=1)
    for case in (first, second):
        act(case, "answer_supervision", city["handler"], note="已处理")
    act(first, "sign_off", next_shift)  # the centre's order: the next shift signs it off
    with pytest.raises(NotPermitted, match="Only who issued"):
        act(second, "sign_off", other_leader)
    with pytest.raises(NotPermitted, match="Only who issued"):
        act(second, "sign_off", city["leader"])
    act(second, "sign_off", city["supervisor"])
    assert not SupervisionOrder.objects.exclude(status=OrderStatus.SIGNED_OFF).exists()


def test_roles_outside_supervision_may_not_issue_and_supervisors_may_do_nothing_else(city, dispatched, report):
    case = dispatched()
    for user in ("clerk", "dispatcher", "handler", "chief", "inspector"):
        with pytest.raises(NotPermitted):
            act(case, "supervise", city[user], note="督办", amount=1)
    with pytest.raises(NotPermitted):
        act(report(), "file", city["supervisor"], category=city["garbage"])


def test_a_closed_case_cannot_be_supervised_but_its_order_is_still_signed_off(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    case.refresh_from_db()
    act(case, "sign_off", city["leader"])  # ended without an answer: the order is closed too
    with pytest.raises(IllegalTransition):
        act(case, "supervise", city["leader"], note="请处理", amount=1)


def test_the_inbox_lists_answers_and_late_orders_and_the_addressee_sees_theirs(city, dispatched):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1, unit="working_hours")
    assert list(orders_due(user=city["leader"], now=NOW)) == []
    [late] = orders_due(user=city["leader"], now=NOW + datetime.timedelta(hours=2))
    assert late.case == case
    assert [o.case for o in orders_to_answer(user=city["handler"])] == [case]
    assert list(orders_to_answer(user=city["other_handler"])) == []
    act(case, "answer_supervision", city["handler"], note="已处理")
    assert [o.case for o in orders_due(user=city["leader"], now=NOW)] == [case]
    assert list(orders_to_answer(user=city["handler"])) == []


# ---- pages and the API -------------------------------------------------------------------------


def test_the_case_page_marks_the_case_and_offers_each_step_to_its_person(city, dispatched, client):
    case = dispatched()
    url = reverse("cases:detail", args=[case.pk])
    client.force_login(city["leader"])
    page = client.get(url).content.decode()
    assert reverse("cases:act", args=[case.pk, "supervise"]) in page and 'id="supervision"' not in page
    act(case, "supervise", city["leader"], note="请今日处理", amount=1)
    page = client.get(url).content.decode()
    assert 'id="supervised-badge"' in page and "请今日处理" in page
    assert reverse("cases:act", args=[case.pk, "remind"]) in page
    assert reverse("cases:act", args=[case.pk, "sign_off"]) not in page  # not answered yet
    client.force_login(city["handler"])
    page = client.get(url).content.decode()
    assert reverse("cases:act", args=[case.pk, "answer_supervision"]) in page
    assert reverse("cases:act", args=[case.pk, "remind"]) not in page
    queue = client.get(reverse("cases:queue")).content.decode()
    assert 'class="supervised-badge"' in queue


def test_the_page_issues_an_order_to_a_person_it_lists(city, dispatched, client):
    case = dispatched()
    client.force_login(city["leader"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'<option value="{city["chief"].pk}">' in page and "(chief)</option>" in page
    assert "(neighbour)</option>" not in page
    response = client.post(
        reverse("cases:act", args=[case.pk, "supervise"]),
        {"expected_status": "dispatched", "request_id": "0b6c1f9e-4b8e-4c1e-9f57-2f4b1f3a8d11", "note": "请协调",
         "amount": "1", "unit": "working_days", "person": city["chief"].pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert SupervisionOrder.objects.get(case=case).addressee_user == city["chief"]


def test_the_api_takes_the_steps_and_shows_the_order_and_the_flag(city, dispatched, client):
    case = dispatched()
    client.force_login(city["supervisor"])
    url = reverse("cases_api:supervise", args=[case.pk])
    refused = client.post(url, {"note": "督办"}, content_type="application/json")
    assert refused.status_code == 400 and "amount" in refused.json()["error"]["fields"]
    answer = client.post(url, {"note": "督办", "amount": "3", "unit": "working_days"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["supervised"] is True and data["supervision"]["note"] == "督办"
    assert data["supervision"]["addressee"] == case.department.name and data["supervision"]["status"] == "open"
    assert any(e["action"] == "supervise" and e["action_label"] for e in data["events"])
    rows = client.get(reverse("cases_api:cases")).json()["results"]
    assert [row["supervised"] for row in rows if row["id"] == case.pk] == [True]
    again = client.post(url, {"note": "督办", "amount": "1"}, content_type="application/json")
    assert again.status_code == 409
    client.force_login(city["handler"])
    answered = client.post(reverse("cases_api:answer_supervision", args=[case.pk]), {"note": "已处理"},
                           content_type="application/json")  # fmt: skip
    assert answered.status_code == 200 and answered.json()["supervision"]["status"] == "answered"
    client.force_login(city["outsider"])
    assert client.post(
        reverse("cases_api:remind", args=[case.pk]), {}, content_type="application/json"
    ).status_code in (403, 404)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_order_and_the_reminder_to_the_department(celery_worker_process, city, dispatched):
    from tests.cases.test_notifications import SECRET, Receiver, signature_ok
    from tests.worker import wait_for

    receiver = Receiver().start()
    try:
        department = Department.objects.get(code="sanitation")
        department.webhook_url, department.webhook_secret = receiver.url, SECRET
        department.save()
        case = dispatched()
        act(case, "supervise", city["leader"], note="请今日处理", amount=1)
        act(case, "remind", city["leader"], note="请抓紧")

        def orders():  # besides the dispatch's own message
            return [r for r in receiver.received if r.json["type"] != "case.dispatched"]

        assert wait_for(lambda: len(orders()) >= 2, timeout=15), celery_worker_process.output()
        assert sorted(request.json["type"] for request in orders()) == ["case.reminder", "case.supervision"]
        assert all(signature_ok(SECRET, request) for request in orders())
        reminder = next(r.json for r in orders() if r.json["type"] == "case.reminder")
        assert reminder["order"]["note"] == "请今日处理" and reminder["order"]["reminders"] == 1
        assert reminder["event"]["note"] == "请抓紧"
    finally:
        receiver.stop()


def test_the_dashboard_shows_the_orders_of_the_period(city, dispatched, client):
    case = dispatched()
    act(case, "supervise", city["leader"], note="请处理", amount=1, unit="working_hours")
    act(case, "answer_supervision", city["handler"], note="已处理", now=NOW + datetime.timedelta(minutes=20))
    client.force_login(city["supervisor"])
    page = client.get(
        reverse("assessments:dashboard"), {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}
    )
    assert page.status_code == 200, page.content[:500]
    card = next(card for card in page.context["cards"] if card["id"] == "card-supervision")
    assert card["count"] == 1 and "按时回复 1（100.0%）" in card["definition"]  # the page is in Chinese
    assert 'id="card-supervision"' in page.content.decode()
