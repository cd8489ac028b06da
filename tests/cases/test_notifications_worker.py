"""Dispatch notifications end to end: enqueued after commit, sent by a real worker on Redis.

The worker is another process; it posts to the test's HTTP server on 127.0.0.1.
"""

import pytest

from cases.models import DeliveryStatus, Department, Notification, Status, Urgency
from cases.services import case_transition
from cases.tasks import deliver_notification, sweep_notifications
from tests.cases.conftest import NOW
from tests.cases.test_notifications import SECRET, Receiver, signature_ok
from tests.worker import Worker, broker_unreachable, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def hooked(city, receiver) -> Department:
    department = Department.objects.get(code="sanitation")
    department.webhook_url, department.webhook_secret = receiver.url, SECRET
    department.save()
    return department


def dispatch_urgent(city, report):
    case = report(urgency=Urgency.URGENT)
    for action, user, extra in [("file", "clerk", {"category": city["garbage"]}), ("dispatch", "dispatcher", {})]:
        case = case_transition(case_id=case.pk, action=action, actor=city[user], now=NOW, **extra)
    assert case.status == Status.DISPATCHED
    return case


def delivered(case):
    return Notification.objects.filter(case=case, status=DeliveryStatus.DELIVERED).first()


def test_it_delivers_a_signed_webhook_from_a_real_worker(celery_worker_process, city, report, hooked, receiver):
    case = dispatch_urgent(city, report)
    notification = wait_for(lambda: delivered(case), timeout=10)
    assert notification is not None, celery_worker_process.output()
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert signature_ok(SECRET, request)
    assert request.headers["X-Delivery-Id"] == str(notification.delivery_id)
    assert request.json["case"]["tracking_number"] == case.tracking_number
    assert notification.attempt_count == 1 and notification.attempts.get().http_status == 200
    assert "cases.tasks.deliver_notification[" in celery_worker_process.output()


def test_it_delivers_exactly_once_after_a_broker_outage(city, report, hooked, receiver):
    with broker_unreachable():
        case = dispatch_urgent(city, report)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED  # committed while the broker was down
    notification = Notification.objects.get(case=case)
    assert notification.status == DeliveryStatus.PENDING and notification.queued_at is None
    assert receiver.received == []

    worker = Worker().start()  # the broker and a worker are back
    try:
        sweep_notifications.delay()  # what beat does every minute
        assert wait_for(lambda: delivered(case), timeout=10) is not None, worker.output()
        # A second sweep and a duplicate task (a broker redelivering) send nothing more.
        sweep_notifications.delay()
        deliver_notification.delay(notification.pk)
        finished = wait_for(lambda: worker.output().count("succeeded in") >= 4, timeout=10)  # 2 sweeps, 2 deliveries
        assert finished, worker.output()
    finally:
        worker.stop()
    assert len(receiver.received) == 1
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempts.count() == 1
