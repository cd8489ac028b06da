"""A database connection lost around a change: a change that committed is answered (read back on a
new connection), and a lost connection before it answers 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from cases.api import cases as cases_api
from cases.models import CaseEvent, Status
from cases.services import case_transition
from tests.cases.conftest import NOW


@pytest.mark.django_db(transaction=True)
def test_a_committed_action_is_answered_when_the_connection_dies_before_the_answer(client, city, report, monkeypatch):
    case = report()
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], now=NOW, category=city["garbage"])
    real = cases_api.case_get
    calls = []

    def connection_gone_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(cases_api, "case_get", connection_gone_once)
    client.force_login(city["dispatcher"])
    response = client.post(f"/api/cases/{case.pk}/actions/dispatch/", {}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.PENDING_APPROVAL and len(calls) == 2
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@pytest.mark.django_db
def test_a_lost_connection_before_the_change_answers_503_in_the_api_format(client, city, report, monkeypatch, caplog):
    case = report()
    client.force_login(city["clerk"])

    def lost(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("cases.api.actions.case_transition", lost)
    response = client.post(
        f"/api/cases/{case.pk}/actions/file/", {"category": city["garbage"].pk}, content_type="application/json"
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "unavailable"
    assert "database unavailable" in caplog.text
