"""The pieces of the drills (docs/OPERATIONS.md "Drills"): a Redis of their own on a free port (to
stop, freeze and thaw without touching anyone else's), gunicorn serving the test database, and
clients with bounded waits.

Drills run with DRILLS=1 (`make test DB=postgis` sets it, so CI runs them on PostGIS; `make drills`
runs only them); without it they are skipped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.worker import _database_url

ROOT = Path(settings.BASE_DIR)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DRILLS") == "1":
        return
    skip = pytest.mark.skip(reason="drills run with DRILLS=1 (make test DB=postgis, make drills)")
    for item in items:
        if "drill" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """redis-server on a free port of 127.0.0.1, nothing kept on disk; freeze() is SIGSTOP (a hung
    broker: connections are accepted by the kernel, nothing answers), thaw() SIGCONT."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="drill-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> OwnRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the drill's redis-server did not start")

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def own_redis():
    redis = OwnRedis().start()
    yield redis
    redis.stop()


class Web:
    """gunicorn with two workers on the test database, as production runs it (CONN_MAX_AGE kept)."""

    def __init__(self, env: dict) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="drill-web-", suffix=".log")[1])
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "PYTEST_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "1",
            "DATABASE_URL": _database_url(),
            "CONN_MAX_AGE": "60",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Web:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "2", "--timeout", "60",
             "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.output()}")
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer in 30 s:\n{self.output()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        return self.request("GET", path, timeout=timeout)

    def request(
        self, method: str, path: str, *, data: dict | None = None, token: str = "", timeout: float = 30
    ) -> tuple[int, bytes]:
        """(status, body); the status is 0 when nothing came back within `timeout`."""
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (our own server)
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (TimeoutError, urllib.error.URLError):
            return 0, b""
