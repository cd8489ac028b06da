"""A broker that is there but does not answer (Redis stopped, a network that drops packets) must
not hold up the request that committed a change: bounded, not retried, then skipped for a while."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from cases.models import DeliveryStatus, Department, Notification, Status, Urgency
from cases.services import case_transition
from config.breaker import Breaker
from config.celery_app import app
from tests.cases.conftest import NOW
from tests.worker import _reset_connections

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def hung_broker():
    """A listening socket nobody reads: connecting succeeds (the kernel's backlog), every answer
    times out — what a SIGSTOPped Redis looks like from outside."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        keys = ("task_always_eager", "broker_url", "broker_transport_options", "broker_connection_timeout")
        saved = {key: app.conf[key] for key in keys}
        app.conf.update(
            task_always_eager=False,
            broker_url=f"redis://127.0.0.1:{server.getsockname()[1]}/0",
            broker_transport_options={"socket_timeout": 1, "socket_connect_timeout": 1},
            broker_connection_timeout=1,
        )
        _reset_connections()
        try:
            yield
        finally:
            app.conf.update(saved)
            _reset_connections()


def test_it_answers_a_dispatch_within_the_timeout_and_then_at_once_while_the_broker_hangs(
    city, report, django_capture_on_commit_callbacks
):
    department = Department.objects.get(code="sanitation")
    department.webhook_url, department.webhook_secret = "http://127.0.0.1:9/hook", "secret"
    department.save()
    cases = []
    for _ in range(3):
        case = report(urgency=Urgency.URGENT)
        cases.append(
            case_transition(case_id=case.pk, action="file", actor=city["clerk"], now=NOW, category=city["garbage"])
        )
    took = []
    with hung_broker():
        for case in cases:
            started = time.monotonic()
            with django_capture_on_commit_callbacks(execute=True):
                case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"], now=NOW)
            took.append(time.monotonic() - started)
    # Generous bounds for a loaded two-core machine: the first pays one socket timeout (1 s here),
    # the others find the breaker open and do not try.
    assert took[0] < 5, took
    assert max(took[1:]) < 1, took
    for case in cases:
        case.refresh_from_db()
        assert case.status == Status.DISPATCHED
        notification = Notification.objects.get(case=case)
        assert notification.status == DeliveryStatus.PENDING and notification.queued_at is None  # for the sweep


def test_the_breaker_closes_again_after_its_time(caplog):
    breaker = Breaker("test", 0.2)
    breaker.trip(OSError("down"))
    breaker.trip(OSError("down"))
    assert breaker.is_open
    assert caplog.text.count("test unreachable") == 1  # one line per outage, not one per request
    time.sleep(0.3)
    assert not breaker.is_open
