"""Two-factor login: enrolment with a QR code made on the server, codes computed here from the
device's key as an authenticator app would, recovery codes, the roles that must use it, and
the audit rows of each step."""

import re
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.apps import _check_otp_roles
from accounts.otp import otp_enrol_confirm, otp_enrol_start
from accounts.roles import Role
from audit.models import AuditEvent
from tests.totp import key_from_secret, totp

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"


def login(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = otp_enrol_start(user=user)
    done = otp_enrol_confirm(user=user, token=totp(device.bin_key))
    return done.device, done.recovery_codes


def next_code(device) -> str:
    """The code of the next 30-second step: accepted now (one step of tolerance) and never
    the one just used (a code is accepted once)."""
    return totp(device.bin_key, at=time.time() + 30)


def verified_login(client, user, device) -> None:
    client.force_login(user)
    client.post(reverse("account_otp_verify"), {"code": next_code(device)})


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="auth.otp").order_by("id").values_list("action", flat=True)
    )


def test_it_enrols_with_a_qr_code_made_here_and_a_first_code(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    client.force_login(lead)
    page = client.get(reverse("account_otp_enrol")).content.decode()
    assert '<svg width="' in page and "http" not in page.split('class="otp-qr"')[1].split("</div>")[0]
    secret = re.search(r'id="otp-secret"[^>]*>([^<]+)<', page).group(1)
    assert client.get(reverse("account_otp_enrol")).content.decode().count(secret) == 1  # same key on reload

    response = client.post(reverse("account_otp_enrol"), {"code": totp(key_from_secret(secret))})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == 10

    device = TOTPDevice.objects.get(user=lead)
    assert device.confirmed and StaticToken.objects.filter(device__user=lead).count() == 10
    assert actions() == ["auth.otp_enrolled"]
    assert "key" not in AuditEvent.objects.get(action="auth.otp_enrolled").details


def test_it_refuses_a_wrong_first_code_at_enrolment(client, make_user):
    client.force_login(make_user("lead", Role.SHIFT_LEADER))
    client.get(reverse("account_otp_enrol"))
    wrong = client.post(reverse("account_otp_enrol"), {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert actions() == ["auth.otp_failed"]


def test_it_asks_a_user_with_an_authenticator_for_a_code_after_the_password(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    device, _codes = enrolled(lead)
    login(client, "lead")
    assert client.get(reverse("cases:queue")).url == reverse("account_otp_verify")
    assert client.get("/api/cases/").status_code == 403

    response = client.post(reverse("account_otp_verify"), {"code": next_code(device)})
    assert response.url == reverse("cases:queue")
    assert client.get(reverse("cases:queue")).status_code == 200
    assert actions()[-1] == "auth.otp_verified"


def test_it_refuses_a_wrong_code_at_login(client, make_user):
    enrolled(make_user("lead", Role.SHIFT_LEADER))
    login(client, "lead")
    response = client.post(reverse("account_otp_verify"), {"code": "123456"})
    assert "验证码不正确" in response.content.decode()
    assert client.get(reverse("home")).url == reverse("account_otp_verify")
    event = AuditEvent.objects.get(action="auth.otp_failed")
    assert (event.actor_username, event.result) == ("lead", "failed")


def test_it_takes_each_recovery_code_once(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    _device, codes = enrolled(lead)
    login(client, "lead")
    response = client.post(reverse("account_otp_verify"), {"code": codes[0].upper()}, follow=True)
    assert "您使用恢复码登录，还剩 9 个" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.otp_recovery_code_used")
    assert (event.actor_username, event.details) == ("lead", {"recovery_codes_left": 9})

    client.post(reverse("logout"))
    login(client, "lead")
    again = client.post(reverse("account_otp_verify"), {"code": codes[0]})
    assert again.status_code == 200 and client.get(reverse("home")).url == reverse("account_otp_verify")


def test_it_throttles_wrong_codes(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    device, _codes = enrolled(lead)
    login(client, "lead")
    client.post(reverse("account_otp_verify"), {"code": "000000"})
    response = client.post(reverse("account_otp_verify"), {"code": next_code(device)})  # too soon after a failure
    assert "错误次数过多" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.otp_failed", details__throttled=True).count() == 1


def test_it_makes_a_required_role_enrol_at_login(client, make_user, settings):
    settings.OTP_REQUIRED_ROLES = ["supervisor", "security_admin"]
    make_user("boss", Role.SUPERVISOR)
    login(client, "boss")
    assert client.get(reverse("assessments:dashboard")).url == reverse("account_otp_enrol")
    page = client.get(reverse("account_otp_enrol")).content.decode()
    assert "您的角色须使用密码加手机验证码登录" in page
    secret = re.search(r'id="otp-secret"[^>]*>([^<]+)<', page).group(1)
    response = client.post(reverse("account_otp_enrol"), {"code": totp(key_from_secret(secret))})
    assert re.search(r'id="codes-continue" href="/assessments/"', response.content.decode())
    assert client.get(reverse("assessments:dashboard")).status_code == 200


def test_it_leaves_roles_that_are_not_required_free_to_log_in_without(client, make_user, settings):
    settings.OTP_REQUIRED_ROLES = ["supervisor"]
    make_user("clerk", Role.INTAKE_CLERK)
    login(client, "clerk")
    assert client.get(reverse("home")).status_code == 200


def test_it_requires_it_of_superusers_and_staff_when_named(client, make_user, settings):
    settings.OTP_REQUIRED_ROLES = ["superuser"]
    make_user("root", is_staff=True, is_superuser=True)
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert client.get(reverse("admin:index")).url == reverse("account_otp_enrol")


def test_it_refuses_to_start_with_an_unknown_role(settings):
    settings.OTP_REQUIRED_ROLES = ["supervisor", "boss"]
    with pytest.raises(ImproperlyConfigured, match="OTP_REQUIRED_ROLES names no role: boss"):
        _check_otp_roles()


def test_it_lets_a_user_remove_it_unless_the_role_requires_it(client, make_user, settings):
    lead = make_user("lead", Role.SHIFT_LEADER)
    device, _codes = enrolled(lead)
    verified_login(client, lead, device)
    settings.OTP_REQUIRED_ROLES = ["shift_leader"]
    client.post(reverse("account_otp_remove"))
    assert TOTPDevice.objects.filter(user=lead).exists()
    settings.OTP_REQUIRED_ROLES = []
    client.post(reverse("account_otp_remove"))
    assert not TOTPDevice.objects.filter(user=lead).exists()
    assert AuditEvent.objects.get(action="auth.otp_removed").details == {"by": "owner"}


def test_it_renews_the_recovery_codes(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    device, old = enrolled(lead)
    verified_login(client, lead, device)
    response = client.post(reverse("account_otp_recovery_codes"))
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert "auth.otp_recovery_codes_renewed" in actions()


def test_it_lets_the_security_administrator_remove_a_lost_phone_but_not_an_administrators(client, make_user):
    lead = make_user("lead", Role.SHIFT_LEADER)
    auditor = make_user("auditor", Role.AUDIT_ADMIN)
    lead_device, _ = enrolled(lead)
    audit_device, _ = enrolled(auditor)
    client.force_login(make_user("secadmin", Role.SECURITY_ADMIN))
    changelist = reverse("admin:accounts_twofactordevice_changelist")
    page = client.get(changelist).content.decode()
    assert lead_device.key not in page
    assert client.get(reverse("admin:accounts_twofactordevice_change", args=[lead_device.pk])).status_code == 200
    assert (
        lead_device.key
        not in client.get(reverse("admin:accounts_twofactordevice_change", args=[lead_device.pk])).content.decode()
    )

    client.post(changelist, {"action": "remove_devices", "_selected_action": [lead_device.pk, audit_device.pk]})
    assert list(TOTPDevice.objects.values_list("user__username", flat=True)) == ["auditor"]
    assert not StaticToken.objects.filter(device__user=lead).exists()
    event = AuditEvent.objects.get(action="auth.otp_removed")
    assert (event.actor_username, event.object_label, event.details) == ("secadmin", "lead", {"by": "administrator"})
