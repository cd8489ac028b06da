"""The inbound work-order endpoint: a system's key, the sender's id kept, idempotent on it, the
order entering through the one intake service with its system's source; scope and bad input."""

import pytest

from accounts.tokens import api_token_create
from audit.models import AuditEvent
from cases.models import Case, CaseEvent, Channel, Notification, Source, Status
from exchange.models import ExternalOrder
from tests.exchange.conftest import ORDERS, order, post

pytestmark = pytest.mark.django_db


def test_it_takes_a_12345_order_as_a_hotline_case_keeping_its_id(client, systems):
    answer = post(client, systems["hotline_key"], order())
    assert answer.status_code == 201, answer.content
    body = answer.json()
    case = Case.objects.get()
    assert body["system"] == "12345" and body["external_id"] == "GD202611180001"
    assert body["case"] == {"id": case.pk, "tracking_number": case.tracking_number, "status": "reported"}
    assert case.source == Source.HOTLINE and case.category.full_code == "E0102"
    assert case.description == "路口东北角垃圾堆放三天未清运" and case.reporter_phone == "13812341234"
    assert case.micro_grid.code == "M1"  # located like every report
    assert CaseEvent.objects.get(case=case).action == "report"  # through the intake service
    stored = ExternalOrder.objects.get()
    assert (stored.system, stored.external_id, stored.case) == (systems["hotline"], "GD202611180001", case)
    audit = AuditEvent.objects.filter(action="exchange.order_received").latest("id")  # the log outlives tests
    assert audit.details["external_id"] == "GD202611180001" and "13812341234" not in str(audit.details)


def test_it_owes_the_sender_a_received_callback_and_the_higher_platform_a_push(client, systems):
    post(client, systems["hotline_key"], order())
    case = Case.objects.get()
    callback = Notification.objects.get(channel=Channel.CALLBACK)
    push = Notification.objects.get(channel=Channel.UPSTREAM)
    assert callback.upstream == systems["hotline"] and callback.department is None
    assert callback.payload["type"] == "order.received" and callback.payload["external_id"] == "GD202611180001"
    assert callback.payload["delivery_id"] == str(callback.delivery_id)
    assert push.upstream == systems["platform"]
    assert push.payload["type"] == "case.reported"
    assert push.payload["origin"] == {"system": "12345", "external_id": "GD202611180001"}
    assert push.payload["case"]["tracking_number"] == case.tracking_number
    for message in (callback, push):  # the reporter's contact never leaves
        assert "13812341234" not in str(message.payload) and "王先生" not in str(message.payload)


def test_it_answers_the_same_order_again_with_the_first_case(client, systems):
    first = post(client, systems["hotline_key"], order())
    again = post(client, systems["hotline_key"], order(description="重复推送", lon=118.606))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case"]["id"] == first.json()["case"]["id"]
    assert Case.objects.count() == 1 and ExternalOrder.objects.count() == 1
    assert Notification.objects.filter(channel=Channel.CALLBACK).count() == 1  # 签收 once


def test_the_same_id_from_another_system_is_another_order(client, systems):
    post(client, systems["hotline_key"], order())
    answer = post(client, systems["platform_key"], order())
    assert answer.status_code == 201
    assert Case.objects.count() == 2
    assignment = Case.objects.get(pk=answer.json()["case"]["id"])
    assert assignment.source == Source.HIGHER_LEVEL  # 上级交办


def test_a_higher_level_assignment_gets_its_callbacks_and_no_push_of_its_own(client, systems):
    post(client, systems["platform_key"], order("JB-2026-0031"))
    messages = list(Notification.objects.values_list("upstream__code", "channel", "payload__type"))
    assert messages == [("city-platform", "callback", "order.received")]


def test_it_refuses_a_request_without_a_system_key(client, systems):
    assert post(client, None, order()).status_code in (401, 403)
    assert Case.objects.count() == 0


def test_it_refuses_a_wrong_key_and_audits_it(client, systems):
    failures = AuditEvent.objects.filter(action="exchange.key_failed", result="failed")
    before = failures.count()  # the log outlives tests
    answer = post(client, "not-a-key", order())
    assert answer.status_code == 401
    assert failures.count() == before + 1
    assert Case.objects.count() == 0


def test_it_refuses_the_key_of_a_system_switched_off(client, systems):
    systems["hotline"].active = False
    systems["hotline"].save()
    assert post(client, systems["hotline_key"], order()).status_code == 401
    assert Case.objects.count() == 0


def test_a_staff_token_is_not_a_system_key(client, systems, city):
    _token, key = api_token_create(user=city["clerk"], name="test")
    answer = client.post(ORDERS, order(), content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 401  # this endpoint knows system keys only
    assert answer["WWW-Authenticate"].startswith("System")
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_id": ""}, "external_id"),
        ({"lon": "east"}, "lon"),
        ({"category": "E9999"}, "category"),
        ({"urgency": "yesterday"}, "urgency"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(client, systems, change, field):
    answer = post(client, systems["hotline_key"], order(**change))
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert Case.objects.count() == 0 and ExternalOrder.objects.count() == 0


def test_it_refuses_a_point_outside_the_city_storing_nothing(client, systems):
    answer = post(client, systems["hotline_key"], order(lon=100.0, lat=30.0))
    assert answer.status_code == 400 and "outside" in answer.json()["error"]["message"]
    assert Case.objects.count() == 0 and ExternalOrder.objects.count() == 0 and Notification.objects.count() == 0


def test_a_system_reads_its_own_order_and_not_anothers(client, systems):
    post(client, systems["hotline_key"], order())
    own = client.get(f"{ORDERS}GD202611180001/", HTTP_AUTHORIZATION=f"System {systems['hotline_key']}")
    assert own.status_code == 200 and own.json()["case"]["status"] == Status.REPORTED
    other = client.get(f"{ORDERS}GD202611180001/", HTTP_AUTHORIZATION=f"System {systems['platform_key']}")
    assert other.status_code == 404
    unknown = client.get(f"{ORDERS}nope/", HTTP_AUTHORIZATION=f"System {systems['hotline_key']}")
    assert unknown.status_code == 404
