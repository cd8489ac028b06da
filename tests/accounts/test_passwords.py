"""The password policy: complexity, history, expiry, and the change forced after an
administrator set a password."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import PasswordRecord
from accounts.roles import Role
from accounts.security import DEMO_PASSWORD
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def refused(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def change_own(client, old, new):
    return client.post(reverse("account_password"), {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(
    "password, code",
    [
        ("Ab1!xyz", "password_too_short"),  # 7 characters
        ("zhangsanfeng", "password_too_plain"),  # one kind of character
        ("china2026", "password_too_plain"),  # two kinds
        ("Password1", "password_too_common"),  # in Django's list of common passwords
        ("Clerk-2026x", "password_has_username"),
        ("Krelc-2026x", "password_has_username"),  # backwards
    ],
)
def test_it_refuses_weak_passwords(make_user, password, code):
    assert code in refused(password, make_user("clerk"))


@pytest.mark.parametrize("password", ["Grid-7483-ok", "街道Patrol88", "tr0ub4dor&3x"])
def test_it_accepts_passwords_of_three_kinds_of_character(make_user, password):
    assert refused(password, make_user("clerk")) == []


def test_it_refuses_the_last_five_passwords_and_accepts_the_sixth_again(client, make_user, settings):
    assert settings.PASSWORD_HISTORY == 5
    make_user("clerk", Role.INTAKE_CLERK)
    client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    passwords = [PASSWORD] + [f"Street-{n}-patrol" for n in range(1, 6)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change_own(client, old, new).status_code == 302
    response = change_own(client, passwords[-1], passwords[2])  # four changes ago
    assert "password_reused" in [e.code for e in response.context["form"].errors.as_data()["new_password2"]]
    assert change_own(client, passwords[-1], PASSWORD).status_code == 302  # five changes ago: out of the history
    assert PasswordRecord.objects.filter(user__username="clerk").count() == 5


def test_it_makes_an_account_created_by_an_administrator_change_its_password_first(client, make_user):
    security = make_user("secadmin", Role.SECURITY_ADMIN)
    client.force_login(security)
    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newclerk", "password1": "Given-by-admin-1", "password2": "Given-by-admin-1",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302
    client.post(reverse("logout"))

    response = login(client, "newclerk", "Given-by-admin-1")
    assert response.status_code == 302
    page = client.get(reverse("cases:queue"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("account_password")
    assert "您的密码由管理员设置" in page.content.decode()
    assert client.get(reverse("home")).url == reverse("account_password")
    assert client.get("/api/cases/").status_code == 403

    response = change_own(client, "Given-by-admin-1", "My-own-choice-9")
    assert response.url == reverse("cases:queue")  # where the login was going
    assert client.get(reverse("home")).status_code == 200
    record = PasswordRecord.objects.filter(user__username="newclerk").first()
    assert (record.must_change, record.set_by_id) == (False, record.user_id)


def test_it_makes_a_password_reset_by_an_administrator_change_at_the_next_login(client, make_user):
    security = make_user("secadmin", Role.SECURITY_ADMIN)
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    client.force_login(security)
    client.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"password1": "Reset-by-admin-2", "password2": "Reset-by-admin-2", "usable_password": "true"},
    )
    client.post(reverse("logout"))
    login(client, "clerk", "Reset-by-admin-2")
    assert client.get(reverse("home")).url == reverse("account_password")
    assert PasswordRecord.objects.filter(user=clerk).first().set_by_id == security.pk


def age_password(user, days: int) -> None:
    user.set_password(PASSWORD)  # no one logged in: a password the user need not change
    user.save()
    PasswordRecord.objects.filter(user=user).update(set_at=timezone.now() - dt.timedelta(days=days))


def test_it_makes_an_expired_password_change_at_login(client, make_user, settings):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    age_password(clerk, 91)
    login(client, "clerk")
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_password")
    assert "您的密码已过期" in response.content.decode()

    settings.PASSWORD_MAX_AGE_DAYS = 0  # passwords never expire
    client.post(reverse("logout"))
    login(client, "clerk")
    assert client.get(reverse("home")).status_code == 200


def test_it_counts_an_unrecorded_password_from_the_day_the_account_was_made(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)  # create_user writes the hash: no record
    assert not PasswordRecord.objects.filter(user=clerk).exists()
    User.objects.filter(pk=clerk.pk).update(date_joined=timezone.now() - dt.timedelta(days=200))
    login(client, "clerk")
    assert client.get(reverse("home")).url == reverse("account_password")


def test_it_warns_of_a_password_about_to_expire(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    age_password(clerk, 85)
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD}, follow=True)
    assert "您的密码将在 4 天后过期" in response.content.decode()


def test_it_spares_the_demo_logins_with_debug_on(client, make_user, settings):
    settings.DEBUG = True
    intake = make_user("intake", Role.INTAKE_CLERK)
    intake.set_password(DEMO_PASSWORD)
    intake.save()
    User.objects.filter(pk=intake.pk).update(date_joined=timezone.now() - dt.timedelta(days=400))
    PasswordRecord.objects.filter(user=intake).update(set_at=timezone.now() - dt.timedelta(days=400))
    login(client, "intake", DEMO_PASSWORD)
    assert client.get(reverse("home")).status_code == 200


def test_it_records_the_forced_change_in_the_audit_log(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    age_password(clerk, 0)
    PasswordRecord.objects.filter(user=clerk).update(must_change=True)
    login(client, "clerk")
    change_own(client, PASSWORD, "Fresh-start-2027")
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert (event.actor_username, event.object_id) == ("clerk", str(clerk.pk))


def test_it_goes_on_only_to_a_page_of_this_site_after_the_change(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    age_password(clerk, 0)
    PasswordRecord.objects.filter(user=clerk).update(must_change=True)
    login(client, "clerk")
    # what a browser sends for http://host//evil.example/ (the test client would read a host there)
    assert client.get("/", PATH_INFO="//evil.example/").url == reverse("account_password")
    assert change_own(client, PASSWORD, "Fresh-start-2027").url == reverse("home")
