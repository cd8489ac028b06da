"""The demo county's cameras and a manhole-cover sensor, and three days of their alerts.

A video platform (雪亮工程) connects four cameras at the crossroads nearest the county seat's
centre; a tilt sensor sits on a sewer cover with a key of its own. Their alerts go through the
real alert service (devices.services.alert_receive), with snapshots: confident ones filed at
once, the others waiting at intake, where the intake clerk has already looked at the older
ones (filed, or rejected as false alarms), so the dashboard has shares to show and the alert
queue still has some waiting.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.utils import timezone

from assets.models import Asset
from cases.models import Category
from demo.photos import AfterPhotos
from devices.models import Alert, Device, DeviceKind, EventType, Integration
from devices.services import alert_receive, alert_review, device_save, key_issue
from grids.models import Place, PlaceKind

# code, name, subcategory (kind, code), threshold, merge window (minutes)
EVENT_TYPES = [
    ("garbage_exposed", "暴露垃圾", ("event", "0102"), "0.80", 30),
    ("street_vending", "占道经营", ("event", "0503"), "0.85", 60),
    ("illegal_parking", "机动车乱停放", ("event", "0504"), "0.90", 20),
    ("cover_tilted", "井盖倾斜", ("component", "0102"), "0.50", 10),
]
CAMERA_NAMES = ["人民路与沭河大街路口", "兴隆路中段", "常林大街东口", "商业街北口"]


def _event_types() -> dict[str, EventType]:
    types = {}
    for code, name, (kind, category), threshold, minutes in EVENT_TYPES:
        types[code], _created = EventType.objects.get_or_create(
            code=code,
            defaults={"name": name, "category": Category.objects.get(major__kind=kind, code=category),
                      "threshold": Decimal(threshold), "merge_minutes": minutes},
        )  # fmt: skip
    return types


def demo_cameras_load(*, seed: int = 2026, now: datetime.datetime | None = None) -> dict[str, str]:
    """The platform, the devices, the event types and (once) the alerts. Returns the keys made
    this time ({holder name: key}; none when the devices existed already)."""
    now = now or timezone.now()
    keys: dict[str, str] = {}
    platform, created = Integration.objects.get_or_create(name="雪亮工程视频平台")
    if created:
        keys[platform.name] = key_issue(holder=platform)
    # The cameras watch the street segments nearest the centre of the county seat.
    streets = sorted(
        Place.objects.filter(kind=PlaceKind.STREET).only("code", "geometry"),
        key=lambda p: p.geometry.centroid.distance(Point(118.65, 34.92, srid=4326)),
    )[: len(CAMERA_NAMES)]
    cameras = []
    for n, (name, street) in enumerate(zip(CAMERA_NAMES, streets, strict=False), start=1):
        device = Device.objects.filter(code=f"3713290000132000{n:04d}").first()
        if device is None:
            device = device_save(device=Device(
                code=f"3713290000132000{n:04d}", name=name, kind=DeviceKind.CAMERA, integration=platform,
                location=street.geometry.interpolate_normalized(0.3), owner="县公安局",
            ))  # fmt: skip
        cameras.append(device)
    sensor = Device.objects.filter(code="JG-371329-0001").first()
    if sensor is None:
        cover = Asset.objects.filter(category__code="0102", category__major__kind="component").order_by("code").first()
        sensor = device_save(device=Device(
            code="JG-371329-0001", name=f"井盖倾斜传感器（{cover.name if cover else ''}）", kind=DeviceKind.SENSOR,
            location=cover.point if cover else Point(118.65, 34.92, srid=4326), owner="县市政工程管理处",
        ))  # fmt: skip
        keys[sensor.name] = key_issue(holder=sensor)
    types = _event_types()
    if not Alert.objects.exists():
        _alerts(cameras, sensor, platform, types, random.Random(seed), now)
    return keys


def _alerts(cameras, sensor, platform, types, rng: random.Random, now: datetime.datetime) -> None:
    """Bursts of alerts over the last three days; the older held ones looked at by the intake clerk."""
    snapshots = AfterPhotos(7)
    clerk = get_user_model().objects.filter(username="intake").first()
    camera_types = [types["garbage_exposed"], types["street_vending"], types["illegal_parking"]]
    held = []
    for hours_ago in range(70, 0, -5):
        for camera in cameras:
            if rng.random() < 0.55:
                continue
            event_type = rng.choice(camera_types)
            start = now - datetime.timedelta(hours=hours_ago, minutes=rng.randrange(60))
            confidence = rng.uniform(0.55, 0.99)
            for burst in range(rng.choice([1, 1, 2, 3])):  # the same scene seen again: joins the case
                at = start + datetime.timedelta(minutes=burst * rng.randrange(3, 12))
                alert, _new = alert_receive(
                    credential=platform, device_code=camera.code, event_type_code=event_type.code,
                    confidence=f"{min(confidence + rng.uniform(-0.05, 0.05), 0.999):.3f}", occurred_at=at, now=at,
                    snapshot=snapshots.take().getvalue(), alert_id=f"demo-{camera.code}-{at:%Y%m%d%H%M%S}",
                )  # fmt: skip
                if alert.outcome == "held":
                    held.append((alert, hours_ago))
    for hours_ago in (30, 6):  # the sensor: a cover knocked askew, and a glitch
        at = now - datetime.timedelta(hours=hours_ago)
        alert, _new = alert_receive(credential=sensor, device_code=sensor.code, event_type_code="cover_tilted",
                                    confidence="0.4" if hours_ago == 6 else "0.93", occurred_at=at, now=at)  # fmt: skip
        if alert.outcome == "held":
            held.append((alert, hours_ago))
    for alert, hours_ago in held:
        alert.case.refresh_from_db(fields=["status"])
        if hours_ago < 24 or clerk is None or alert.case.status != "reported":
            continue  # the last day's: still waiting for a look
        decision = "false_alarm" if rng.random() < 0.5 else "file"
        alert_review(
            alert=alert, decision=decision, actor=clerk, note="" if decision == "file" else "画面中无此情况，误报"
        )
