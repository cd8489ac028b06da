"""Periodic jobs in embedded mode (no broker, no beat): the serving command
(`manage.py serve`, config/management/commands/serve.py) runs the entries of
CELERY_BEAT_SCHEDULE itself, in a background thread.

In production Celery beat runs the same schedule; this is only for the
one-machine install, so that sweeps (undelivered notifications, and later the
SLA clock) still happen.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Mapping

from django.db import close_old_connections

logger = logging.getLogger(__name__)


def interval_seconds(schedule: object) -> float | None:
    """Seconds between runs for a number or timedelta schedule; None for anything else (crontab)."""
    if isinstance(schedule, datetime.timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, int | float) and schedule > 0:
        return float(schedule)
    return None


def due_jobs(schedule: Mapping[str, dict], last_run: dict[str, float], now: float) -> list[str]:
    """The names of the entries whose interval has passed since they last ran (never run: due)."""
    due = []
    for name, entry in schedule.items():
        every = interval_seconds(entry.get("schedule"))
        if every is not None and now - last_run.get(name, float("-inf")) >= every:
            due.append(name)
    return due


def run_forever(schedule: Mapping[str, dict], stop: threading.Event, run: Callable[[str], None], tick: float = 5.0):
    last_run: dict[str, float] = {}
    for name, entry in schedule.items():
        if interval_seconds(entry.get("schedule")) is None:
            logger.warning("periodic job %s has a schedule embedded mode cannot run; use Celery beat", name)
    while not stop.is_set():
        now = time.monotonic()
        for name in due_jobs(schedule, last_run, now):
            last_run[name] = now
            try:
                run(schedule[name]["task"])
            except Exception:  # one failing job must not stop the others
                logger.exception("periodic job %s failed", name)
            finally:
                close_old_connections()
        stop.wait(tick)


def start_in_background(schedule: Mapping[str, dict]) -> threading.Event:
    """Run the schedule's tasks in-process (eager) on a daemon thread; set the returned event to stop."""
    from config.celery_app import app

    app.loader.import_default_modules()  # the apps' tasks modules (autodiscovery is lazy)
    stop = threading.Event()

    def run(task_name: str) -> None:
        app.tasks[task_name].apply()

    thread = threading.Thread(target=run_forever, args=(schedule, stop, run), name="periodic-jobs", daemon=True)
    thread.start()
    return stop
