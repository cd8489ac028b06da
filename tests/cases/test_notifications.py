"""Notifying the department of a dispatched case: the rows, the signed webhook, e-mail, retries, the sweep.

Celery runs eagerly here (no broker in the test settings); the department's webhook is
a real HTTP server on 127.0.0.1 in a thread. tests/cases/test_notifications_worker.py
does the same through a real worker.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import smtplib
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from cases import notifications
from cases.models import Case, CaseEvent, DeliveryStatus, Department, Notification, Status, Urgency
from cases.notifications import (
    case_notifications,
    notification_deliver,
    notification_enqueue,
    notification_resend,
    notifications_sweep,
)
from cases.services import case_transition
from cases.tasks import deliver_notification
from tests.cases.conftest import IN_M1, NOW
from tests.photos import with_after_photo
from tests.worker import broker_unreachable

pytestmark = pytest.mark.django_db

SECRET = "s3cret-of-the-sanitation-department"


@dataclass
class Received:
    path: str
    headers: Message
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A department's webhook endpoint: a real HTTP server on 127.0.0.1, in a thread.

    `answers` are the statuses to give, in order; then 200. `delay` holds each answer back.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(Received(self.path, self.headers, body))
                time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"answer\n")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/city"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signature_ok(secret: str, request: Received) -> bool:
    """The receiver's check, as docs/WEBHOOKS.md describes it (not the sender's code)."""
    signed = request.headers["X-Timestamp"].encode() + b"." + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers["X-Signature"])


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def sanitation(city) -> Department:
    return Department.objects.get(code="sanitation")


@pytest.fixture
def hooked(sanitation, receiver) -> Department:
    sanitation.webhook_url, sanitation.webhook_secret = receiver.url, SECRET
    sanitation.save()
    return sanitation


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **with_after_photo(action, kwargs))


@pytest.fixture
def dispatch_urgent(city, report, django_capture_on_commit_callbacks):
    """Report, file and dispatch an urgent case (no approval needed); run what waits for the commit."""

    def run(execute: bool = True) -> Case:
        case = report(urgency=Urgency.URGENT, address="人民路 12 号")
        act(case, "file", city["clerk"], category=city["garbage"])
        with django_capture_on_commit_callbacks(execute=execute):
            case = act(case, "dispatch", city["dispatcher"])
        assert case.status == Status.DISPATCHED
        return case

    return run


def later(notification: Notification) -> datetime.datetime:
    notification.refresh_from_db()
    return notification.next_attempt_at


def time_passes(notification: Notification) -> None:
    """Make a retry due now (the worker's task reads the real clock)."""
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def test_it_posts_a_signed_webhook_when_a_case_is_dispatched(hooked, receiver, dispatch_urgent):
    case = dispatch_urgent()
    notification = Notification.objects.get(case=case)
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request.path == "/hooks/city"
    assert request.headers["Content-Type"] == "application/json"
    assert signature_ok(SECRET, request)
    assert not signature_ok("another secret", request)
    assert abs(int(request.headers["X-Timestamp"]) - time.time()) < 60
    assert request.headers["X-Delivery-Id"] == str(notification.delivery_id) == request.json["delivery_id"]

    event = CaseEvent.objects.get(case=case, action="dispatch")
    assert request.json == notification.payload
    assert request.json["type"] == "case.dispatched"
    assert request.json["case"] == {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "status": "dispatched",
        "category": {"code": "E0102", "name": "暴露垃圾"},
        "urgency": "urgent",
        "address": "人民路 12 号",
        "location": {"lon": IN_M1.x, "lat": IN_M1.y},
        "deadline": timezone.localtime(case.handling_deadline).isoformat(),
        "rework_count": 0,
        "link": f"https://grid.example.gov.cn/cases/{case.pk}/",
    }
    assert request.json["department"] == {"id": hooked.pk, "code": "sanitation", "name": hooked.name}
    assert request.json["event"] == {"id": event.pk, "action": "dispatch", "at": NOW.isoformat(), "note": ""}

    assert (notification.channel, notification.status, notification.attempt_count) == ("webhook", "delivered", 1)
    assert notification.event == event and notification.department == hooked
    assert notification.delivered_at is not None and notification.next_attempt_at is None
    attempt = notification.attempts.get()
    assert attempt.ok and attempt.http_status == 200 and attempt.error == ""


def test_it_writes_the_row_with_the_transition_and_sends_only_after_commit(hooked, receiver, dispatch_urgent):
    case = dispatch_urgent(execute=False)
    notification = Notification.objects.get(case=case)
    assert notification.status == DeliveryStatus.PENDING and notification.attempt_count == 0
    assert receiver.received == []


def test_it_rolls_the_rows_back_with_a_failed_transition(hooked, receiver, city, report, monkeypatch):
    hooked.emails = "duty@hw.example.cn"
    hooked.save()
    case = report(urgency=Urgency.URGENT)
    act(case, "file", city["clerk"], category=city["garbage"])
    real_payload, calls = notifications.notification_payload, []

    def payload_then_crash(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:  # the webhook row is written; the e-mail row fails
            raise RuntimeError("disk full")
        return real_payload(**kwargs)

    monkeypatch.setattr(notifications, "notification_payload", payload_then_crash)
    with pytest.raises(RuntimeError):
        act(case, "dispatch", city["dispatcher"])
    case.refresh_from_db()
    assert case.status == Status.FILED
    assert not Notification.objects.exists() and not CaseEvent.objects.filter(action="dispatch").exists()
    assert receiver.received == [] and len(mail.outbox) == 0


def test_it_retries_after_a_server_error_and_delivers_later(hooked, receiver, dispatch_urgent):
    receiver.answers = [500]
    before = timezone.now()
    case = dispatch_urgent()
    notification = Notification.objects.get(case=case)
    assert notification.status == DeliveryStatus.RETRYING and notification.attempt_count == 1
    assert notification.last_error.startswith("HTTP 500")
    due = notification.next_attempt_at
    assert before + datetime.timedelta(seconds=30) <= due <= timezone.now() + datetime.timedelta(seconds=30)

    assert notification_deliver(notification_id=notification.pk, now=due - datetime.timedelta(seconds=1)) is None
    assert len(receiver.received) == 1  # not due yet: nothing sent

    delivered = notification_deliver(notification_id=notification.pk, now=due)
    assert delivered.status == DeliveryStatus.DELIVERED
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempt_count == 2
    assert [(a.ok, a.http_status) for a in notification.attempts.all()] == [(False, 500), (True, 200)]
    assert len(receiver.received) == 2
    assert {r.headers["X-Delivery-Id"] for r in receiver.received} == {str(notification.delivery_id)}
    assert all(signature_ok(SECRET, r) for r in receiver.received)


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_it_retries_transient_answers(hooked, receiver, dispatch_urgent, status):
    receiver.answers = [status]
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.RETRYING
    assert notification.attempts.get().http_status == status


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_it_gives_up_at_once_when_the_receiver_refuses(hooked, receiver, dispatch_urgent, status):
    receiver.answers = [status]
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.FAILED and notification.next_attempt_at is None
    assert notification.last_error.startswith(f"HTTP {status}")
    assert notification.attempts.get().http_status == status
    later_on = timezone.now() + datetime.timedelta(days=1)
    assert notification_deliver(notification_id=notification.pk, now=later_on) is None
    assert len(receiver.received) == 1  # the redirect was not followed either


def test_it_backs_off_and_gives_up_after_six_attempts(hooked, receiver, dispatch_urgent):
    receiver.answers = [500] * 6
    notification = Notification.objects.get(case=dispatch_urgent())
    waits = []
    while notification.status == DeliveryStatus.RETRYING:
        attempted = notification.attempts.order_by("-at", "-id").first().at
        waits.append((notification.next_attempt_at - attempted).total_seconds())
        notification = notification_deliver(notification_id=notification.pk, now=notification.next_attempt_at)
    assert waits == [30, 120, 480, 1920, 7680]
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.FAILED and notification.attempt_count == 6
    assert notification.attempts.count() == 6 and len(receiver.received) == 6


def test_it_retries_when_the_receiver_cannot_be_reached(sanitation, dispatch_urgent):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sanitation.webhook_url, sanitation.webhook_secret = f"http://127.0.0.1:{port}/", SECRET
    sanitation.save()
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.RETRYING
    attempt = notification.attempts.get()
    assert attempt.http_status is None and "refused" in attempt.error.lower()


def test_it_retries_when_the_receiver_is_too_slow(hooked, receiver, dispatch_urgent, monkeypatch):
    monkeypatch.setattr(notifications, "WEBHOOK_TIMEOUT", 0.2)
    receiver.delay = 1
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.RETRYING
    assert "timed out" in notification.last_error.lower()
    assert notification.attempts.get().duration_ms < 1000


def test_it_fails_a_webhook_without_a_secret(sanitation, receiver, dispatch_urgent):
    sanitation.webhook_url = receiver.url
    sanitation.save()
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.FAILED and "no secret" in notification.last_error
    assert receiver.received == []


def test_it_sends_nothing_twice(hooked, receiver, dispatch_urgent):
    notification = Notification.objects.get(case=dispatch_urgent())
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert notification_deliver(notification_id=notification.pk, now=tomorrow) is None
    assert deliver_notification.delay(notification.pk).get() is None  # the task redelivered by the broker
    assert len(receiver.received) == 1 and notification.attempts.count() == 1


def test_it_leaves_a_row_that_another_worker_is_sending(hooked, receiver, dispatch_urgent):
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING, next_attempt_at=timezone.now() + notifications.SENDING_LEASE
    )
    assert notification_deliver(notification_id=notification.pk) is None
    assert receiver.received == []


def test_it_emails_the_department(sanitation, dispatch_urgent):
    sanitation.emails = "duty@hw.example.cn, chief@hw.example.cn"
    sanitation.save()
    case = dispatch_urgent()
    notification = Notification.objects.get(case=case)
    assert (notification.channel, notification.status) == ("email", "delivered")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == f"【案件派遣】{case.tracking_number} 暴露垃圾"
    assert message.to == ["duty@hw.example.cn", "chief@hw.example.cn"]
    assert message.extra_headers["X-Delivery-Id"] == str(notification.delivery_id)
    for text in [
        case.tracking_number,
        "紧急",
        "人民路 12 号",
        "E0102 暴露垃圾",
        "派遣",
        f"查看案件：https://grid.example.gov.cn/cases/{case.pk}/",
    ]:
        assert text in message.body
    assert "2026-11-18 09:00" in message.body  # dispatched at, in Beijing time


class _Refusing(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"duty@hw.example.cn": (550, b"no such user")})


