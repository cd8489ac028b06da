"""The devices' figures, declared once in assessments.selectors (ALERT_COUNTS, ALERT_RATES): alert
volumes per device and event type, the share filed automatically, and the share that turned out
false (the case not accepted or cancelled); on the dashboard, in the exports and the API."""

import datetime

import pytest

from assessments.selectors import Period, alert_figures
from cases.services import case_transition
from devices.services import alert_receive
from tests.cases.conftest import NOW

pytestmark = pytest.mark.django_db
NOVEMBER = "period=month&day=2026-11-18"


@pytest.fixture
def alerts(city, devices):
    def receive(minutes, device, confidence, event_type="garbage_exposed"):
        at = NOW + datetime.timedelta(minutes=minutes)
        return alert_receive(credential=devices["platform"] if device != "sensor" else devices["sensor"],
                             device_code=devices[device].code, event_type_code=event_type, confidence=confidence,
                             occurred_at=at, now=at)[0]  # fmt: skip

    receive(0, "camera", "0.95")  # filed
    receive(5, "camera", "0.60")  # joins it
    receive(10, "camera", "0.70", "cover_tilted")  # filed (threshold 0.50), then cancelled: a false alarm
    false = receive(0, "other", "0.40")  # held, then not accepted: a false alarm
    case_transition(case_id=false.case_id, action="reject", actor=city["clerk"], note="误报", now=NOW)
    tilted = receive(0, "sensor", "0.90", "cover_tilted")
    case_transition(case_id=tilted.case_id, action="cancel", actor=city["leader"], note="传感器故障", now=NOW)
    return devices


def test_it_counts_alerts_auto_filed_and_false_alarms_per_device_and_event_type(alerts):
    rows = {(f.device.code, f.event_type.code): f for f in alert_figures(period=Period.containing("month", NOW.date()))}
    camera = rows[("37132900001320000001", "garbage_exposed")]
    assert (camera["alerts"], camera["auto_filed"], camera["merged"], camera["false_alarms"]) == (2, 1, 1, 0)
    assert camera.percent("auto_filed_share") == 50 and camera.percent("false_alarm_share") == 0
    other = rows[("37132900001320000002", "garbage_exposed")]
    assert (other["alerts"], other["held"], other["false_alarms"]) == (1, 1, 1)
    assert other.percent("false_alarm_share") == 100 and other.percent("auto_filed_share") == 0
    sensor = rows[("JG-0001", "cover_tilted")]
    assert sensor["false_alarms"] == 1 and sensor["auto_filed"] == 1
    assert alert_figures(period=Period.containing("month", datetime.date(2026, 10, 1))) == []


def test_it_shows_the_devices_alerts_on_the_dashboard_and_exports_them(client, city, alerts):
    client.force_login(city["supervisor"])
    page = client.get(f"/assessments/?{NOVEMBER}").content.decode()
    assert 'id="devices"' in page and "人民路西口" in page and "False-alarm share (%)" in page
    csv = client.get(f"/assessments/export/devices.csv?{NOVEMBER}").content.decode("utf-8-sig")
    assert "37132900001320000002,人民路西口,暴露垃圾,1,0,0.00,1,0,1,100.00" in csv
    api = client.get(f"/api/assessments/alerts/?{NOVEMBER}").json()
    other = next(row for row in api if row["device"] == "37132900001320000002")
    assert other["counts"]["false_alarms"] == 1 and other["rates"]["false_alarm_share"]["percent"] == "100.00"


def test_it_keeps_the_device_figures_from_those_who_see_only_their_part(client, city, alerts):
    client.force_login(city["chief"])
    assert 'id="devices"' not in client.get(f"/assessments/?{NOVEMBER}").content.decode()
    assert client.get(f"/api/assessments/alerts/?{NOVEMBER}").status_code == 403
