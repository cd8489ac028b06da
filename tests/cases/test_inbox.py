"""The inbox (值班长): what waits for each role, with its actions; the shift leader's read-only
view of the approvals, work and task pages."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from cases.inbox import inbox_sections
from cases.models import Case, DeliveryStatus, Department, Notification, Status
from cases.services import case_escalate_approval, case_record_sla_threshold, case_transition
from tests.cases.conftest import NOW

pytestmark = pytest.mark.django_db
INBOX = "/cases/inbox/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **kwargs)


@pytest.fixture
def waiting(city, report, settings):
    """One case of each kind that waits for someone."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def dispatched():
        case = report()
        act(case, "file", city["clerk"], category=city["garbage"])
        act(case, "dispatch", city["dispatcher"])
        return act(case, "approve", city["chief"])

    extension = act(dispatched(), "request_extension", city["handler"], note="需吊车", amount=2, unit="working_hours")
    suspension = act(dispatched(), "request_suspension", city["handler"], note="需立项")
    escalated = report()
    act(escalated, "file", city["clerk"], category=city["garbage"])
    escalated = act(escalated, "dispatch", city["dispatcher"])
    dispatch_event = escalated.events.get(action="dispatch")
    case_escalate_approval(case_id=escalated.pk, from_approver_id=escalated.approver_id,
                           to_approver=city["community"].chief, waiting_since_id=dispatch_event.pk, now=NOW)  # fmt: skip
    overdue = dispatched()
    start = overdue.events.get(action="approve")
    case_record_sla_threshold(case_id=overdue.pk, threshold=1.0, round_start_id=start.pk,
                              deadline=overdue.handling_deadline, now=NOW + datetime.timedelta(hours=6))  # fmt: skip
    failed = Notification.objects.filter(case=overdue).first() or _failed_notification(overdue)
    Notification.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    ordered = dispatched()
    act(ordered, "supervise", city["leader"], note="请今日处理", amount=1, unit="working_hours")
    answered = dispatched()
    act(answered, "supervise", city["supervisor"], note="领导督办", amount=1, unit="working_days")
    act(answered, "answer_supervision", city["handler"], note="已处理")
    return {"extension": extension, "suspension": suspension, "escalated": escalated, "overdue": overdue,
            "failed": failed, "ordered": ordered, "answered": answered}  # fmt: skip


def _failed_notification(case):
    department = Department.objects.get(code="sanitation")
    return Notification.objects.create(
        case=case, event=case.events.last(), department=department, channel="email", payload={}, created_at=NOW
    )


def keyed(user, now=None):
    return {s.key: s for s in inbox_sections(user=user, now=now or NOW + datetime.timedelta(hours=3))}


def cases_of(section):
    return {getattr(item, "case", item).pk for item in section.items}


def test_the_shift_leader_sees_every_section(city, waiting):
    sections = keyed(city["leader"])
    assert list(sections) == ["extension", "suspension", "escalated", "overdue", "failed", "orders_due"]
    assert cases_of(sections["extension"]) == {waiting["extension"].pk}
    assert cases_of(sections["suspension"]) == {waiting["suspension"].pk}
    assert cases_of(sections["escalated"]) == {waiting["escalated"].pk}
    assert cases_of(sections["overdue"]) == {waiting["overdue"].pk}
    assert [n.pk for n in sections["failed"].items] == [waiting["failed"].pk]
    # 09:00 + 1 working hour passed at 12:00; the other order is answered: both due
    assert cases_of(sections["orders_due"]) == {waiting["ordered"].pk, waiting["answered"].pk}
    assert sections["orders_due"].count.n == 2 and sections["extension"].count.n == 1


def test_a_decided_request_leaves_the_inbox(city, waiting):
    act(waiting["extension"], "approve_extension", city["leader"])
    act(waiting["suspension"], "refuse_suspension", city["leader"], note="不予挂账")
    sections = keyed(city["leader"])
    assert sections["extension"].items == [] and sections["suspension"].items == []
    assert sections["extension"].count.n == 0


def test_an_order_not_yet_due_waits_outside_the_inbox(city, waiting):
    # due at 10:00: listed from two hours before, answered orders at once (for the sign-off)
    assert cases_of(keyed(city["leader"], now=NOW)["orders_due"]) == {waiting["ordered"].pk, waiting["answered"].pk}
    early = keyed(city["leader"], now=NOW - datetime.timedelta(hours=2, minutes=1))
    assert cases_of(early["orders_due"]) == {waiting["answered"].pk}


