"""Recording each run of the periodic jobs (the beat schedule's tasks), from Celery's task signals:
in the worker that runs them, or in the serving process in embedded mode (config.periodic).

A recording that fails (the database away) is logged and never fails the job.
"""

from __future__ import annotations

import logging
import time

from celery import signals
from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone

from config.broker import QUEUES

logger = logging.getLogger(__name__)

PERIODIC = frozenset(QUEUES["sweeps"])
HEARTBEAT = "ops.heartbeat"

_started: dict[str, tuple[float, object]] = {}  # task id → (monotonic start, wall-clock start)


def _on_prerun(task_id=None, task=None, **_kwargs) -> None:
    if task is None or task.name not in PERIODIC:
        return
    _started[task_id] = (time.monotonic(), timezone.now())


def _on_postrun(task_id=None, task=None, state=None, retval=None, **_kwargs) -> None:
    if task is None or task.name not in PERIODIC:
        return
    started_mono, started_at = _started.pop(task_id, (time.monotonic(), timezone.now()))
    ok = state == "SUCCESS"
    record_run(
        task=task.name,
        started_at=started_at,
        duration_ms=round((time.monotonic() - started_mono) * 1000),
        error="" if ok else f"{type(retval).__name__}: {retval}"[:2000],
    )


def record_run(*, task: str, started_at, duration_ms: int, error: str = "") -> None:
    from ops.models import PeriodicRun

    now = timezone.now()
    fields = {
        "last_started_at": started_at,
        "last_finished_at": now,
        "last_duration_ms": duration_ms,
        "last_error": error,
        "runs": F("runs") + 1,
        "failures": F("failures") + (1 if error else 0),
    }
    if not error:
        fields["last_succeeded_at"] = now
    try:
        if not PeriodicRun.objects.filter(task=task).update(**fields):
            PeriodicRun.objects.get_or_create(task=task)
            PeriodicRun.objects.filter(task=task).update(**fields)
    except DatabaseError as exc:
        logger.warning("periodic job %s: its run was not recorded (%s)", task, exc)


def connect() -> None:
    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="ops-periodic-prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="ops-periodic-postrun")
