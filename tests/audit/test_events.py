"""Each security event writes exactly one audit row, with who, from where and on what."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from accounts.roles import Role
from accounts.tokens import api_token_create, api_token_revoke
from assessments.models import AssessmentSettings
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def one(action: str) -> AuditEvent:
    found = rows(action)
    assert len(found) == 1, f"{action}: {len(found)} rows"
    return found[0]


def login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_it_records_a_login_and_a_logout(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    login(client, "clerk", REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="Firefox/140")
    client.post(reverse("logout"))

    event = one("auth.login")
    assert (event.actor_id, event.actor_username, event.client_ip, event.user_agent) == (
        clerk.pk, "clerk", "10.0.0.7", "Firefox/140",
    )  # fmt: skip
    assert one("auth.logout").actor_id == clerk.pk


def test_it_records_a_failed_login_with_the_name_tried(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    login(client, "clerk", "wrong")

    event = one("auth.login_failed")
    assert (event.actor_id, event.actor_username, event.result) == (None, "clerk", "failed")
    assert "wrong" not in str(event.details)
    assert rows("auth.login") == []


def test_it_records_users_created_disabled_and_made_staff(make_user):
    user = make_user("clerk")
    assert one("auth.user_created").object_id == str(user.pk)
    user.is_active = False
    user.save()
    user.is_staff = True
    user.save()
    user.last_login = None
    user.save(update_fields=["last_login"])

    assert one("auth.user_disabled").details == {"is_active": [True, False]}
    assert one("auth.user_privileges_changed").details == {"is_staff": [False, True]}


def test_it_records_a_password_change_by_the_user_and_a_reset_by_an_administrator(client, make_user):
    security = make_user("secadmin", Role.SECURITY_ADMIN)
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    client.force_login(security)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"password1": "Another-pass-2026", "password2": "Another-pass-2026", "usable_password": "true"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "Mine-new-pass-2026", "new_password2": "Mine-new-pass-2026"},
    )
    assert response.status_code == 302

    reset = one("auth.password_reset")
    assert (reset.actor_username, reset.object_id) == ("secadmin", str(clerk.pk))
    changed = one("auth.password_changed")
    assert (changed.actor_username, changed.object_id) == ("secadmin", str(security.pk))


def test_it_records_no_password_change_when_a_login_upgrades_the_hash(client, make_user, settings):
    make_user("clerk", Role.INTAKE_CLERK)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.ScryptPasswordHasher", *settings.PASSWORD_HASHERS]
    login(client, "clerk")
    assert User.objects.get(username="clerk").password.startswith("scrypt$")
    assert rows("auth.password_changed") + rows("auth.password_reset") == []


def test_it_records_group_changes_from_either_side(make_user):
    clerk = make_user("clerk")
    group = Group.objects.get_or_create(name=Role.DISPATCHER.value)[0]
    clerk.groups.add(group)
    group.user_set.remove(clerk)
    clerk.groups.add(group)
    clerk.groups.clear()

    changes = [(row.object_id, row.details) for row in rows("auth.user_groups_changed")]
    assert changes == [
        (str(clerk.pk), {"added": ["dispatcher"]}),
        (str(clerk.pk), {"removed": ["dispatcher"]}),
        (str(clerk.pk), {"added": ["dispatcher"]}),
        (str(clerk.pk), {"removed": ["dispatcher"]}),
    ]


def test_it_records_permission_changes_of_users_and_groups(make_user):
    clerk = make_user("clerk")
    group = Group.objects.create(name="night shift")
    permission = Permission.objects.get(codename="view_grid")
    clerk.user_permissions.add(permission)
    group.permissions.add(permission)

    assert one("auth.user_permissions_changed").details == {"added": ["grids.view_grid"]}
    event = one("auth.group_permissions_changed")
    assert (event.object_label, event.details) == ("night shift", {"added": ["grids.view_grid"]})
    assert one("auth.group_created").object_label == "night shift"


def test_it_records_api_tokens_made_and_revoked_but_never_their_keys(make_user):
    clerk = make_user("clerk")
    token, key = api_token_create(user=clerk, name="phone")
    api_token_revoke(token=token, actor=clerk)

    for action in ("api.token_created", "api.token_revoked"):
        event = one(action)
        assert (event.object_type, event.object_id, event.details["device"]) == ("auth.user", str(clerk.pk), "phone")
    assert one("api.token_revoked").details["by"] == "owner"
    assert key not in str(list(AuditEvent.objects.values()))


def test_it_records_a_settings_change_in_the_admin(client, make_user):
    sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN)
    client.force_login(sysadmin)
    form = {"weight_handling": 30, "weight_on_time": 20, "weight_rework": 20, "weight_overdue": 20,
            "weight_extension": 10, "min_cases": 3, "weight_satisfaction": 0, "bulletin_date_style": "numerals",
            "bulletin_honour_count": 3, "fund_amount": "0", "fund_base_percent": 40,
            "fund_units": "community", "basis": "filed"}  # fmt: skip
    response = client.post(reverse("admin:assessments_assessmentsettings_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]

    event = one("settings.changed")
    assert (event.actor_username, event.object_type) == ("sysadmin", "assessments.assessmentsettings")
    assert AssessmentSettings.objects.exists()
