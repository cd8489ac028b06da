"""The reliability drills of issue 13, as tests: real processes (a Redis of the drill's own, gunicorn,
a Celery worker and beat), a real webhook receiver checking signatures, and bounded waits only.

Timing bounds are generous on purpose (a loaded two-core machine): "answered within a few seconds"
is asserted as < 10 s where a healthy run takes about REDIS_TIMEOUT_SECONDS (2 s) at most.
"""

from __future__ import annotations

import collections
import concurrent.futures
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.db import connection

from accounts.tokens import api_token_create
from cases.models import Case, DeliveryStatus, Department, Notification, NotificationAttempt, Status, Urgency
from cases.notifications import notifications_sweep
from cases.services import case_transition
from ops import health
from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401 (fixtures)
from tests.cases.test_notifications import SECRET, Receiver, signature_ok
from tests.drills.conftest import ROOT, Web, own_redis  # noqa: F401 (fixture)
from tests.worker import Worker, _database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.drill, pytest.mark.django_db(transaction=True)]

FEW_SECONDS = 10  # "answered within a few seconds", generous for a loaded machine


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def hooked(city, receiver) -> Department:
    department = Department.objects.get(code="sanitation")
    department.webhook_url, department.webhook_secret = receiver.url, SECRET
    department.save()
    return department


def filed_urgent_cases(city, report, count: int) -> list[Case]:
    """Urgent garbage cases, filed: a dispatch sends them straight to the department (no approval)."""
    cases = []
    for _ in range(count):
        case = report(urgency=Urgency.URGENT)
        cases.append(
            case_transition(case_id=case.pk, action="file", actor=city["clerk"], now=NOW, category=city["garbage"])
        )
    return cases


def by_delivery_id(receiver) -> collections.Counter:
    return collections.Counter(request.headers["X-Delivery-Id"] for request in receiver.received)


def all_delivered(cases) -> bool:
    return Notification.objects.filter(case__in=cases, status=DeliveryStatus.DELIVERED).count() == len(cases)


# ---- 1. a hung broker --------------------------------------------------------------------


def test_a_frozen_broker_answers_every_dispatch_within_seconds_and_delivers_each_once_after(
    city, report, hooked, receiver, own_redis
):
    cases = filed_urgent_cases(city, report, 8)
    token = api_token_create(user=city["dispatcher"], name="drill")[1]
    worker = Worker(redis_url=own_redis.url(0)).start()
    web = Web({"CELERY_BROKER_URL": own_redis.url(0), "CELERY_TASK_DEFAULT_QUEUE": worker.queue,
               "CELERY_QUEUE_PREFIX": worker.prefix}).start()  # fmt: skip
    try:
        own_redis.freeze()  # SIGSTOP: connections accepted, nothing answered

        def dispatch(case: Case) -> tuple[int, float]:
            started = time.monotonic()
            status, _body = web.request("POST", f"/api/cases/{case.pk}/actions/dispatch/", data={}, token=token)
            return status, time.monotonic() - started

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(dispatch, cases))
        assert [status for status, _ in answers] == [200] * len(cases), (answers, web.output()[-3000:])
        assert max(took for _, took in answers) < FEW_SECONDS, answers
        assert Case.objects.filter(pk__in=[c.pk for c in cases], status=Status.DISPATCHED).count() == len(cases)
        assert receiver.received == []

        own_redis.thaw()
        from cases.tasks import sweep_notifications

        sweep_notifications.delay()  # what the beat sends every minute
        assert wait_for(lambda: all_delivered(cases), timeout=60), worker.output()[-3000:]
        time.sleep(1)  # anything sent twice would have arrived by now
        counts = by_delivery_id(receiver)
        assert len(counts) == len(cases) and set(counts.values()) == {1}, counts
        assert all(signature_ok(SECRET, request) for request in receiver.received)
    finally:
        own_redis.thaw()
        web.stop()
        worker.stop()


# ---- 2. a worker killed mid-send ---------------------------------------------------------