class _Greylisting(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"try again later")


class _Unreachable(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize(
    ("backend", "status"),
    [(_Refusing, DeliveryStatus.FAILED), (_Greylisting, DeliveryStatus.RETRYING), (_Unreachable, "retrying")],
)
def test_it_tells_a_refused_e_mail_from_a_delayed_one(sanitation, dispatch_urgent, settings, backend, status):
    settings.EMAIL_BACKEND = f"{__name__}.{backend.__name__}"
    sanitation.emails = "duty@hw.example.cn"
    sanitation.save()
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == status and notification.last_error


def test_it_notifies_both_channels(hooked, receiver, dispatch_urgent):
    hooked.emails = "duty@hw.example.cn"
    hooked.save()
    case = dispatch_urgent()
    assert sorted(Notification.objects.filter(case=case).values_list("channel", "status")) == [
        ("email", "delivered"),
        ("webhook", "delivered"),
    ]
    assert len(receiver.received) == 1 and len(mail.outbox) == 1
    assert receiver.received[0].json["delivery_id"] != mail.outbox[0].extra_headers["X-Delivery-Id"]


def test_it_notifies_on_every_transition_that_dispatches_and_no_other(hooked, receiver, city, report):
    case = report()
    act(case, "file", city["clerk"], category=city["garbage"])
    act(case, "dispatch", city["dispatcher"])  # waits for the grid chief: not dispatched yet
    assert not Notification.objects.exists()
    for action, user, note in [
        ("approve", "chief", ""),
        ("suspend", "leader", "等待产权单位"),
        ("resume", "leader", ""),
        ("handle", "handler", "已清运"),
        ("send_to_check", "dispatcher", ""),
        ("check_fail", "inspector", "仍有残留"),
        ("handle", "handler", "再次清运"),
        ("send_to_check", "dispatcher", ""),
        ("check_pass", "inspector", ""),
    ]:
        act(case, action, city[user], note=note)
    sent = Notification.objects.filter(case=case).order_by("id")
    assert [n.event.action for n in sent] == ["approve", "resume", "check_fail"]
    assert [n.payload["case"]["rework_count"] for n in sent] == [0, 0, 1]
    assert sent[2].payload["event"]["note"] == "仍有残留"
    assert len({n.delivery_id for n in sent}) == 3


def test_it_writes_nothing_for_a_department_without_channels(sanitation, receiver, dispatch_urgent):
    case = dispatch_urgent()
    assert case.department == sanitation
    assert not Notification.objects.exists() and len(mail.outbox) == 0


def test_it_keeps_the_row_pending_when_the_broker_is_down(hooked, receiver, dispatch_urgent, caplog):
    with broker_unreachable():
        case = dispatch_urgent()
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED  # the case committed regardless
    notification = Notification.objects.get(case=case)
    assert notification.status == DeliveryStatus.PENDING and notification.queued_at is None
    assert "not handed to the broker" in caplog.text
    assert receiver.received == []

    assert notifications_sweep() == 1  # the broker is back (eager here): the sweep hands it over
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1
    assert notifications_sweep() == 0


def test_it_does_not_sweep_a_row_whose_task_is_still_queued(hooked, receiver, dispatch_urgent):
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))  # queued, not yet run
    assert notifications_sweep() == 0
    assert notifications_sweep(now=timezone.now() + notifications.REQUEUE_AFTER + datetime.timedelta(seconds=1)) == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and len(receiver.received) == 1


