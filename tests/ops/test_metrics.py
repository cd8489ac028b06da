"""/metrics: guarded by METRICS_TOKEN; requests, transitions, notifications, periodic jobs, the rollup."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Notification
from ops.periodic import HEARTBEAT, record_run
from tests.cases.conftest import city, report  # noqa: F401 (fixtures)
from tests.cases.test_notifications import dispatch_urgent, hooked, receiver, sanitation  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def test_there_are_no_metrics_without_a_token_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_it_refuses_a_wrong_token(client, token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_it_exports_requests_transitions_notifications_jobs_and_the_rollup(
    client, token, receiver, hooked, dispatch_urgent
):  # noqa: F811
    dispatch_urgent()
    record_run(task=HEARTBEAT, started_at=timezone.now(), duration_ms=12)
    client.get("/healthz")
    text = client.get("/metrics", headers=token).content.decode()
    assert 'citydispatch_case_transitions_total{action="dispatch"}' in text
    assert 'citydispatch_notifications{status="delivered"} 1.0' in text
    assert "citydispatch_notification_oldest_undelivered_seconds 0.0" in text
    assert f'citydispatch_periodic_job_duration_seconds{{task="{HEARTBEAT}"}} 0.012' in text
    assert "citydispatch_beat_heartbeat_age_seconds" in text
    assert "citydispatch_rollup_lag_events" in text and "citydispatch_rollup_lag_seconds" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus' middleware
    assert Notification.objects.count() == 1
