"""The API's throttles count in the cache; with the cache away the API still answers."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from config.throttles import UserRateThrottle
from tests.citizens.test_cache_down import cache_refused  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_answers_the_api_with_the_cache_away(client, make_user, cache_refused, caplog):  # noqa: F811
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    assert client.get("/api/categories/").status_code == 200
    assert client.get("/api/categories/").status_code == 200  # the breaker is open: no wait, no error
    assert "cache unreachable" in caplog.text


def test_it_still_throttles_with_the_cache_there(client, make_user, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "2/min", raising=False)
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    codes = [client.get("/api/categories/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
