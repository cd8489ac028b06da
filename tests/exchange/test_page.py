"""The exchange page (交换消息): what was sent to the upstream systems, what is pending, what failed,
with a button to send a failed one again; for the command center and the system administrator."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Channel, DeliveryStatus, Notification
from exchange.services import order_receive
from tests.exchange.conftest import IN_M1, NOW

pytestmark = pytest.mark.django_db
PAGE = reverse("exchange:messages")


@pytest.fixture
def messages(systems, django_capture_on_commit_callbacks, hotline_receiver):
    """One order: its 签收 callback refused by the hotline (failed), its push delivered."""
    hotline_receiver.answers = [403]
    with django_capture_on_commit_callbacks(execute=True):
        order_receive(system=systems["hotline"], external_id="GD-7", lon=IN_M1.x, lat=IN_M1.y, description="垃圾",
                      now=NOW)  # fmt: skip
    return {
        "failed": Notification.objects.get(channel=Channel.CALLBACK),
        "sent": Notification.objects.get(channel=Channel.UPSTREAM),
    }


def test_it_shows_an_empty_state_when_nothing_was_exchanged(client, city):
    client.force_login(city["leader"])
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Nothing pending" in page.content
    for tab in ("failed", "sent"):
        assert client.get(PAGE, {"tab": tab}).status_code == 200


def test_it_lists_failed_and_sent_messages_in_their_tabs(client, city, messages):
    client.force_login(city["dispatcher"])
    failed = client.get(PAGE, {"tab": "failed"}).content.decode()
    assert messages["failed"].case.tracking_number in failed and "GD-7" in failed and "HTTP 403" in failed
    assert reverse("exchange:resend", args=[messages["failed"].pk]) in failed
    sent = client.get(PAGE, {"tab": "sent"}).content.decode()
    assert "市级城市运行管理服务平台" in sent and "Send again" not in sent
    assert b"Nothing pending" in client.get(PAGE).content


def test_it_filters_by_system(client, city, systems, messages):
    client.force_login(city["leader"])
    page = client.get(PAGE, {"tab": "sent", "system": systems["hotline"].pk}).content.decode()
    assert "Nothing sent yet" in page


def test_send_again_resends_a_failed_message_and_audits_it(client, city, messages, django_capture_on_commit_callbacks):
    resent = AuditEvent.objects.filter(action="exchange.message_resent")
    before = resent.count()  # the log outlives tests
    client.force_login(city["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("exchange:resend", args=[messages["failed"].pk]))
    assert answer.status_code == 302
    message = messages["failed"]
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED  # the receiver answers 200 now
    audit = resent.latest("id")
    assert audit.actor_username == "leader" and audit.details == {"message": message.pk}
    # Not failed any more: nothing to resend, and nothing audited.
    client.post(reverse("exchange:resend", args=[message.pk]))
    assert resent.count() == before + 1


def test_a_department_notification_cannot_be_resent_from_this_page(client, city, messages):
    Notification.objects.filter(pk=messages["failed"].pk).update(status=DeliveryStatus.FAILED)
    client.force_login(city["leader"])
    client.post(reverse("exchange:resend", args=[messages["sent"].pk]))  # delivered: refused
    assert Notification.objects.get(pk=messages["sent"].pk).status == DeliveryStatus.DELIVERED


def test_the_system_administrator_sees_the_page(client, make_user, city):
    client.force_login(make_user("sys", Role.SYSTEM_ADMIN))
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("persona", ["supervisor", "chief", "handler", "inspector", "outsider"])
def test_other_roles_are_refused_the_page_and_the_button(client, city, messages, persona):
    client.force_login(city[persona])
    assert client.get(PAGE).status_code == 403
    assert client.post(reverse("exchange:resend", args=[messages["failed"].pk])).status_code == 403
    assert Notification.objects.get(pk=messages["failed"].pk).status == DeliveryStatus.FAILED


def test_anonymous_visitors_are_sent_to_the_login(client, city):
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_the_page_is_chinese_first(client, city, messages):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(city["leader"])
    page = client.get(PAGE, {"tab": "failed"}).content.decode()
    assert "与上级及外部系统的数据交换" in page and "重新发送" in page and "状态回传" in page


def test_the_case_page_shows_the_messages_to_the_systems(client, city, messages):
    client.force_login(city["leader"])
    page = client.get(reverse("cases:detail", args=[messages["failed"].case_id])).content.decode()
    assert "12345 市民热线" in page and "市级城市运行管理服务平台" in page and "Status callback" in page


def test_the_shift_leaders_page_of_failed_department_notifications_leaves_them_out(client, city, messages):
    client.force_login(city["leader"])
    page = client.get(reverse("cases:notifications_failed")).content.decode()
    assert messages["failed"].case.tracking_number not in page
    assert "No failed notifications" in page


def test_its_table_is_the_one_the_failed_notifications_page_draws(client, city, messages):
    client.force_login(city["leader"])
    response = client.get(PAGE, {"tab": "failed"})
    assert "cases/_notification_table.html" in [t.name for t in response.templates]
    assert '<th scope="col">System</th>' in response.content.decode()
