"""Prometheus metrics (/metrics, docs/OPERATIONS.md "Metrics").

Two kinds:
- counted in the process: HTTP requests (django-prometheus' middleware) and case transitions by
  action (`count_transition`, called by cases.services on commit). Under gunicorn set
  PROMETHEUS_MULTIPROC_DIR (deploy/systemd/citydispatch-web.service does) so that every worker's
  counts are added up, whichever worker answers the scrape.
- read from the database and the broker at each scrape (the same from any web node): notifications
  by status and the age of the oldest undelivered one, the length of every queue, each periodic
  job's last duration and success, the beat's heartbeat age, and the rollup's lag.
"""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from config.broker import queue_names

logger = logging.getLogger(__name__)

CASE_TRANSITIONS = Counter("citydispatch_case_transitions", "Case actions applied (committed), by action.", ["action"])


def count_transition(action: str) -> None:
    CASE_TRANSITIONS.labels(action=action).inc()


class StateCollector:
    """Gauges read at scrape time from the database and the broker."""

    def collect(self):
        yield from self._notifications()
        yield from self._queues()
        yield from self._periodic()
        yield from self._rollup()

    def _notifications(self):
        from cases.models import DeliveryStatus, Notification

        by_status = GaugeMetricFamily(
            "citydispatch_notifications", "Department notifications by delivery status.", labels=["status"]
        )
        counts = dict(Notification.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in DeliveryStatus.values:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        unsettled = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]
        oldest = Notification.objects.filter(status__in=unsettled).aggregate(at=Min("created_at"))["at"]
        yield GaugeMetricFamily(
            "citydispatch_notification_oldest_undelivered_seconds",
            "Age of the oldest notification not yet delivered nor failed (0: none).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0,
        )

    def _queues(self):
        if settings.CELERY_EMBEDDED:
            return
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        family = GaugeMetricFamily("citydispatch_queue_length", "Tasks waiting in each broker queue.", labels=["queue"])
        timeout = settings.REDIS_TIMEOUT_SECONDS
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            for queue in [settings.CELERY_TASK_DEFAULT_QUEUE, *queue_names(settings.CELERY_QUEUE_PREFIX)]:
                # kombu keeps a queue's messages of priority > 0 in lists of their own ("<queue>\x06\x16<n>").
                keys = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
                pipe = client.pipeline(transaction=False)
                for key in keys:
                    pipe.llen(key)
                family.add_metric([queue], sum(pipe.execute()))
        except redis.RedisError as exc:
            logger.warning("metrics: queue lengths not read (%s)", exc)
            return
        finally:
            client.close()
        yield family

    def _periodic(self):
        from ops.models import PeriodicRun
        from ops.periodic import HEARTBEAT

        duration = GaugeMetricFamily(
            "citydispatch_periodic_job_duration_seconds", "How long each periodic job's last run took.", labels=["task"]
        )
        since = GaugeMetricFamily(
            "citydispatch_periodic_job_last_success_age_seconds",
            "Seconds since each periodic job last succeeded.",
            labels=["task"],
        )
        failures = GaugeMetricFamily(
            "citydispatch_periodic_job_failures", "Failed runs of each periodic job.", labels=["task"]
        )
        now = timezone.now()
        heartbeat_age = None
        for run in PeriodicRun.objects.all():
            if run.last_duration_ms is not None:
                duration.add_metric([run.task], run.last_duration_ms / 1000)
            if run.last_succeeded_at is not None:
                age = max(0.0, (now - run.last_succeeded_at).total_seconds())
                since.add_metric([run.task], age)
                if run.task == HEARTBEAT:
                    heartbeat_age = age
            failures.add_metric([run.task], run.failures)
        yield duration
        yield since
        yield failures
        yield GaugeMetricFamily(
            "citydispatch_beat_heartbeat_age_seconds",
            "Seconds since the beat's heartbeat last ran (-1: never).",
            value=heartbeat_age if heartbeat_age is not None else -1,
        )

    def _rollup(self):
        from assessments.models import RollupState
        from cases.models import CaseEvent

        top = CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0
        seen = RollupState.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0
        yield GaugeMetricFamily(
            "citydispatch_rollup_lag_events",
            "Case events not yet folded into the assessment rollup.",
            value=max(0, top - seen),
        )
        oldest = CaseEvent.objects.filter(id__gt=seen).order_by("id").values_list("at", flat=True).first()
        yield GaugeMetricFamily(
            "citydispatch_rollup_lag_seconds",
            "Age of the oldest case event not yet folded into the rollup (0: up to date).",
            value=max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0,
        )


_state = CollectorRegistry(auto_describe=False)
_state.register(StateCollector())


def exposition() -> bytes:
    """The text of a scrape: the process's (or, under gunicorn, all workers') counters, then the state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(_state)
