"""Two upstream systems, each with a local HTTP receiver on 127.0.0.1: a 12345 hotline system that
sends work orders (source hotline) and the higher-level platform that receives every case and
sends assignments (上级交办, source higher_level). Their keys are issued as the admin does."""

import pytest
from django.utils import translation

from cases.models import Source
from exchange.models import UpstreamSystem
from exchange.services import key_issue
from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401  (fixtures)
from tests.cases.test_notifications import Receiver

__all__ = ["IN_M1", "NOW"]

HOTLINE_SECRET = "hotline-signing-secret-12345"
PLATFORM_SECRET = "higher-platform-signing-secret"
ORDERS = "/api/exchange/orders/"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def hotline_receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def platform_receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def systems(city, hotline_receiver, platform_receiver):  # noqa: F811  (the fixture imported above)
    hotline = UpstreamSystem.objects.create(
        code="12345", name="12345 市民热线", source=Source.HOTLINE, callback_url=hotline_receiver.url,
        secret=HOTLINE_SECRET,
    )  # fmt: skip
    platform = UpstreamSystem.objects.create(
        code="city-platform", name="市级城市运行管理服务平台", source=Source.HIGHER_LEVEL,
        callback_url=platform_receiver.url, secret=PLATFORM_SECRET, push_all=True,
    )  # fmt: skip
    return {
        "hotline": hotline, "platform": platform,
        "hotline_key": key_issue(system=hotline), "platform_key": key_issue(system=platform),
    }  # fmt: skip


def order(external_id: str = "GD202611180001", **extra) -> dict:
    return {
        "external_id": external_id, "lon": IN_M1.x, "lat": IN_M1.y, "address": "人民路与沂河路交叉口",
        "category": "E0102", "description": "路口东北角垃圾堆放三天未清运", "reporter_name": "王先生",
        "reporter_phone": "13812341234", **extra,
    }  # fmt: skip


def post(client, key: str | None, body: dict):
    headers = {"HTTP_AUTHORIZATION": f"System {key}"} if key else {}
    return client.post(ORDERS, body, content_type="application/json", **headers)