def test_a_worker_killed_mid_send_delivers_everything_and_records_the_interrupted_attempt(
    city, report, hooked, receiver, own_redis, settings
):
    lease = 6  # seconds: short, so that the drill sees the dead worker's claim come back
    settings.NOTIFICATION_LEASE_SECONDS = lease
    receiver.delay = 1.5  # answers in time (well within the 20 s timeout)
    cases = filed_urgent_cases(city, report, 4)
    env = {"NOTIFICATION_LEASE_SECONDS": str(lease)}
    worker = Worker(redis_url=own_redis.url(0), env=env).start()
    try:
        for case in cases:
            case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"], now=NOW)
        assert wait_for(lambda: len(receiver.received) >= 1, timeout=20), worker.output()[-3000:]
        in_flight = receiver.received[0].headers["X-Delivery-Id"]
        worker.kill()  # SIGKILL while the receiver holds its answer back
        time.sleep(receiver.delay + 0.5)

        worker = Worker(redis_url=own_redis.url(0), env=env, queue=worker.queue).start()
        time.sleep(lease + 1)  # the dead worker's claim runs out
        notifications_sweep()  # what the beat does every minute (hands over here, the worker sends)
        assert wait_for(lambda: all_delivered(cases), timeout=60), worker.output()[-3000:]
        for _ in range(3):  # a task the dead worker had prefetched may come back; it sends nothing
            notifications_sweep()
            time.sleep(0.5)
    finally:
        worker.stop()
    counts = by_delivery_id(receiver)
    assert len(counts) == len(cases)
    # Each delivery id arrives once, except the one whose answer the kill cut off: that one may
    # arrive a second time, with the same id (a receiver dropping repeats by id applies it once).
    assert all(count == 1 for delivery, count in counts.items() if delivery != in_flight), counts
    assert counts[in_flight] <= 2, counts
    interrupted = NotificationAttempt.objects.filter(interrupted=True)
    assert [str(a.notification.delivery_id) for a in interrupted] == [in_flight]
    assert all(signature_ok(SECRET, request) for request in receiver.received)


# ---- 3. database backends terminated -----------------------------------------------------


def test_terminated_database_backends_never_answer_500_for_a_committed_change(city, report, own_redis):
    if connection.vendor != "postgresql":
        pytest.skip("terminating backends is a PostgreSQL drill")
    cases = filed_urgent_cases(city, report, 24)
    token = api_token_create(user=city["dispatcher"], name="drill")[1]
    web = Web({"CELERY_BROKER_URL": own_redis.url(0), "CELERY_QUEUE_PREFIX": f"drill-{uuid.uuid4().hex[:6]}."})
    web.start()
    name = connection.settings_dict["NAME"]
    killer_stop = threading.Event()
    killed = []

    def terminate_all() -> int:
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(
            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname="postgres", autocommit=True,
        ) as admin:  # fmt: skip
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchall()
        return len(rows)

    def killer() -> None:
        while not killer_stop.wait(0.15):
            killed.append(terminate_all())

    try:
        assert web.get("/api/cases/?page_size=1")[0] in (200, 403)  # both workers may hold a connection now
        terminate_all()  # idle kept connections die: the next requests must not fail for it
        answers = {}
        thread = threading.Thread(target=killer)
        thread.start()
        try:
            for case in cases:
                request_id = str(uuid.uuid4())
                status, body = web.request(
                    "POST", f"/api/cases/{case.pk}/actions/dispatch/", data={"request_id": request_id}, token=token
                )
                answers[case.pk] = (status, request_id, body)
        finally:
            killer_stop.set()
            thread.join(10)
        connection.close()  # ours was terminated too
        statuses = collections.Counter(status for status, _, _ in answers.values())
        print("drill statuses", statuses, "backends terminated", sum(killed))
        assert statuses[500] == 0, (statuses, web.output()[-4000:])
        assert set(statuses) <= {200, 503}, statuses
        assert sum(killed) > 0  # the drill did terminate backends
        # A 503 is "try again": the same request id then answers the case, applied once.
        for case_id, (status, request_id, _body) in answers.items():
            if status == 503:
                again, body = web.request(
                    "POST", f"/api/cases/{case_id}/actions/dispatch/", data={"request_id": request_id}, token=token
                )
                assert again == 200, body
        assert Case.objects.filter(pk__in=answers, status=Status.DISPATCHED).count() == len(cases)
        from cases.models import CaseEvent

        assert CaseEvent.objects.filter(case_id__in=answers, action="dispatch").count() == len(cases)
    finally:
        killer_stop.set()
        web.stop()


