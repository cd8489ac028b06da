"""The shift leader's page of notifications that finally failed, with "send again"."""

from __future__ import annotations

import pytest

from cases.models import DeliveryStatus, Notification
from tests.cases.test_notifications import dispatch_urgent, hooked, receiver, sanitation  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

URL = "/cases/notifications/failed/"


def test_it_lists_a_failed_notification_and_logs_an_error(client, city, hooked, receiver, dispatch_urgent, caplog):
    receiver.answers = [404]
    case = dispatch_urgent()
    assert Notification.objects.get(case=case).status == DeliveryStatus.FAILED
    assert "finally failed" in caplog.text
    assert any(r.levelname == "ERROR" and getattr(r, "alert", "") == "notification_failed" for r in caplog.records)
    client.force_login(city["leader"])
    html = client.get(URL).content.decode()
    assert case.tracking_number in html and "HTTP 404" in html


def test_the_shift_leader_sends_it_again(
    client, city, hooked, receiver, dispatch_urgent, django_capture_on_commit_callbacks
):
    receiver.answers = [404]
    notification = Notification.objects.get(case=dispatch_urgent())
    client.force_login(city["leader"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"notification": notification.pk})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.DELIVERED and len(receiver.received) == 2
    assert client.get(URL).content.decode().count("tracking") == 0


@pytest.mark.parametrize("who", ["dispatcher", "handler", "outsider"])
def test_other_roles_may_not_open_it(client, city, who):
    client.force_login(city[who])
    assert client.get(URL).status_code == 403


def test_its_table_is_the_one_the_exchange_page_draws(client, city, hooked, receiver, dispatch_urgent):
    receiver.answers = [404]
    notification = Notification.objects.get(case=dispatch_urgent())
    client.cookies["django_language"] = "en"
    client.force_login(city["leader"])
    response = client.get(URL)
    assert "cases/_notification_table.html" in [t.name for t in response.templates]
    html = response.content.decode()
    # To a department: its name and channel, no status column, "send again" posted to this page.
    assert '<th scope="col">Department</th>' in html and '<th scope="col">Status</th>' not in html
    assert f'name="notification" value="{notification.pk}"' in html and "/exchange/" not in html
