"""End to end with a real Celery worker on Redis (another process, posting to the receivers on
127.0.0.1): a 12345 order in through the endpoint and its callbacks out, signed; one order posted
twice at the same moment; the higher platform's push surviving a broker outage."""

import threading
from unittest import mock

import pytest
from django.db import connection

from cases.models import Case, Channel, DeliveryStatus, Notification, Status, Urgency
from cases.services import case_transition
from cases.tasks import deliver_notification, sweep_notifications
from exchange.models import ExternalOrder
from exchange.services import order_receive
from tests.cases.test_notifications import signature_ok
from tests.exchange.conftest import HOTLINE_SECRET, IN_M1, NOW, PLATFORM_SECRET, order, post
from tests.worker import Worker, broker_unreachable, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def delivered(channel: str, count: int):
    return Notification.objects.filter(channel=channel, status=DeliveryStatus.DELIVERED).count() >= count


@pytest.mark.worker
def test_a_12345_order_in_and_its_callbacks_out_through_a_real_worker(
    celery_worker_process, client, city, systems, hotline_receiver
):
    answer = post(client, systems["hotline_key"], order())
    assert answer.status_code == 201
    assert wait_for(lambda: delivered(Channel.CALLBACK, 1), timeout=15), celery_worker_process.output()
    case = Case.objects.get(pk=answer.json()["case"]["id"])
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"],
                    urgency=Urgency.URGENT, now=NOW)  # fmt: skip
    case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"], now=NOW)
    assert wait_for(lambda: delivered(Channel.CALLBACK, 2), timeout=15), celery_worker_process.output()

    got = hotline_receiver.received
    assert [r.json["type"] for r in got] == ["order.received", "order.dispatched"]
    assert all(signature_ok(HOTLINE_SECRET, r) for r in got)
    assert all(r.json["external_id"] == "GD202611180001" for r in got)
    assert "cases.tasks.deliver_notification[" in celery_worker_process.output()


def test_one_order_posted_twice_at_the_same_moment_makes_one_case(city, systems, hotline_receiver):
    barrier = threading.Barrier(2)
    answers: list = []

    def post_once() -> None:
        try:
            barrier.wait(timeout=10)
            found, new = order_receive(system=systems["hotline"], external_id="GD-RACE-1", lon=IN_M1.x, lat=IN_M1.y,
                                       description="同一工单推送两次", now=NOW)  # fmt: skip
            answers.append((found.case_id, new))
        except Exception as exc:  # the test reports it
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 2 and not [a for a in answers if isinstance(a, Exception)], answers
    assert sorted(new for _case, new in answers) == [False, True]
    assert len({case_id for case_id, _new in answers}) == 1
    assert Case.objects.count() == 1 and ExternalOrder.objects.count() == 1
    assert Notification.objects.filter(channel=Channel.CALLBACK).count() == 1  # 签收 once
    assert Notification.objects.filter(channel=Channel.UPSTREAM).count() == 1


def test_a_second_post_while_the_first_is_still_committing_gets_the_first_case(city, systems, hotline_receiver):
    """The first post holds its transaction open after writing the case; the second arrives then,
    does not see the order yet (it is not committed), and must still end with the first's case."""
    from exchange import services

    inside, release = threading.Event(), threading.Event()
    create = services.notifications_create_for_exchange
    answers: dict[str, object] = {}

    def slow_first(**kwargs):
        created = create(**kwargs)
        if threading.current_thread().name == "first":
            inside.set()
            release.wait(timeout=20)
        return created

    def post_once() -> None:
        try:
            found, new = order_receive(system=systems["hotline"], external_id="GD-RACE-2", lon=IN_M1.x, lat=IN_M1.y,
                                       description="同一工单推送两次", now=NOW)  # fmt: skip
            answers[threading.current_thread().name] = (found.case_id, new)
        except Exception as exc:  # the test reports it
            answers[threading.current_thread().name] = exc
        finally:
            connection.close()

    with mock.patch.object(services, "notifications_create_for_exchange", side_effect=slow_first):
        first = threading.Thread(target=post_once, name="first")
        first.start()
        assert inside.wait(timeout=20)
        second = threading.Thread(target=post_once, name="second")
        second.start()
        second.join(timeout=1)  # it waits for the first (row lock or SQLite's one writer), whatever this says
        release.set()
        first.join(timeout=30)
        second.join(timeout=30)

    assert answers["first"][1] is True and answers["second"] == (answers["first"][0], False), answers
    assert Case.objects.count() == 1 and ExternalOrder.objects.count() == 1
    assert Notification.objects.filter(channel=Channel.CALLBACK).count() == 1


@pytest.mark.worker
def test_the_upstream_push_survives_a_broker_outage(city, report, systems, platform_receiver):
    with broker_unreachable():
        case = report()
        case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"], now=NOW)
    case.refresh_from_db()
    assert case.status == Status.FILED  # committed while the broker was down
    pushes = Notification.objects.filter(channel=Channel.UPSTREAM).order_by("id")
    assert [(p.status, p.queued_at) for p in pushes] == [(DeliveryStatus.PENDING, None)] * 2
    assert platform_receiver.received == []

    worker = Worker().start()  # the broker and a worker are back
    try:
        sweep_notifications.delay()  # what the beat does every minute
        assert wait_for(lambda: delivered(Channel.UPSTREAM, 2), timeout=15), worker.output()
        # Another sweep and a duplicate task (a broker redelivering) send nothing more.
        sweep_notifications.delay()
        deliver_notification.delay(pushes[0].pk)
        assert wait_for(lambda: worker.output().count("succeeded in") >= 5, timeout=15), worker.output()
    finally:
        worker.stop()
    got = platform_receiver.received
    assert sorted(r.json["event"]["to_status"] for r in got) == ["filed", "reported"]
    assert all(signature_ok(PLATFORM_SECRET, r) for r in got)
    assert len({r.headers["X-Delivery-Id"] for r in got}) == 2  # each delivery id once