def test_it_sweeps_a_retry_whose_task_was_lost(hooked, receiver, dispatch_urgent):
    receiver.answers = [503]
    notification = Notification.objects.get(case=dispatch_urgent())
    # Embedded mode queues no countdown; on a broker the task may be lost with its worker.
    assert notification.status == DeliveryStatus.RETRYING and notification.queued_at is None
    assert notifications_sweep() == 0  # not due yet
    time_passes(notification)
    assert notifications_sweep() == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempt_count == 2


def test_it_takes_back_a_claim_abandoned_by_a_dead_worker(hooked, receiver, dispatch_urgent):
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    past = timezone.now() - datetime.timedelta(seconds=1)
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING, attempt_count=1, next_attempt_at=past, queued_at=None
    )
    assert notifications_sweep() == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempt_count == 2
    assert len(receiver.received) == 1


def test_it_fails_an_abandoned_claim_that_was_the_last_attempt(hooked, receiver, dispatch_urgent):
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING, attempt_count=notifications.MAX_ATTEMPTS, next_attempt_at=timezone.now()
    )
    assert notifications_sweep() == 0
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.FAILED and "worker stopped" in notification.last_error
    assert receiver.received == []


def test_it_sends_a_failed_notification_again_on_request(
    hooked, receiver, dispatch_urgent, django_capture_on_commit_callbacks
):
    receiver.answers = [404]
    notification = Notification.objects.get(case=dispatch_urgent())
    assert notification.status == DeliveryStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED
    assert [a.http_status for a in notification.attempts.all()] == [404, 200]
    assert not notification_resend(notification_id=notification.pk)  # only failed ones


