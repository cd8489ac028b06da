"""Device alerts: authenticated per device or integration key (scope first), merged per device and
event type within the window, filed at once above the threshold, held for a person below it;
the person's look; nothing stored for a refused alert."""

import base64
import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.machines import AUTOFILER
from audit.models import AuditEvent
from cases.models import Case, CaseEvent, CasePhoto, Source, Status
from cases.services import case_transition
from devices.models import Alert, Outcome
from devices.services import alert_receive
from tests.cases.conftest import NOW
from tests.photos import noise_jpeg

pytestmark = pytest.mark.django_db
URL = "/api/devices/alerts/"


def post(client, key, **data):
    body = {"device": "37132900001320000001", "event_type": "garbage_exposed", "confidence": "0.92", **data}
    body = {name: value for name, value in body.items() if value is not None}
    headers = {"authorization": f"Device {key}"} if key else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


def receive(devices, minutes=0, device="camera", **extra):
    params = {"credential": devices["platform"], "device_code": devices[device].code, "event_type_code": "garbage_exposed",
              "confidence": "0.9", "occurred_at": NOW + datetime.timedelta(minutes=minutes),
              "now": NOW + datetime.timedelta(minutes=minutes, seconds=5), **extra}  # fmt: skip
    return alert_receive(**params)[0]