# ---- 4. the cache down -------------------------------------------------------------------


def test_a_citizen_report_is_accepted_with_the_cache_stopped(client, city, own_redis, settings):
    from config import cache as optional_cache
    from tests.citizens.test_report import URL, form

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url(1),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    optional_cache.breaker.reset()
    try:
        client.cookies["django_language"] = "en"
        assert client.get(URL).status_code == 200  # the cache works: the outline is cached
        own_redis.freeze()
        started = time.monotonic()
        assert client.get(URL).status_code == 200
        response = client.post(URL, form())
        assert response.status_code == 302, response.content.decode()[:500]
        assert time.monotonic() - started < FEW_SECONDS
        assert Case.objects.filter(source="citizen").count() == 1
    finally:
        own_redis.thaw()
        optional_cache.breaker.reset()


# ---- 5. /readyz red when the beat or the broker stops ------------------------------------


def _beat(env: dict, schedule_dir) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery_app", "beat", "--loglevel=INFO",
         f"--schedule={schedule_dir}/celerybeat-schedule"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_readyz_turns_red_when_the_beat_or_the_broker_stops_and_a_second_beat_waits(
    city, own_redis, settings, tmp_path
):
    # Scaled down: a heartbeat every second, stale after 3 (production: 30 and 90, red within 2 minutes;
    # tests/ops/test_health.py checks that arithmetic on the defaults).
    timing = {"OPS_HEARTBEAT_SECONDS": "1", "BEAT_STALE_AFTER_SECONDS": "3"}
    settings.BEAT_STALE_AFTER_SECONDS = 3
    settings.CELERY_EMBEDDED = False
    settings.CELERY_BROKER_URL = own_redis.url(0)
    worker = Worker(redis_url=own_redis.url(0), env=timing).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "1", "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": own_redis.url(0), "CELERY_TASK_DEFAULT_QUEUE": worker.queue,
        "CELERY_QUEUE_PREFIX": worker.prefix, "LOG_FORMAT": "plain", **timing,
    }  # fmt: skip
    beat = _beat(env, tmp_path)
    second = None
    try:
        green = wait_for(lambda: health.readiness(["beat", "broker"])[0], timeout=30)
        assert green, (health.readiness(["beat", "broker"]), worker.output()[-2000:])

        (tmp_path / "second").mkdir()
        second = _beat(env, tmp_path / "second")
        assert second.wait(30) == 75  # one beat only: the lock is held, the second exits to be restarted
        assert "another beat holds the one-beat lock" in second.stdout.read()

        beat.terminate()
        beat.wait(15)
        stopped = time.monotonic()
        assert wait_for(lambda: not health.readiness(["beat"])[0], timeout=20)
        assert time.monotonic() - stopped < 3 + 1 + FEW_SECONDS  # stale limit + one heartbeat + slack

        beat = _beat(env, tmp_path)  # the lock was released with the dead beat: this one takes it
        assert wait_for(lambda: health.readiness(["beat"])[0], timeout=30)

        own_redis.freeze()
        frozen = time.monotonic()
        ok, states = health.readiness(["broker"])
        assert not ok and states["broker"]["status"] == "fail"  # at once: the ping times out
        assert wait_for(lambda: not health.readiness(["beat"])[0], timeout=20)
        assert time.monotonic() - frozen < 3 + 1 + FEW_SECONDS
    finally:
        own_redis.thaw()
        for process in (beat, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)
        worker.stop()
