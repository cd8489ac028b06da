"""Separation of duties (三员分立): the system, security and audit administrators each hold
one set of keys, and nobody can both change roles and read or erase the traces."""

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from accounts.roles import ADMIN_ROLES, Role
from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, make_user):
    def sign_in(role, username=None):
        user = make_user(username or role.value, role)
        client.force_login(user)
        return user

    return sign_in


def group(role) -> Group:
    return Group.objects.get(name=role.value)


def test_it_gives_each_administrator_role_only_its_own_permissions():
    audit = {f"{p.content_type.app_label}.{p.codename}" for p in group(Role.AUDIT_ADMIN).permissions.all()}
    assert audit == {"audit.view_auditevent"}
    security = {p.content_type.app_label for p in group(Role.SECURITY_ADMIN).permissions.all()}
    assert security == {"auth", "axes", "accounts"}
    system = {p.content_type.app_label for p in group(Role.SYSTEM_ADMIN).permissions.all()}
    assert "audit" not in system and "axes" not in system
    assert not group(Role.SYSTEM_ADMIN).permissions.filter(codename__in=["change_user", "add_user", "change_group"])
    assert Permission.objects.filter(content_type__app_label="audit", group__isnull=False).distinct().count() == 1


def test_it_keeps_the_audit_log_out_of_the_admin_for_everyone(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    assert not any(model._meta.app_label == "audit" for model in site._registry)
    assert client.get("/admin/audit/auditevent/").status_code == 404


@pytest.mark.parametrize("role", [Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.SUPERVISOR])
def test_it_lets_only_the_audit_administrator_read_the_log(client, as_role, role):
    audit_record(action="test.secret")
    as_role(role)
    assert client.get(reverse("audit:search")).status_code == 403
    assert client.get(reverse("audit:search") + "?format=csv").status_code == 403


def test_it_lets_the_audit_administrator_search_and_export_the_log(client, as_role):
    auditor = as_role(Role.AUDIT_ADMIN, "auditor")
    audit_record(action="test.one", actor="clerk", result="denied", details={"why": "x"})
    audit_record(action="test.two", actor="clerk")

    page = client.get(reverse("audit:search"), {"action": "test.one", "user": "clerk"}).content.decode()
    assert "test.one" in page and "test.two" not in page.split("<tbody>")[1]

    response = client.get(reverse("audit:search"), {"result": "denied", "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id,time,user_id,user,")
    assert len(lines) == 2 and ",test.one,denied," in lines[1]
    exported = AuditEvent.objects.get(action="audit.exported")
    assert (exported.actor_id, exported.details) == (auditor.pk, {"result": "denied"})


def test_it_lets_the_audit_administrator_change_no_user(client, as_role, make_user):
    as_role(Role.AUDIT_ADMIN)
    clerk = make_user("clerk")
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    client.post(reverse("admin:auth_user_change", args=[clerk.pk]), {"username": "renamed"})
    assert User.objects.filter(username="clerk").exists()


def test_it_lets_the_security_administrator_manage_ordinary_accounts(client, as_role, make_user):
    as_role(Role.SECURITY_ADMIN)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newclerk",
            "password1": "Strong-pass-2026",
            "password2": "Strong-pass-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.user_created", object_label="newclerk").count() == 1


def test_it_hands_out_no_administrator_role_through_the_security_administrator(client, as_role, make_user):
    as_role(Role.SECURITY_ADMIN)
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    form = client.get(reverse("admin:auth_user_change", args=[clerk.pk])).context["adminform"].form
    offered = {g.name for g in form.fields["groups"].queryset}
    assert offered.isdisjoint({role.value for role in ADMIN_ROLES})
    assert "is_superuser" not in form.fields
    audit_permission = Permission.objects.get(codename="view_auditevent")
    assert audit_permission not in form.fields["user_permissions"].queryset


def test_it_keeps_the_security_administrator_off_his_own_account_and_the_administrators(client, as_role, make_user):
    me = as_role(Role.SECURITY_ADMIN, "secadmin")
    auditor = make_user("auditor", Role.AUDIT_ADMIN)
    root = make_user("root", is_staff=True, is_superuser=True)
    for user in (me, auditor, root):
        page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
        assert page.context["has_change_permission"] is False, user.username
        response = client.post(
            reverse("admin:auth_user_password_change", args=[user.pk]),
            {"password1": "Taken-over-2026", "password2": "Taken-over-2026", "usable_password": "true"},
        )
        assert response.status_code == 403, user.username
    assert User.objects.get(username="auditor").check_password("pw-for-tests-1")


def test_it_lets_no_group_but_the_audit_administrators_hold_audit_permissions(client, as_role):
    as_role(Role.SECURITY_ADMIN)
    night = Group.objects.create(name="night shift")
    audit_permission = Permission.objects.get(codename="view_auditevent")
    response = client.post(
        reverse("admin:auth_group_change", args=[night.pk]),
        {"name": "night shift", "permissions": [audit_permission.pk]},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not night.permissions.exists()
    for role in ADMIN_ROLES:
        page = client.get(reverse("admin:auth_group_change", args=[group(role).pk]))
        assert page.context["has_change_permission"] is False


def test_it_refuses_two_administrator_roles_on_one_account_even_to_a_superuser(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    user = make_user("both")
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {"username": "both", "is_active": "on", "groups": [group(Role.SECURITY_ADMIN).pk, group(Role.AUDIT_ADMIN).pk],
         "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "只能担任" in response.content.decode()
    assert not user.groups.exists()


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.SYSTEM_ADMIN, "admin:grids_grid_changelist", "admin:auth_group_changelist"),
        (Role.SECURITY_ADMIN, "admin:auth_user_changelist", "admin:grids_grid_changelist"),
    ],
)
def test_it_lets_the_administrators_into_the_admin_for_their_own_part(client, as_role, role, allowed, refused):
    user = as_role(role)
    assert not user.is_staff
    assert client.get(reverse(allowed)).status_code == 200
    assert client.get(reverse(refused)).status_code == 403


def test_it_lets_an_administrator_log_into_the_admin_without_staff_status(client, make_user):
    make_user("sysadmin", Role.SYSTEM_ADMIN)
    make_user("clerk", Role.INTAKE_CLERK)
    ok = client.post(reverse("admin:login"), {"username": "sysadmin", "password": "pw-for-tests-1"})
    assert ok.status_code == 302
    client.post(reverse("logout"))
    refused = client.post(reverse("admin:login"), {"username": "clerk", "password": "pw-for-tests-1"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
