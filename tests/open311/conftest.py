"""A city (tests.cases.conftest), an API key, and a populated database: Open311 requests open,
dispatched and closed (with an after-photo), plus cases that came in other ways."""

import uuid
from io import BytesIO

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from cases.models import Source
from cases.photos import photo_make_derivatives
from cases.services import case_report, case_transition
from citizens.services import citizen_report
from open311.models import ApiKey
from open311.services import PostedRequest, api_key_create, service_request_create
from tests.cases.conftest import IN_M1, city, report  # noqa: F401  (fixtures)
from tests.citizens.conftest import phone_jpeg, upload, walk_to_closed

__all__ = ["IN_M1"]
GARBAGE = "E0102"  # 事件 01 02: 暴露垃圾 in the shipped catalogue


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(city):  # noqa: F811  (the fixture imported above)
    row, key = api_key_create(name="12345 热线系统", source=Source.HOTLINE)
    return key


def posted(**extra) -> PostedRequest:
    values = {
        "service_code": GARBAGE,
        "lat": str(IN_M1.y),
        "long": str(IN_M1.x),
        "address_string": "人民路 12 号",
        "description": "人行道上有一堆垃圾",
        "first_name": "三",
        "last_name": "张",
        "phone": "13700001111",
        "email": "zhang@example.com",
    }
    values.update(extra)
    return PostedRequest(**values)


@pytest.fixture
def populated(city, key):  # noqa: F811
    """Three Open311 requests (new, dispatched, closed with photos) and two cases from elsewhere."""
    api_key = ApiKey.objects.get()
    new = service_request_create(api_key=api_key, posted=posted(description="新上报"))
    dispatched = service_request_create(
        api_key=api_key, posted=posted(description="已派遣", **{"attributes": {"urgency": ["urgent"]}})
    )
    case_transition(case_id=dispatched.case_id, action="file", actor=city["clerk"], category=city["garbage"])
    case_transition(case_id=dispatched.case_id, action="dispatch", actor=city["dispatcher"])
    closed = service_request_create(api_key=api_key, posted=posted(description="已结案"), media=BytesIO(phone_jpeg()))
    for photo in closed.case.photos.all():
        photo_make_derivatives(photo_id=photo.pk)
    walk_to_closed(closed.case, city, after_photo=phone_jpeg(colour=(20, 160, 40)))
    citizen_report(
        point=IN_M1,
        public_category="greenery",
        description="树倒了",
        photo=upload(),
        client_ip="10.0.0.1",
        request_id=str(uuid.uuid4()),
    )
    case_report(source=Source.INSPECTOR, point=IN_M1, description="监督员上报", now=timezone.now())
    return {"new": new, "dispatched": dispatched, "closed": closed}