def test_a_leader_sees_overdue_cases_and_orders_due(city, waiting):
    sections = keyed(city["supervisor"])
    assert list(sections) == ["overdue", "orders_due"]
    assert cases_of(sections["overdue"]) == {waiting["overdue"].pk}


def test_the_addressees_see_the_orders_waiting_for_their_answer(city, waiting):
    assert list(keyed(city["handler"])) == ["orders_to_answer"]
    assert cases_of(keyed(city["handler"])["orders_to_answer"]) == {waiting["ordered"].pk}
    assert keyed(city["other_handler"])["orders_to_answer"].items == []
    assert keyed(city["chief"])["orders_to_answer"].items == []
    assert keyed(city["clerk"]) == {} and keyed(city["dispatcher"]) == {} and keyed(city["inspector"]) == {}


def test_the_inbox_page_gives_each_item_its_action(city, waiting, client):
    client.force_login(city["leader"])
    page = client.get(INBOX).content.decode()
    for key, action in (("extension", "approve_extension"), ("extension", "refuse_extension"),
                        ("suspension", "suspend"), ("suspension", "refuse_suspension"),
                        ("overdue", "supervise"), ("ordered", "remind")):  # fmt: skip
        assert reverse("cases:act", args=[waiting[key].pk, action]) in page, (key, action)
    # the leader's own order is not answered: no sign-off; the supervisor's order is not theirs to sign off
    assert reverse("cases:act", args=[waiting["ordered"].pk, "sign_off"]) not in page
    assert reverse("cases:act", args=[waiting["answered"].pk, "sign_off"]) not in page
    assert f'value="{waiting["failed"].pk}"' in page and reverse("cases:notifications_failed") in page
    assert f'id="inbox-escalated-{waiting["escalated"].pk}"' in page


def test_an_action_taken_in_the_inbox_comes_back_to_it(city, waiting, client):
    client.force_login(city["leader"])
    case = waiting["extension"]
    response = client.post(
        reverse("cases:act", args=[case.pk, "approve_extension"]),
        {"expected_status": "dispatched", "request_id": "1b6c1f9e-4b8e-4c1e-9f57-2f4b1f3a8d11", "next": INBOX},
    )
    assert response.status_code == 302 and response["Location"] == INBOX
    assert Case.objects.get(pk=case.pk).extension_count == 1
    resend = client.post(reverse("cases:notifications_failed"), {"notification": waiting["failed"].pk, "next": INBOX})
    assert resend["Location"] == INBOX
    assert Notification.objects.get(pk=waiting["failed"].pk).status == DeliveryStatus.PENDING


def test_the_supervisor_signs_off_from_the_inbox(city, waiting, client):
    client.force_login(city["supervisor"])
    page = client.get(INBOX).content.decode()
    assert reverse("cases:act", args=[waiting["answered"].pk, "sign_off"]) in page
    assert reverse("cases:act", args=[waiting["extension"].pk, "approve_extension"]) not in page


def test_the_inbox_is_not_for_the_other_desks(city, client):
    for who in ("clerk", "dispatcher", "inspector", "outsider"):
        client.force_login(city[who])
        assert client.get(INBOX).status_code == 403, who


def test_the_home_page_counts_what_waits(city, waiting, client):
    client.force_login(city["leader"])
    page = client.get("/").content.decode()
    counts = dict(
        re.findall(r'id="home-inbox-(\w+)" href.*?<span class="link-card-text inbox-count">([^<]*)</span>', page, re.S)
    )
    assert counts["extension"] == "1" and counts["suspension"] == "1" and counts["escalated"] == "1"
    assert counts["overdue"] == "1" and counts["failed"] == "1"
    client.force_login(city["clerk"])
    assert 'id="home-inbox"' not in client.get("/").content.decode()


@pytest.mark.parametrize(("url", "status"), [("/cases/approvals/", "escalated"), ("/cases/work/", "overdue")])
def test_the_shift_leader_reads_the_work_lists_without_their_actions(city, waiting, client, url, status):
    client.force_login(city["leader"])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="read-only"' in page and f'id="case-{waiting[status].pk}"' in page
    assert "/act/" not in page


def test_the_shift_leader_reads_the_inspectors_tasks(city, report, client):
    case = act(report(), "verify", city["clerk"])
    client.force_login(city["leader"])
    page = client.get("/cases/tasks/").content.decode()
    assert f'id="case-{case.pk}"' in page and 'id="read-only"' in page and "/act/" not in page
    client.force_login(city["inspector"])
    page = client.get("/cases/tasks/").content.decode()
    assert reverse("cases:act", args=[case.pk, "file"]) in page and 'id="read-only"' not in page
    assert Case.objects.get(pk=case.pk).status == Status.VERIFYING
