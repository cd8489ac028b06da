"""Embedded mode runs the beat schedule itself."""

import datetime
import threading

import pytest

from config.periodic import due_jobs, interval_seconds, run_forever


def test_it_reads_numeric_and_timedelta_intervals():
    assert interval_seconds(60) == 60.0
    assert interval_seconds(datetime.timedelta(minutes=5)) == 300.0
    assert interval_seconds("crontab(minute=0)") is None
    assert interval_seconds(0) is None


def test_it_runs_each_job_when_its_interval_has_passed():
    schedule = {"fast": {"task": "a", "schedule": 10}, "slow": {"task": "b", "schedule": 60}}
    assert due_jobs(schedule, {}, now=0) == ["fast", "slow"]
    assert due_jobs(schedule, {"fast": 0, "slow": 0}, now=9.9) == []
    assert due_jobs(schedule, {"fast": 0, "slow": 0}, now=10) == ["fast"]
    assert due_jobs(schedule, {"fast": 55, "slow": 0}, now=60) == ["slow"]


@pytest.mark.django_db  # between jobs the runner closes stale database connections
def test_it_keeps_running_when_a_job_fails():
    ran: list[str] = []
    stop = threading.Event()

    def run(task: str) -> None:
        ran.append(task)
        if task == "boom":
            raise RuntimeError("job failed")
        if len(ran) >= 2:
            stop.set()

    schedule = {"first": {"task": "boom", "schedule": 60}, "second": {"task": "ok", "schedule": 60}}
    run_forever(schedule, stop, run, tick=0.01)
    assert ran == ["boom", "ok"]


def test_every_scheduled_task_exists():
    from django.conf import settings

    from config.celery_app import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert interval_seconds(entry["schedule"]) is not None, f"{name}: embedded mode cannot run this schedule"
