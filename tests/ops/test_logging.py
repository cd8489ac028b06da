"""Logs as JSON lines carrying the request, user, case and delivery ids."""

from __future__ import annotations

import json
import logging

import pytest

from config.logging import JsonFormatter, PlainFormatter, bound

pytestmark = pytest.mark.django_db


def record(message: str, *args, level=logging.INFO, exc_info=None, **extra) -> logging.LogRecord:
    made = logging.LogRecord("cases.notifications", level, __file__, 1, message, args, exc_info)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_it_writes_one_json_object_per_line_with_the_context_ids():
    with bound(request_id="r-1", user_id=7):
        line = JsonFormatter().format(record("sent %s", "x", case_id=42, delivery_id="d-9"))
    entry = json.loads(line)
    assert entry["message"] == "sent x" and entry["level"] == "INFO" and entry["logger"] == "cases.notifications"
    assert (entry["request_id"], entry["user_id"], entry["case_id"], entry["delivery_id"]) == ("r-1", 7, 42, "d-9")


def test_it_keeps_a_traceback_inside_its_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        line = JsonFormatter().format(record("failed", level=logging.ERROR, exc_info=sys.exc_info()))
    assert "\n" not in line and "RuntimeError: boom" in json.loads(line)["exception"]


def test_the_plain_format_ends_with_the_ids():
    with bound(request_id="r-2"):
        assert PlainFormatter().format(record("hello")).endswith("hello [request_id=r-2]")


def test_each_request_gets_an_id_and_its_user_and_case_in_the_log(client, make_user, caplog):
    from accounts.roles import Role

    user = make_user("leader", Role.SHIFT_LEADER)
    client.force_login(user)
    seen = {}

    def capture(record):
        from config.logging import current

        seen.update(current())
        return True

    handler = logging.getLogger("django.request")
    handler.addFilter(capture)
    try:
        response = client.get("/cases/999999/", headers={"X-Request-Id": "from-nginx-1"})
    finally:
        handler.removeFilter(capture)
    assert response["X-Request-Id"] == "from-nginx-1"
    assert seen == {"request_id": "from-nginx-1", "user_id": user.pk, "case_id": 999999}


def test_it_makes_its_own_request_id_when_the_one_sent_is_odd(client):
    response = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert len(response["X-Request-Id"]) == 32
