"""A send cut short, a slow receiver, a lost database connection: the claim, its lease, and what
the case records (docs/WEBHOOKS.md "Duplicates")."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from cases import notifications
from cases.models import DeliveryStatus, Notification, NotificationAttempt
from cases.notifications import notification_deliver, notifications_sweep
from tests.cases.test_notifications import dispatch_urgent, hooked, receiver, sanitation  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_it_records_an_interrupted_attempt_when_it_takes_a_claim_back(hooked, receiver, dispatch_urgent):  # noqa: F811
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    started = timezone.now() - notifications.SENDING_LEASE * 2
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING,
        attempt_count=1,
        claimed_at=started,
        next_attempt_at=started + notifications.SENDING_LEASE,
    )
    assert notifications_sweep() == 1  # taken back, and handed over again (eager: sent at once)
    interrupted, delivered = NotificationAttempt.objects.filter(notification=notification).order_by("id")
    assert interrupted.interrupted and not interrupted.ok and interrupted.at == started
    assert "receiver may have got the message" in interrupted.error
    assert delivered.ok and not delivered.interrupted
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempt_count == 2
    assert notification.claimed_at is None
    # The same delivery id both times: a receiver that drops repeats by it applies the message once.
    assert receiver.received[0].headers["X-Delivery-Id"] == str(notification.delivery_id)


def test_it_leaves_a_claim_alone_while_its_lease_runs(hooked, receiver, dispatch_urgent):  # noqa: F811
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING,
        attempt_count=1,
        claimed_at=now,
        next_attempt_at=now + notifications.SENDING_LEASE,
    )
    assert notifications_sweep() == 0
    assert not NotificationAttempt.objects.exists() and receiver.received == []


def test_its_http_timeout_is_shorter_than_the_lease_and_renewed_more_often(settings):
    lease = datetime.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
    assert lease == notifications.SENDING_LEASE  # the default
    assert datetime.timedelta(seconds=notifications.WEBHOOK_TIMEOUT) < lease
    assert datetime.timedelta(seconds=notifications.EMAIL_TIMEOUT) < lease
    assert notifications._renewal() * 2 < lease


def test_it_renews_the_lease_while_a_send_lasts(hooked, receiver, dispatch_urgent, monkeypatch):  # noqa: F811
    monkeypatch.setattr(notifications, "LEASE_RENEWAL", datetime.timedelta(seconds=0.2))
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    seen = []
    real_update = notifications.Notification.objects.filter

    def send(n):
        done = threading.Event()
        # Watch from the renewing thread's side: it writes next_attempt_at forward.
        monkeypatch.setattr(
            notifications.Notification.objects,
            "filter",
            lambda *a, **k: seen.append(k) or real_update(*a, **k),
        )
        done.wait(0.7)
        return notifications.Outcome(ok=True, http_status=200)

    monkeypatch.setattr(notifications, "_send_webhook", send)
    result = notification_deliver(notification_id=notification.pk)
    assert result.status == DeliveryStatus.DELIVERED
    renewals = [k for k in seen if k.get("status") == DeliveryStatus.SENDING and "attempt_count" in k]
    assert len(renewals) >= 2  # every 0.2 s during a 0.7 s send


def test_it_sends_once_to_a_receiver_that_answers_after_eight_seconds(hooked, receiver, dispatch_urgent):  # noqa: F811
    receiver.delay = 8  # slower than the old 5 s timeout, within the new one
    notification = Notification.objects.get(case=dispatch_urgent())
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 1 and notification.attempts.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_records_the_attempt_after_losing_its_database_connection(hooked, receiver, dispatch_urgent, monkeypatch):  # noqa: F811
    notification = Notification.objects.get(case=dispatch_urgent(execute=False))
    # Committed for real here (a transactional test): it was sent on commit; make it due again.
    NotificationAttempt.objects.all().delete()
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.PENDING, attempt_count=0, next_attempt_at=timezone.now()
    )
    receiver.received.clear()
    real = notifications._write_record
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(*args, **kwargs)

    monkeypatch.setattr(notifications, "_write_record", flaky)
    connection.close()  # as if the worker's connection had been terminated: it reconnects
    result = notification_deliver(notification_id=notification.pk)
    assert result.status == DeliveryStatus.DELIVERED and len(calls) == 2
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and notification.attempts.count() == 1
    assert len(receiver.received) == 1
