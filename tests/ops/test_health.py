"""/healthz and /readyz: each part's state in JSON; red (503) when a part fails, and when the beat's
heartbeat is older than BEAT_STALE_AFTER_SECONDS."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from ops import health
from ops.models import PeriodicRun
from ops.periodic import HEARTBEAT, record_run

pytestmark = pytest.mark.django_db


def beat_seen(seconds_ago: float) -> None:
    record_run(task=HEARTBEAT, started_at=timezone.now(), duration_ms=1)
    PeriodicRun.objects.filter(task=HEARTBEAT).update(
        last_succeeded_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


def test_healthz_answers_without_looking_at_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_green_with_a_fresh_heartbeat(client):
    beat_seen(5)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "cache", "beat"}
    assert body["checks"]["broker"]["mode"] == "embedded"  # the test settings have no broker
    assert body["checks"]["beat"]["age_seconds"] == pytest.approx(5, abs=2)
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_red_without_any_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["error"].startswith("no heartbeat yet")


def test_readyz_turns_red_within_two_minutes_of_the_last_heartbeat(settings):
    # The beat sends its heartbeat every OPS_HEARTBEAT_SECONDS; a stopped beat (or broker, or sweeps
    # worker) sent its last one at most that long before it stopped. Red from BEAT_STALE_AFTER_SECONDS.
    assert settings.OPS_HEARTBEAT_SECONDS + settings.BEAT_STALE_AFTER_SECONDS <= 120
    last = timezone.now()
    record_run(task=HEARTBEAT, started_at=last, duration_ms=1)
    PeriodicRun.objects.filter(task=HEARTBEAT).update(last_succeeded_at=last)
    at = lambda seconds: last + datetime.timedelta(seconds=seconds)  # noqa: E731
    assert health.check_beat(now=at(settings.BEAT_STALE_AFTER_SECONDS))["status"] == "ok"
    assert health.check_beat(now=at(settings.BEAT_STALE_AFTER_SECONDS + 1))["status"] == "fail"
    # stopped just after a heartbeat: red at most OPS_HEARTBEAT_SECONDS + BEAT_STALE_AFTER_SECONDS + 1 s later
    assert health.check_beat(now=at(120))["status"] == "fail"


def test_readyz_checks_only_the_parts_asked_for(client):
    response = client.get("/readyz?check=database")
    assert response.status_code == 200 and list(response.json()["checks"]) == ["database"]


def test_readyz_is_red_when_the_broker_is_unreachable(client, settings):
    beat_seen(1)
    settings.CELERY_EMBEDDED = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "fail" and "ConnectionError" in checks["broker"]["error"]
    assert checks["database"]["status"] == "ok"


def test_readyz_is_red_when_the_cache_is_unreachable(client, settings):
    beat_seen(1)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["cache"]["status"] == "fail"


def test_it_records_each_periodic_run_and_the_heartbeat_task(settings):
    from config.celery_app import app

    app.loader.import_default_modules()
    app.tasks[HEARTBEAT].apply()  # as embedded mode and a worker run it: the signals record it
    app.tasks["cases.tasks.sweep_notifications"].apply()
    runs = {run.task: run for run in PeriodicRun.objects.all()}
    assert set(runs) == {HEARTBEAT, "cases.tasks.sweep_notifications"}
    assert runs[HEARTBEAT].runs == 1 and runs[HEARTBEAT].last_succeeded_at is not None
    assert health.check_beat()["status"] == "ok"
