"""With DEBUG off the published demo password logs nobody in, and a system check names the
accounts that still have it (the test settings run with DEBUG off, like production)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from accounts.roles import Role
from accounts.security import DEMO_PASSWORD, accounts_with_demo_password
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_refuses_a_login_with_the_demo_password_and_says_why(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    clerk.set_password(DEMO_PASSWORD)
    clerk.save()

    response = client.post(reverse("login"), {"username": "clerk", "password": DEMO_PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "仍在使用公开的演示密码" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login_refused")
    assert (event.actor_username, event.result, event.details) == ("clerk", "denied", {"reason": "demo_password"})


def test_it_refuses_the_demo_password_at_the_admin_login_too(client, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    root.set_password(DEMO_PASSWORD)
    root.save()
    response = client.post(reverse("admin:login"), {"username": "root", "password": DEMO_PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_it_lets_the_demo_password_in_with_debug_on(client, make_user, settings):
    settings.DEBUG = True
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    clerk.set_password(DEMO_PASSWORD)
    clerk.save()
    assert client.post(reverse("login"), {"username": "clerk", "password": DEMO_PASSWORD}).status_code == 302


def test_it_names_the_accounts_with_the_demo_password_in_a_system_check(make_user, settings):
    for name in ("admin", "intake", "secadmin"):
        user = make_user(name, is_staff=name == "admin")
        user.set_password(DEMO_PASSWORD)
        user.save()
    make_user("supervisor")  # a demo name with its own password
    changed = make_user("someone", is_staff=True)
    changed.set_password("Another-pass-2026")
    changed.save()

    assert accounts_with_demo_password() == ["admin", "intake", "secadmin"]
    with pytest.raises(SystemCheckError, match=r"accounts.E001.*admin, intake, secadmin"):
        call_command("check", databases=["default"])
    call_command("check")  # without a database the check does not run
    settings.DEBUG = True
    call_command("check", databases=["default"])


def test_it_warns_at_the_deploy_check_of_login_rules_turned_off(settings):
    from accounts.checks import login_rules_check

    settings.OTP_REQUIRED_ROLES, settings.PASSWORD_MAX_AGE_DAYS = ["supervisor"], 90
    assert login_rules_check() == []
    settings.OTP_REQUIRED_ROLES, settings.PASSWORD_MAX_AGE_DAYS = [], 0
    assert [warning.id for warning in login_rules_check()] == ["accounts.W001", "accounts.W002"]
