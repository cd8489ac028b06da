"""Liveness and readiness: what /healthz and /readyz answer (docs/OPERATIONS.md "Health").

Each part is checked with a short timeout and answers {"status": "ok" | "fail", …}. The beat is
judged by its heartbeat's age: the heartbeat is a task the beat sends every
OPS_HEARTBEAT_SECONDS through the broker to a sweeps worker, so a stopped beat, broker or sweeps
worker all turn it stale after BEAT_STALE_AFTER_SECONDS.
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from ops.periodic import HEARTBEAT


def _timed(check: Callable[[], dict]) -> dict:
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:  # any failure of the part is its state, never the endpoint's
        result = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "vendor": connection.vendor}


def check_broker() -> dict:
    if settings.CELERY_EMBEDDED:
        return {"status": "ok", "mode": "embedded", "detail": "no broker: tasks run in the serving process"}
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = settings.REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"status": "ok"}


def check_cache() -> dict:
    key = f"ops:readyz:{uuid.uuid4().hex}"
    cache.set(key, 1, 10)
    found = cache.get(key)
    cache.delete(key)
    if found != 1:
        return {"status": "fail", "error": "a value written was not read back"}
    return {"status": "ok", "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_beat(now: datetime.datetime | None = None) -> dict:
    from ops.models import PeriodicRun

    now = now or timezone.now()
    limit = settings.BEAT_STALE_AFTER_SECONDS
    run = PeriodicRun.objects.filter(task=HEARTBEAT).values("last_succeeded_at").first()
    last = run["last_succeeded_at"] if run else None
    if last is None:
        return {"status": "fail", "last_heartbeat": None, "age_seconds": None, "limit_seconds": limit,
                "error": "no heartbeat yet: is the beat running?"}  # fmt: skip
    age = max(0.0, (now - last).total_seconds())
    return {
        "status": "ok" if age <= limit else "fail",
        "last_heartbeat": timezone.localtime(last).isoformat(),
        "age_seconds": round(age, 1),
        "limit_seconds": limit,
    }


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
    "beat": check_beat,
}


def readiness(parts: list[str] | None = None) -> tuple[bool, dict]:
    """(all ok, {part: state}) for `parts` (default: all of CHECKS)."""
    names = [name for name in (parts or CHECKS) if name in CHECKS]
    states = {name: _timed(CHECKS[name]) for name in names}
    return all(state["status"] == "ok" for state in states.values()), states
