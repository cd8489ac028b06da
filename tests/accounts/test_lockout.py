"""Failed logins lock the account and the address (django-axes); the page says until when;
a security administrator unlocks; the API throttles anonymous callers, users and token guessing."""

import datetime as dt
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.admin import helpers
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.roles import Role
from accounts.tokens import api_token_create
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def login(client, username, password=PASSWORD, *, url=None, ip="10.0.0.1"):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username, times, **kwargs):
    return [login(client, username, "wrong", **kwargs) for _ in range(times)]


def test_it_locks_an_account_after_five_failures_and_says_until_when(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    answers = fail(client, "clerk", 5)
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
    body = answers[-1].content.decode()
    assert "登录失败次数过多：此账号已锁定，" in body and "自动解除" in body
    assert 'role="alert"' in body

    refused = login(client, "clerk", ip="10.9.9.9")  # the right password, from elsewhere
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_locks_an_address_that_tries_several_accounts(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    for name in ("a", "b", "c", "d", "e"):
        login(client, name, "wrong", ip="10.0.0.66")

    refused = login(client, "clerk", ip="10.0.0.66")
    assert refused.status_code == 429
    assert "此地址" in refused.content.decode()
    assert login(client, "clerk", ip="10.0.0.2").status_code == 302


def test_it_lets_in_again_once_the_lock_has_lifted(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    fail(client, "clerk", 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16))
    assert login(client, "clerk").status_code == 302


def test_it_counts_fewer_failures_than_the_limit_as_no_lock(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    fail(client, "clerk", 4)
    assert login(client, "clerk").status_code == 302


def test_it_locks_the_admin_login_too(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    answers = fail(client, "root", 5, url=reverse("admin:login"))
    assert answers[-1].status_code == 429
    assert "此账号已锁定" in answers[-1].content.decode()
    assert login(client, "root", url=reverse("admin:login")).status_code == 429


def test_it_audits_the_failures_and_the_lockout(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    fail(client, "clerk", 5)
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_username="clerk").count() == 5
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert (lockout.actor_username, lockout.result, lockout.client_ip) == ("clerk", "denied", "10.0.0.1")


def unlock(client, action):
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    return client.post(
        reverse("admin:axes_accessattempt_changelist"), {"action": action, helpers.ACTION_CHECKBOX_NAME: ids}
    )


def test_it_lets_a_security_administrator_unlock_an_account(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    fail(client, "clerk", 5)
    admin_client = client.__class__()
    admin_client.force_login(make_user("secadmin", Role.SECURITY_ADMIN))
    assert "clerk" in admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()

    assert unlock(admin_client, "unlock_accounts").status_code == 302

    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="auth.unlock")
    assert (event.actor_username, event.object_label, event.details["username"]) == ("secadmin", "clerk", "clerk")
    assert login(client, "clerk").status_code == 302


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.SHIFT_LEADER])
def test_it_lets_no_other_role_see_or_lift_lockouts(client, make_user, role):
    make_user("clerk", Role.INTAKE_CLERK)
    fail(client, "clerk", 5)
    client.force_login(make_user("other", role))
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code in (302, 403)
    unlock(client, "unlock_accounts")
    assert AccessAttempt.objects.exists()
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()


# ---- the API ---------------------------------------------------------------------


def api(client, token=None, ip="10.0.0.1"):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.get("/api/cases/", REMOTE_ADDR=ip, **headers)


def test_it_throttles_token_guessing_per_address(client, make_user):
    _token, key = api_token_create(user=make_user("dispatcher", Role.DISPATCHER), name="phone")
    answers = [api(client, f"{n:040x}") for n in range(5)]
    assert {answer.status_code for answer in answers} == {403}

    throttled = api(client, key)  # even the right token, from this address
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert api(client, key, ip="10.0.0.2").status_code == 200
    assert AuditEvent.objects.filter(action="api.token_failed", client_ip="10.0.0.1").count() == 5
    assert AuditEvent.objects.get(action="auth.lockout").details["via"] == "api_token"


def test_it_throttles_anonymous_callers_per_address_where_they_are_let_in():
    """Protected endpoints refuse anonymous callers (403) before any throttle or work; an
    endpoint open to them is throttled per address by the default throttle classes."""
    from rest_framework.decorators import api_view, permission_classes
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory

    @api_view(["GET"])
    @permission_classes([AllowAny])
    def public(request):
        return Response({})

    factory = APIRequestFactory()
    with mock.patch.object(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min"}):
        codes = [public(factory.get("/api/public/", REMOTE_ADDR="10.0.0.1")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert public(factory.get("/api/public/", REMOTE_ADDR="10.0.0.2")).status_code == 200


def test_it_throttles_each_user(client, make_user):
    client.force_login(make_user("dispatcher", Role.DISPATCHER))
    with mock.patch.object(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"}):
        codes = [api(client).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
