"""Status callbacks to the system an order came from (签收, 派遣, 办结 with the result, 退回 with the
reason) and pushes to the higher-level platform: written with the event, sent through the one
outbox after commit (Celery eager here: tests/exchange/test_worker.py uses a real worker), signed
with the system's secret and checked as a receiver would (docs/EXCHANGE.md)."""

import pytest

from cases.models import Channel, DeliveryStatus, Department, Notification, Status, Urgency
from cases.notifications import notification_deliver, notifications_sweep
from cases.services import case_transition
from exchange.models import UpstreamSystem
from exchange.services import message_resend, order_receive
from tests.cases.test_notifications import signature_ok, time_passes
from tests.exchange.conftest import HOTLINE_SECRET, IN_M1, NOW, PLATFORM_SECRET
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Do something and what waits for its commit (the sends)."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def receive(run, system, external_id="GD202611180001", **extra):
    params = {"lon": IN_M1.x, "lat": IN_M1.y, "description": "垃圾堆放", "now": NOW, **extra}
    order, _new = run(order_receive, system=system, external_id=external_id, **params)
    return order.case


def act(run, case, action, user, **kwargs):
    params = with_after_photo(action, {"now": NOW, **kwargs})
    return run(case_transition, case_id=case.pk, action=action, actor=user, **params)


def close_the_loop(run, city, case):
    act(run, case, "file", city["clerk"], category=city["garbage"], urgency=Urgency.URGENT)
    act(run, case, "dispatch", city["dispatcher"])
    act(run, case, "handle", city["handler"], note="已清运垃圾 2 车，路面冲洗干净")
    act(run, case, "send_to_check", city["clerk"])
    act(run, case, "check_pass", city["inspector"])
    return act(run, case, "close", city["leader"], note="核查通过，结案")


def test_the_sender_hears_received_dispatched_and_closed_with_the_result(run, city, systems, hotline_receiver):
    case = receive(run, systems["hotline"])
    close_the_loop(run, city, case)
    got = [r.json for r in hotline_receiver.received]
    assert [m["type"] for m in got] == ["order.received", "order.dispatched", "order.closed"]
    for request in hotline_receiver.received:
        assert signature_ok(HOTLINE_SECRET, request)
        assert not signature_ok(PLATFORM_SECRET, request)
        assert request.headers["X-Delivery-Id"] == request.json["delivery_id"]
        assert request.headers["User-Agent"] == "citydispatch-exchange/1"
    assert all(m["external_id"] == "GD202611180001" and m["system"] == "12345" for m in got)
    assert got[1]["department"] == {"code": "sanitation", "name": Department.objects.get(code="sanitation").name}
    assert got[1]["case"]["status"] == "dispatched" and got[1]["case"]["deadline"] is not None
    closed = got[2]
    assert closed["result"] == "已清运垃圾 2 车，路面冲洗干净" and closed["note"] == "核查通过，结案"
    assert closed["case"]["status"] == "closed" and closed["case"]["status_label"] == "已结案"
    assert closed["event"]["action"] == "close" and closed["event"]["from_status"] == "checked"
    assert Notification.objects.filter(channel=Channel.CALLBACK, status=DeliveryStatus.DELIVERED).count() == 3


def test_the_sender_hears_returned_with_the_reason(run, city, systems, hotline_receiver):
    case = receive(run, systems["hotline"])
    act(run, case, "reject", city["clerk"], note="不属于城管受理范围，请转住建部门")
    got = [r.json for r in hotline_receiver.received]
    assert [m["type"] for m in got] == ["order.received", "order.returned"]
    assert got[1]["reason"] == "不属于城管受理范围，请转住建部门" and got[1]["case"]["status"] == "rejected"


def test_a_cancelled_order_is_returned_too(run, city, systems, hotline_receiver):
    case = receive(run, systems["hotline"], category_code="E0102")
    act(run, case, "file", city["clerk"])
    act(run, case, "cancel", city["leader"], note="市民撤诉")
    assert [r.json["type"] for r in hotline_receiver.received] == ["order.received", "order.returned"]


def test_steps_between_are_not_called_back(run, city, systems, hotline_receiver):
    case = receive(run, systems["hotline"])
    act(run, case, "verify", city["clerk"])
    act(run, case, "file", city["inspector"], category=city["garbage"])
    assert [r.json["type"] for r in hotline_receiver.received] == ["order.received"]


def test_the_higher_platform_hears_every_case_and_status_change(run, city, systems, report, platform_receiver):
    case = run(report)
    close_the_loop(run, city, case)
    got = [r.json for r in platform_receiver.received]
    assert [m["type"] for m in got] == ["case.reported"] + ["case.status_changed"] * 6
    assert [m["event"]["to_status"] for m in got] == [
        "reported", "filed", "dispatched", "handled", "checking", "checked", "closed",
    ]  # fmt: skip
    assert all(signature_ok(PLATFORM_SECRET, r) for r in platform_receiver.received)
    assert got[0]["origin"] is None and got[0]["external_id"] is None
    assert got[0]["case"]["description"] == "路边暴露垃圾" and got[0]["case"]["source"] == "inspector"
    assert got[2]["event"]["label"] == "派遣"


def test_a_case_not_from_an_order_gets_no_callback(run, city, systems, report, hotline_receiver):
    case = run(report)
    act(run, case, "file", city["clerk"], category=city["garbage"])
    assert hotline_receiver.received == []


def test_nothing_is_written_for_a_system_without_a_callback_url(run, city, systems):
    UpstreamSystem.objects.filter(pk=systems["hotline"].pk).update(callback_url="")
    UpstreamSystem.objects.filter(pk=systems["platform"].pk).update(active=False)
    from exchange.selectors import _SYSTEMS

    _SYSTEMS.forget()  # update() sends no signal: as after an edit in another process
    case = receive(run, systems["hotline"])
    act(run, case, "file", city["clerk"], category=city["garbage"])
    assert Notification.objects.count() == 0


def test_a_refused_callback_fails_and_is_sent_again_once_fixed(run, city, systems, hotline_receiver):
    hotline_receiver.answers = [403]
    case = receive(run, systems["hotline"])
    callback = Notification.objects.get(channel=Channel.CALLBACK)
    assert callback.status == DeliveryStatus.FAILED and "HTTP 403" in callback.last_error
    assert run(message_resend, message_id=callback.pk, actor=city["leader"])
    callback.refresh_from_db()
    assert callback.status == DeliveryStatus.DELIVERED and callback.attempt_count == 1
    assert [r.json["delivery_id"] for r in hotline_receiver.received] == [str(callback.delivery_id)] * 2
    assert case.status == Status.REPORTED


def test_a_transient_failure_is_retried_with_backoff_by_the_same_outbox(run, city, systems, hotline_receiver):
    hotline_receiver.answers = [503]
    receive(run, systems["hotline"])
    callback = Notification.objects.get(channel=Channel.CALLBACK)
    assert callback.status == DeliveryStatus.RETRYING and callback.attempt_count == 1
    assert (callback.next_attempt_at - callback.attempts.get().at).total_seconds() == 30
    # Due: the sweep hands it over again (eager here) and it is delivered, same delivery id.
    time_passes(callback)
    assert run(notifications_sweep) == 1
    assert notification_deliver(notification_id=callback.pk) is None  # settled: not sent twice
    callback.refresh_from_db()
    assert callback.status == DeliveryStatus.DELIVERED and callback.attempts.count() == 2
    assert len({r.headers["X-Delivery-Id"] for r in hotline_receiver.received}) == 1
