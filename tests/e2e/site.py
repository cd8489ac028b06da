"""The application under test, as it runs for real: its own SpatiaLite file migrated and
seeded with the demo county, `manage.py serve` on a free port of 127.0.0.1, and a Celery
worker on Redis consuming a queue of its own (so dispatch notifications go through a real
worker, and parallel runs on one machine do not meet).

The test process never opens that database itself: what a journey needs to prepare or
read back goes through `Site.shell`, a `manage.py shell` with the same environment.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import redis

from config.broker import queue_names
from tests.worker import REDIS_URL, _check_redis

ROOT = Path(__file__).resolve().parents[2]
MARK = "E2E-JSON:"


# The sites' cache: a Redis database of its own beside the broker's (one run at a time uses it).
CACHE_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="citydispatch-e2e-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.queue = f"e2e-{uuid.uuid4().hex[:12]}"
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        # Only what the product reads: the test process's own settings (config.settings.test)
        # must not leak into the server.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "PYTEST_"))
        }
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "DEBUG": "1",  # seed_demo's logins, and media files served by Django
                "DATABASE_URL": f"spatialite:///{self.dir / 'db.sqlite3'}",
                "MEDIA_ROOT": str(self.dir / "media"),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SITE_URL": self.url,  # the links in e-mails and webhooks lead back to this site
                # A shared cache, as in production: the server, the worker and `shell` (the journeys'
                # set-up) tell each other at once when a memo's table changes (config.memo).
                "CACHE_URL": CACHE_URL,
                "CELERY_BROKER_URL": REDIS_URL,
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "CELERY_QUEUE_PREFIX": f"{self.queue}.",  # its own queue of each kind
                "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                "MAP_TILES": "none",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )

    # ---- life cycle ------------------------------------------------------------

    def start(self) -> Site:
        _check_redis()
        redis.Redis.from_url(CACHE_URL).flushdb()  # no counters or stamps of an earlier run
        self.manage("migrate", "--noinput")
        self.manage("seed_demo")
        self._spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-Q", ",".join([self.queue, *queue_names(f"{self.queue}.")]), "-n", f"{self.queue}@localhost"],
        )  # fmt: skip
        self._spawn("server", [sys.executable, "manage.py", "serve", f"127.0.0.1:{self.port}", "--noreload"])
        self._wait(lambda: "ready." in self.log("worker"), "the Celery worker")
        self._wait(self._answers, "the web server")
        return self

    def stop(self) -> None:
        """Stop the processes and remove the run's folder (unless E2E_KEEP): read the logs before."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self._logs:
            log.close()
        if os.environ.get("E2E_KEEP"):
            print(f"\nE2E_KEEP: the database, media and logs of this run are in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.dir / f"{name}.log").open("w")
        self._logs.append(log)
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as response:  # noqa: S310 (our http URL)
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _wait(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"The {name} exited while waiting for {what}:\n{self.log(name)[-4000:]}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not start in {timeout:.0f} s.\n" + "\n".join(
            f"--- {name} ---\n{self.log(name)[-2000:]}" for name in self.processes
        ))  # fmt: skip

    # ---- reaching into the application -------------------------------------------

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, source: str, /, **values):
        """Run `source` in the application (Django set up, same database and broker) and return
        what it assigned to `result`, through JSON. `values` arrive as variables of that name."""
        prologue = "import json\n" + "".join(
            f"{name} = json.loads({json.dumps(json.dumps(v))})\n" for name, v in values.items()
        )
        epilogue = f"\nprint({MARK!r} + json.dumps(result, ensure_ascii=False, default=str))\n"
        output = self.manage("shell", "--no-imports", "-c", prologue + source + epilogue)
        for line in reversed(output.splitlines()):
            if line.startswith(MARK):
                return json.loads(line[len(MARK) :])
        raise RuntimeError(f"The shell code printed no result:\n{output}")