def test_it_files_a_confident_alert_at_once_through_the_case_service(client, devices):
    response = post(
        client, devices["platform_key"], alert_id="evt-1", snapshot_base64=base64.b64encode(noise_jpeg()).decode()
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "filed" and body["auto_filed"] is True and body["case"]["status"] == "filed"
    case = Case.objects.get()
    assert (
        case.source == Source.CAMERA
        and case.category.code == "0102"
        and case.micro_grid == devices["camera"].micro_grid
    )
    assert case.location.equals_exact(devices["camera"].location, 1e-9)
    filed = case.events.get(action="file")
    assert filed.actor.username == AUTOFILER and "0.920" in filed.note and "0.80" in filed.note  # in the site language
    alert = Alert.objects.get()
    assert alert.photo == CasePhoto.objects.get(case=case) and alert.photo.event.action == "report"


def test_it_holds_a_less_confident_alert_for_a_person(client, devices):
    body = post(client, devices["platform_key"], confidence="0.55").json()
    assert body["outcome"] == "held" and body["auto_filed"] is False and body["case"]["status"] == "reported"
    assert not CaseEvent.objects.filter(action="file").exists()


def test_it_merges_alerts_of_one_device_and_type_within_the_window(devices):
    first = receive(devices, 0)
    same = receive(devices, 20)  # 20 minutes later: within 30 of the last one
    chained = receive(devices, 45)  # 25 minutes after the last one: the window slides
    later = receive(devices, 80)  # 35 minutes after the last one: a new case
    other_device = receive(devices, 1, device="other")
    other_type = receive(devices, 2, event_type_code="cover_tilted")
    assert first.outcome == Outcome.FILED
    assert same.case == first.case == chained.case and same.outcome == chained.outcome == Outcome.MERGED
    assert len({first.case_id, later.case_id, other_device.case_id, other_type.case_id}) == 4
    assert Case.objects.count() == 4 and first.case.alerts.count() == 3


def test_it_files_a_held_case_when_a_confident_alert_of_the_same_event_joins_it(devices):
    held = receive(devices, 0, confidence="0.3")
    assert held.case.status == Status.REPORTED
    joined = receive(devices, 5, confidence="0.95")
    joined.case.refresh_from_db()
    assert joined.case == held.case and joined.outcome == Outcome.MERGED and joined.auto_filed is True
    assert joined.case.status == Status.FILED


def test_it_opens_a_new_case_when_the_last_one_has_ended(city, devices):
    first = receive(devices, 0, confidence="0.3")
    case_transition(case_id=first.case_id, action="reject", actor=city["clerk"], note="误报")
    again = receive(devices, 5, confidence="0.3")
    assert again.case_id != first.case_id and again.outcome == Outcome.HELD


def test_it_takes_an_alert_id_once(client, devices):
    first = post(client, devices["platform_key"], alert_id="evt-9")
    again = post(client, devices["platform_key"], alert_id="evt-9", confidence="0.1")
    assert first.status_code == 201 and again.status_code == 200 and again.json() == first.json()
    assert Alert.objects.count() == 1 and Case.objects.count() == 1


def test_it_adds_each_merged_alerts_snapshot_to_the_case(client, devices):
    post(client, devices["platform_key"], snapshot_base64=base64.b64encode(noise_jpeg()).decode())
    response = client.post(
        URL,
        {"device": devices["camera"].code, "event_type": "garbage_exposed", "confidence": "0.9",
         "snapshot": SimpleUploadedFile("s.jpg", noise_jpeg(), "image/jpeg")},
        headers={"authorization": f"Device {devices['platform_key']}"},
    )  # fmt: skip
    assert response.status_code == 201 and response.json()["outcome"] == "merged"
    case = Case.objects.get()
    assert case.photos.count() == 2 and set(Alert.objects.values_list("photo__case", flat=True)) == {case.pk}


def test_it_lets_a_key_speak_only_for_its_own_devices(client, devices):
    refused = [
        post(client, devices["sensor_key"]),  # a device's own key, for another device
        post(client, devices["platform_key"], device="JG-0001"),  # a platform's key, for a device not on it
        post(client, devices["platform_key"], device="NO-SUCH-DEVICE"),
    ]
    for response in refused:
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_permitted"
    assert "NO-SUCH-DEVICE" in refused[2].json()["error"]["message"]
    # Scope before anything else: a bad alert for a device the key may not speak for is refused as such.
    assert post(client, devices["sensor_key"], confidence="high", event_type="fire").status_code == 403
    assert post(client, devices["platform_key"], device=None).status_code == 403  # no device: none it speaks for
    ok = post(client, devices["sensor_key"], device="JG-0001", event_type="cover_tilted", confidence="0.6")
    assert ok.status_code == 201 and ok.json()["outcome"] == "filed"
    devices["camera"].active = False
    devices["camera"].save()
    assert post(client, devices["platform_key"]).status_code == 403
    assert Alert.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"confidence": "1.5"}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"event_type": "fire"}, "event_type"),
        ({"occurred_at": "2999-01-01T00:00:00+08:00"}, "occurred_at"),
        ({"snapshot_base64": base64.b64encode(b"not an image").decode()}, "snapshot"),
        ({"snapshot_base64": "%%%"}, "snapshot_base64"),
    ],
)
def test_it_refuses_a_bad_alert_and_stores_nothing(client, devices, data, field):
    response = post(client, devices["platform_key"], **data)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert Alert.objects.count() == 0 and Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_it_refuses_a_request_without_a_valid_key_and_locks_out_an_address_that_keeps_trying(client, devices, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    assert post(client, None).status_code in (401, 403)
    for _ in range(3):
        response = post(client, "wrong-key")
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Device")
    assert post(client, devices["platform_key"]).status_code == 429  # the address is locked, whatever key
    assert AuditEvent.objects.filter(action="devices.key_failed", result="failed").count() == 3
    assert AuditEvent.objects.filter(action="auth.lockout", details__via="device_key").count() == 1
    assert Alert.objects.count() == 0


def test_it_refuses_a_revoked_integration_key(client, devices):
    devices["platform"].active = False
    devices["platform"].save()
    assert post(client, devices["platform_key"]).status_code == 401
    assert Alert.objects.count() == 0


def test_it_does_not_take_a_user_session_or_token_as_a_device_key(client, city, devices):
    client.force_login(city["clerk"])
    assert post(client, None).status_code in (401, 403)


def test_it_audits_every_key_issued(devices):
    prefixes = [devices["platform_key"][:8], devices["sensor_key"][:8]]
    issued = AuditEvent.objects.filter(action="devices.key_issued", details__prefix__in=prefixes)
    assert {(row.object_type, row.details["prefix"]) for row in issued} == {
        ("devices.integration", devices["platform_key"][:8]),
        ("devices.device", devices["sensor_key"][:8]),
    }


# ---- a person's look at the held alerts ------------------------------------------------------


def test_it_lets_the_centre_file_a_held_alert_or_reject_it_as_a_false_alarm(client, city, devices):
    real = receive(devices, 0, confidence="0.4")
    false = receive(devices, 1, device="other", confidence="0.4")
    client.force_login(city["clerk"])
    page = client.get(reverse("devices:alerts")).content.decode()
    assert f'id="alert-{real.pk}"' in page and f'id="alert-{false.pk}"' in page
    client.post(reverse("devices:review", args=[real.pk]), {"decision": "file"})
    client.post(reverse("devices:review", args=[false.pk]), {"decision": "false_alarm"})
    real.case.refresh_from_db()
    false.case.refresh_from_db()
    assert real.case.status == Status.FILED and false.case.status == Status.REJECTED
    assert false.case.events.get(action="reject").note.startswith("False alarm of device")
    assert f'id="alert-{real.pk}"' not in client.get(reverse("devices:alerts")).content.decode()


def test_it_keeps_the_alert_queue_from_people_who_do_not_take_reports(client, city, devices):
    held = receive(devices, 0, confidence="0.4")
    client.force_login(city["handler"])
    assert client.get(reverse("devices:alerts")).status_code == 403
    assert client.post(reverse("devices:review", args=[held.pk]), {"decision": "false_alarm"}).status_code == 403
    held.case.refresh_from_db()
    assert held.case.status == Status.REPORTED


def test_it_shows_the_devices_and_their_alerts(client, city, devices):
    receive(devices, 0)
    client.force_login(city["supervisor"])
    page = client.get(reverse("devices:index")).content.decode()
    assert "人民路东口" in page and "井盖倾斜传感器" in page
    page = client.get(reverse("devices:detail", args=[devices["camera"].pk])).content.decode()
    assert Case.objects.get().tracking_number in page
    listed = client.get("/api/devices/alerts/list/", {"waiting": "false"}).json()
    assert listed[0]["device"] == devices["camera"].code and listed[0]["confidence"] == "0.900"
    client.force_login(city["handler"])
    assert client.get(reverse("devices:index")).status_code == 403
    assert client.get("/api/devices/alerts/list/").status_code == 403


def test_it_rounds_confidence_to_three_places(devices):
    assert receive(devices, 0, confidence="0.91234").confidence == Decimal("0.912")


def test_it_names_a_device_outside_the_city_on_the_admins_form(client, city, devices):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-for-tests-1"))
    url = reverse("admin:devices_device_change", args=[devices["camera"].pk])
    form = {"code": devices["camera"].code, "name": "移走", "kind": "camera", "owner": "", "active": "on",
            "integration": devices["platform"].pk, "location": '{"type": "Point", "coordinates": [120.0, 30.0]}'}  # fmt: skip
    page = client.post(url, form)
    assert page.status_code == 200 and "lies outside the city" in page.content.decode()
    form["location"] = '{"type": "Point", "coordinates": [118.615, 34.905]}'
    assert client.post(url, form).status_code == 302
    devices["camera"].refresh_from_db()
    assert devices["camera"].micro_grid == city["b"]
