"""A real Celery worker on Redis for the tests that are about tasks.

The worker is a separate process started with the same code; it opens the
test database (a SpatiaLite file or a PostGIS database) and consumes a queue
of its own on Redis, so parallel test runs on one machine do not meet.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import pools

from config import broker, cache
from config.celery_app import app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("spatialite"):
        return f"spatialite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgis://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, redis_url: str = REDIS_URL, env: dict | None = None, queue: str | None = None) -> None:
        self.redis_url = redis_url
        self.extra_env = env or {}
        self.queue = queue or f"test-{uuid.uuid4().hex[:12]}"  # a replacement worker takes its predecessor's
        self.prefix = f"{self.queue}."  # its own queue of each kind (config.broker.QUEUES)
        self.process: subprocess.Popen | None = None
        self.log = ROOT / f".worker-{self.queue}-{uuid.uuid4().hex[:6]}.log"
        self._saved: dict = {}

    def start(self) -> Worker:
        _check_redis(self.redis_url)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_QUEUE_PREFIX": self.prefix,
            "LOG_FORMAT": "plain",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=solo",
                   "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                   "-Q", ",".join([self.queue, *broker.queue_names(self.prefix)]), "-n", f"{self.queue}@localhost"]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        # Point this process's producer at the same broker and queue.
        self._saved = {
            key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue", "task_routes")
        }
        app.conf.update(
            task_always_eager=False,
            broker_url=self.redis_url,
            task_default_queue=self.queue,
            task_routes=broker.task_routes(self.prefix),
        )
        _reset_connections()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{self.log.read_text()}")
            if "ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker did not start in {timeout} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: the worker dies on the spot, whatever it was doing (the producer stays pointed at its queues)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        app.conf.update(self._saved)
        _reset_connections()
        self.log.unlink(missing_ok=True)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def _check_redis(url: str = REDIS_URL) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"The worker tests need Redis at {url} ({exc}). Start it (Debian: apt-get install -y "
            "redis-server) or point TEST_REDIS_URL at one."
        ) from None


def _reset_connections() -> None:
    """Forget pooled broker connections so the next send uses the current broker_url
    (what Celery itself does after a fork)."""
    pools.reset()
    app._after_fork()
    broker.broker.reset()  # a failure under the previous settings says nothing of these
    cache.breaker.reset()


@contextlib.contextmanager
def broker_unreachable():
    """The producer points at a port where nothing listens: every enqueue fails at once."""
    keys = ("task_always_eager", "broker_url", "task_publish_retry", "broker_connection_timeout")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_always_eager=False,
        broker_url="redis://127.0.0.1:9/0",  # port 9 (discard): connection refused at once
        task_publish_retry=False,
        broker_connection_timeout=1,
    )
    _reset_connections()
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_connections()


def wait_for(predicate, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()
