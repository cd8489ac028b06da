"""A camera platform with two cameras in M1, a sensor with a key of its own, and two event types
(exposed rubbish, trusted from 0.80; a tilted manhole cover, trusted from 0.50, a 10-minute window)."""

from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from cases.models import Category
from devices.models import Device, DeviceKind, EventType, Integration
from devices.services import device_save, key_issue
from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401  (fixtures)

__all__ = ["IN_M1", "NOW"]


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def devices(city):  # noqa: F811  (the fixture imported above)
    platform = Integration.objects.create(name="雪亮工程视频平台")
    camera = device_save(device=Device(code="37132900001320000001", name="人民路东口", location=Point(118.604, 34.904),
                                       integration=platform))  # fmt: skip
    other = device_save(device=Device(code="37132900001320000002", name="人民路西口", location=Point(118.606, 34.906),
                                      integration=platform))  # fmt: skip
    sensor = device_save(device=Device(code="JG-0001", name="井盖倾斜传感器", kind=DeviceKind.SENSOR,
                                       location=Point(118.614, 34.905)))  # fmt: skip
    garbage = EventType.objects.create(
        code="garbage_exposed", name="暴露垃圾", category=Category.objects.get(major__kind="event", code="0102"),
        threshold=Decimal("0.80"), merge_minutes=30,
    )  # fmt: skip
    tilt = EventType.objects.create(
        code="cover_tilted", name="井盖倾斜", category=Category.objects.get(major__kind="component", code="0102"),
        threshold=Decimal("0.50"), merge_minutes=10,
    )  # fmt: skip
    return {
        "platform": platform, "camera": camera, "other": other, "sensor": sensor, "garbage": garbage, "tilt": tilt,
        "platform_key": key_issue(holder=platform), "sensor_key": key_issue(holder=sensor),
    }  # fmt: skip
