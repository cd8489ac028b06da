"""manage.py serve: Django's server, with the beat schedule's jobs in the same process when
there is no broker (embedded mode). The server itself (runserver, which would bind a port and
never return) is replaced by a recorder; `make e2e` serves the application for real."""

import pytest
from django.core.management import call_command, get_commands

from config.management.commands import serve


@pytest.fixture
def started(monkeypatch):
    """What serve did: the schedules it ran in this process, and the commands it called."""
    record = {"schedules": [], "commands": []}
    monkeypatch.setattr(serve, "start_in_background", record["schedules"].append)
    monkeypatch.setattr(serve, "call_command", lambda *args, **options: record["commands"].append((args, options)))
    monkeypatch.delenv("RUN_MAIN", raising=False)
    return record


def test_it_is_the_runtimes_command():
    assert get_commands()["serve"] == "config"


def test_it_runs_the_periodic_jobs_beside_the_server_in_embedded_mode(started, settings):
    settings.CELERY_EMBEDDED = True

    call_command("serve", "127.0.0.1:8123", "--noreload")

    assert started["schedules"] == [settings.CELERY_BEAT_SCHEDULE]
    assert started["commands"] == [(("runserver", "127.0.0.1:8123"), {"use_reloader": False})]


def test_it_runs_them_only_in_the_server_process_under_the_autoreloader(started, settings, monkeypatch):
    settings.CELERY_EMBEDDED = True

    call_command("serve")  # the watcher process: it only restarts the server
    assert started["schedules"] == []
    assert started["commands"] == [(("runserver", "127.0.0.1:8000"), {"use_reloader": True})]

    monkeypatch.setenv("RUN_MAIN", "true")  # the server process the watcher started
    call_command("serve")
    assert started["schedules"] == [settings.CELERY_BEAT_SCHEDULE]


def test_it_leaves_the_periodic_jobs_to_celery_beat_when_a_broker_is_set(started, settings, capsys):
    settings.CELERY_EMBEDDED = False

    call_command("serve", "--noreload")

    assert started["schedules"] == []
    assert "periodic jobs are Celery beat's" in capsys.readouterr().out
    assert started["commands"] == [(("runserver", "127.0.0.1:8000"), {"use_reloader": False})]
