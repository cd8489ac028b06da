"""The broker's wiring: which queue each task goes to, and handing a task over without ever
failing the caller.

Queues (one per kind of work, so that a flood of one never delays another; deploy/systemd has a
worker unit for each): QUEUES below. Their names take CELERY_QUEUE_PREFIX in front (tests give
each worker queues of its own).

Handing over (`publish`), from a request or a task: bounded, never raising.

The broker's socket timeouts (settings: CELERY_BROKER_TRANSPORT_OPTIONS) bound each try; no
publish is retried (CELERY_TASK_PUBLISH_RETRY off) and after one failure the breaker skips
publishing for RETRY_SECONDS, so a hung broker costs a request at most one timeout.
Whatever was not handed over is found again by its sweep (notifications, photos) or marked
failed by the caller (a job someone waits for). In embedded mode the task runs here, eagerly;
its failure is logged with its traceback (that is a bug, not an outage).
"""

from __future__ import annotations

import datetime
import logging

from config.breaker import Breaker

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30
broker = Breaker("broker", RETRY_SECONDS)

# queue → the tasks it carries
QUEUES: dict[str, tuple[str, ...]] = {
    # Department webhooks and e-mails, and the exchange's callbacks and pushes: many, short, waiting on the network.
    "notifications": ("cases.tasks.deliver_notification",),
    # Display copies and thumbnails of case photos: CPU-bound.
    "photos": ("cases.tasks.make_photo_derivatives",),
    # Jobs someone watches a progress bar for: the bulletin PDF, a long export, an import (grids, assets, gazetteer).
    "reports": (
        "assessments.make_bulletin_pdf",
        "assessments.make_export",
        "grids.tasks.run_import_job",
        "assets.tasks.run_import_job",
        "gazetteer.tasks.run_import_job",
    ),
    # The periodic jobs of the beat schedule, and its heartbeat.
    "sweeps": (
        "cases.tasks.sweep_notifications",
        "cases.tasks.sweep_photos",
        "cases.tasks.sla_sweep",
        "cases.tasks.approval_escalation_sweep",
        "cases.tasks.erase_reporter_contacts",
        "assessments.refresh_facts",
        "campaigns.tasks.tag_campaigns",
        "ops.heartbeat",
    ),
}


def queue_names(prefix: str = "") -> list[str]:
    return [prefix + queue for queue in QUEUES]


def task_routes(prefix: str = "") -> dict[str, dict]:
    """CELERY_TASK_ROUTES: every task of QUEUES to its queue."""
    return {task: {"queue": prefix + queue} for queue, tasks in QUEUES.items() for task in tasks}


def publish(task, args: tuple = (), *, eta: datetime.datetime | None = None) -> bool:
    """Send `task` with `args` (at `eta`); True if the broker took it (or, embedded, it ran)."""
    if task.app.conf.task_always_eager:
        try:
            task.apply_async(args, eta=eta)
        except Exception:
            logger.exception("task %s%r failed in-process", task.name, args)
            return False
        return True
    if broker.is_open:
        logger.info("broker unreachable lately: %s%r left to its sweep", task.name, args)
        return False
    try:
        task.apply_async(args, eta=eta)
    except Exception as exc:  # kombu's OperationalError, redis errors, timeouts: all "not handed over"
        broker.trip(exc)
        logger.warning("task %s%r not handed to the broker (%s)", task.name, args, type(exc).__name__)
        return False
    return True
