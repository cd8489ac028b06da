"""The public pages with the cache away (Redis stopped or unreachable): 随手拍 and Open311 still
take reports. The limit per address lets them through with a warning; the limits per phone
number and per API key count in the database instead."""

from __future__ import annotations

import socket
import time

import pytest

from cases.models import Case, Source
from config import cache as optional_cache
from open311.services import api_key_create
from tests.citizens.test_report import URL, form
from tests.open311.test_api import post

pytestmark = pytest.mark.django_db


def _point_cache_at(settings, url: str):
    saved = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    optional_cache.breaker.reset()
    return saved


@pytest.fixture
def cache_refused(settings):
    saved = _point_cache_at(settings, "redis://127.0.0.1:9/1")  # nothing listens: refused at once
    yield
    settings.CACHES = saved  # before the other fixtures clear the cache
    optional_cache.breaker.reset()


@pytest.fixture
def cache_hung(settings):
    with socket.socket() as server:  # accepts connections (the kernel's backlog), never answers
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        saved = _point_cache_at(settings, f"redis://127.0.0.1:{server.getsockname()[1]}/1")
        yield
        settings.CACHES = saved
        optional_cache.breaker.reset()


def test_it_shows_the_form_and_takes_a_report_with_the_cache_away(client, city, cache_refused, caplog):
    assert client.get(URL).status_code == 200  # the city outline is drawn for the request
    response = client.post(URL, form())
    assert response.status_code == 302 and Case.objects.count() == 1
    assert "cache unreachable" in caplog.text
    assert "rate limit citizen-ip not checked" in caplog.text


def test_it_answers_within_seconds_when_the_cache_hangs(client, city, cache_hung):
    started = time.monotonic()
    assert client.get(URL).status_code == 200
    assert client.post(URL, form()).status_code == 302
    # One timeout (1 s here), then the breaker skips the cache: generous for a loaded machine.
    assert time.monotonic() - started < 10
    assert Case.objects.count() == 1


def test_it_counts_reports_per_phone_in_the_database_with_the_cache_away(client, city, settings, cache_refused):
    settings.CITIZEN_REPORTS_PER_PHONE_PER_DAY = 1
    assert client.post(URL, form(phone="13800138000")).status_code == 302
    refused = client.post(URL, form(phone="138-0013 8000"), REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429 and "this phone number" in refused.content.decode()
    assert Case.objects.count() == 1


def test_it_lets_reports_through_per_address_with_the_cache_away(client, city, settings, cache_refused, caplog):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = 1
    assert [client.post(URL, form(phone="")).status_code for _ in range(3)] == [302, 302, 302]
    assert "rate limit citizen-ip not checked" in caplog.text


def test_open311_takes_requests_and_counts_per_key_in_the_database_with_the_cache_away(
    client, city, settings, cache_refused
):
    _row, key = api_key_create(name="12345 热线系统", source=Source.HOTLINE)
    settings.OPEN311_REQUESTS_PER_KEY_PER_HOUR = 1
    assert post(client, key).status_code == 200
    refused = post(client, key)
    assert refused.status_code == 429 and "Too many requests" in refused.json()[0]["description"]
