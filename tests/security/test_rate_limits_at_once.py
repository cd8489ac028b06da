"""Rate limits hold when the requests arrive at once (issue 11, item 9): each is counted before
it is decided (citizens.ratelimit.reserve), so of 20 parallel posts against a limit of 10 exactly
10 go through, on the process cache and on Redis, for 随手拍 and for Open311."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection
from django.test import Client

from cases.models import Case, Source
from citizens import ratelimit
from config import cache as optional_cache
from open311.services import api_key_create
from tests.citizens.test_report import form
from tests.open311.test_api import GARBAGE
from tests.security.conftest import IN_M1

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PARALLEL, LIMIT = 20, 10


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """The counters in the process's memory (one web process) or in Redis (several)."""
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    optional_cache.breaker.reset()
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis at {REDIS_URL} is needed for this test ({exc}); set TEST_REDIS_URL")
    yield request.param
    cache.clear()
    optional_cache.breaker.reset()


def at_once(send, count: int) -> list[int]:
    """Call `send()` from `count` threads released together; their status codes."""
    barrier = threading.Barrier(count)
    codes: list[int] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=60)
            code = send()
            with lock:
                codes.append(code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return codes


def test_reserve_lets_exactly_the_limit_through_when_counted_at_once(shared_cache):
    answers = []
    barrier = threading.Barrier(PARALLEL)

    def take():
        barrier.wait(timeout=30)
        answers.append(ratelimit.reserve("test-scope", "1.2.3.4", limit=LIMIT, window=3600).allowed)

    threads = [threading.Thread(target=take) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * (PARALLEL - LIMIT) + [True] * LIMIT


def test_a_released_use_can_be_taken_again(shared_cache):
    first = ratelimit.reserve("test-scope", "x", limit=1, window=3600)
    assert first.allowed
    assert not ratelimit.reserve("test-scope", "x", limit=1, window=3600).allowed
    first.release()
    first.release()  # twice: given back once
    assert ratelimit.reserve("test-scope", "x", limit=1, window=3600).allowed is False  # the refused one counted
    assert ratelimit.reserve("test-scope", "y", limit=1, window=3600).allowed


@pytest.mark.django_db(transaction=True)
def test_twenty_citizen_reports_at_once_from_one_address_let_exactly_ten_through(shared_cache, city, settings):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = LIMIT
    codes = at_once(lambda: Client().post("/citizen/", form(phone="")).status_code, PARALLEL)
    assert sorted(codes) == [302] * LIMIT + [429] * (PARALLEL - LIMIT)
    assert Case.objects.filter(source=Source.CITIZEN).count() == LIMIT


@pytest.mark.django_db(transaction=True)
def test_twenty_open311_posts_at_once_with_one_key_let_exactly_ten_through(shared_cache, city, settings):
    settings.OPEN311_REQUESTS_PER_KEY_PER_HOUR = LIMIT
    _row, key = api_key_create(name="12345 热线系统", source=Source.HOTLINE)
    data = {"api_key": key, "service_code": GARBAGE, "lat": str(IN_M1.y), "long": str(IN_M1.x), "description": "垃圾"}
    codes = at_once(lambda: Client().post("/open311/v2/requests.json", data).status_code, PARALLEL)
    assert sorted(codes) == [200] * LIMIT + [429] * (PARALLEL - LIMIT)
    assert Case.objects.filter(source=Source.HOTLINE).count() == LIMIT


@pytest.mark.django_db(transaction=True)
def test_a_report_refused_for_another_reason_gives_its_use_back(city, settings):
    settings.CITIZEN_REPORTS_PER_IP_PER_HOUR = 1
    client = Client()
    assert client.post("/citizen/", form(lat="30.0", lng="120.0")).status_code == 200  # outside the city
    assert client.post("/citizen/", form(phone="")).status_code == 302
    assert client.post("/citizen/", form(phone="")).status_code == 429
