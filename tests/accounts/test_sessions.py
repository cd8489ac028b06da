"""Sessions end after SESSION_IDLE_MINUTES without a request, and SESSION_COOKIE_AGE after the
login whatever happens; each ending is in the audit log. (The clocks are moved back in the
session instead of waiting.)"""

import time

import pytest
from django.urls import reverse

from accounts.gate import AUTH_AT, SEEN_AT
from accounts.roles import Role
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def move_clocks(client, *, seen_ago: int, auth_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[SEEN_AT], session[AUTH_AT] = now - seen_ago, now - auth_ago
    session.save()


@pytest.fixture
def clerk(client, make_user):
    user = make_user("clerk", Role.INTAKE_CLERK)
    client.post(reverse("login"), {"username": "clerk", "password": "pw-for-tests-1"})
    return user


def test_it_ends_a_session_idle_for_longer_than_the_limit(client, clerk, settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    move_clocks(client, seen_ago=31 * 60, auth_ago=31 * 60)

    response = client.get(reverse("cases:queue"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "您已 30 分钟无操作，已自动退出登录" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert (event.actor_username, event.details) == ("clerk", {"reason": "idle", "minutes": 31})
    assert not AuditEvent.objects.filter(action="auth.logout").exists()
    assert client.get("/api/cases/").status_code == 403


def test_it_keeps_a_session_in_use_and_moves_its_idle_clock(client, clerk):
    move_clocks(client, seen_ago=29 * 60, auth_ago=3 * 3600)
    assert client.get(reverse("cases:queue")).status_code == 200
    assert int(time.time()) - client.session[SEEN_AT] < 60
    assert not AuditEvent.objects.filter(action="auth.session_expired").exists()


def test_it_ends_a_session_at_its_maximum_length_even_in_use(client, clerk, settings):
    move_clocks(client, seen_ago=10, auth_ago=settings.SESSION_COOKIE_AGE + 1)
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert AuditEvent.objects.get(action="auth.session_expired").details["reason"] == "lifetime"


def test_it_takes_the_idle_limit_from_the_settings(client, clerk, settings):
    settings.SESSION_IDLE_MINUTES = 5
    move_clocks(client, seen_ago=6 * 60, auth_ago=6 * 60)
    assert client.get(reverse("cases:queue")).status_code == 302