def test_it_lists_a_cases_notifications_with_their_attempts_in_two_queries(
    hooked, receiver, dispatch_urgent, django_assert_num_queries
):
    hooked.emails = "duty@hw.example.cn"
    hooked.save()
    receiver.answers = [500]
    case = dispatch_urgent()
    webhook = Notification.objects.get(case=case, channel="webhook")
    notification_deliver(notification_id=webhook.pk, now=later(webhook))
    with django_assert_num_queries(2):
        listed = [
            (n.channel, n.department.code, n.event.action, [(a.ok, a.http_status) for a in n.attempts.all()])
            for n in case_notifications(case=case)
        ]
    assert sorted(listed) == [
        ("email", "sanitation", "dispatch", [(True, None)]),
        ("webhook", "sanitation", "dispatch", [(False, 500), (True, 200)]),
    ]


def test_it_shows_notifications_and_their_attempts_in_the_admin(
    hooked, receiver, dispatch_urgent, admin_client, django_capture_on_commit_callbacks
):
    receiver.answers = [400]
    notification = Notification.objects.get(case=dispatch_urgent())
    listing = admin_client.get("/admin/cases/notification/")
    assert listing.status_code == 200 and notification.case.tracking_number in listing.text
    page = admin_client.get(f"/admin/cases/notification/{notification.pk}/change/")
    assert page.status_code == 200 and str(notification.delivery_id) in page.text and "HTTP 400" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/cases/notification/", {"action": "resend", "_selected_action": [notification.pk]}
        )
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED
    assert uuid.UUID(receiver.received[-1].headers["X-Delivery-Id"]) == notification.delivery_id


def test_it_signs_the_way_docs_webhooks_md_says(hooked, receiver, dispatch_urgent):
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "WEBHOOKS.md").read_text(encoding="utf-8")
    snippet = text.split("## Verifying in Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "WEBHOOKS.md", "exec"), namespace)  # noqa: S102 - our own documentation
    dispatch_urgent()
    request = receiver.received[0]
    assert namespace["verify"](SECRET, request.headers, request.body)["delivery_id"] == request.headers["X-Delivery-Id"]
    with pytest.raises(ValueError, match="bad signature"):
        namespace["verify"](SECRET, request.headers, request.body.replace(b"urgent", b"normal"))


def test_it_leaves_a_far_retry_to_the_sweep_instead_of_the_broker(hooked, dispatch_urgent, caplog):
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    with broker_unreachable():  # so that any attempt to publish would show in the log
        assert not notification_enqueue(
            notification_id=notification.pk, eta=timezone.now() + datetime.timedelta(hours=1)
        )
        assert "not handed to the broker" not in caplog.text
        assert not notification_enqueue(
            notification_id=notification.pk, eta=timezone.now() + datetime.timedelta(minutes=2)
        )
        assert "not handed to the broker" in caplog.text
    notification.refresh_from_db()
    assert notification.queued_at is None  # the sweep will queue it when it is due
