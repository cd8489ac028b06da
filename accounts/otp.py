"""Two-factor login with a time-based one-time password (TOTP, RFC 6238: any authenticator
app) and recovery codes, on django-otp's devices.

A user has at most one TOTP device and one set of recovery codes (a django-otp StaticDevice).
Enrolment makes an unconfirmed device, shows its key as a QR code, and confirms it with a
first code from the app; the recovery codes are made then and shown once. Every enrolment,
removal, renewal of the codes, use of a recovery code and wrong code is in the audit log.
django-otp throttles wrong codes per device (1, 2, 4, 8 … seconds between tries).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import has_role
from audit.models import Result
from audit.services import audit_record

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


# ---- reading ------------------------------------------------------------------------------


def otp_required(user) -> bool:
    """Must this user log in with a second factor (OTP_REQUIRED_ROLES: role codes, and
    "superuser" and "staff" for those flags)?"""
    wanted = set(settings.OTP_REQUIRED_ROLES)
    if not wanted or not user.is_authenticated:
        return False
    if ("superuser" in wanted and user.is_superuser) or ("staff" in wanted and user.is_staff):
        return True
    return has_role(user, *(role for role in wanted if role not in ("superuser", "staff")))


def otp_device(user) -> TOTPDevice | None:
    """The user's confirmed authenticator, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def otp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it when typed (base32, in groups of four)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def otp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as a QR code: an inline SVG made here (no image service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff")


# ---- writing ------------------------------------------------------------------------------


def otp_enrol_start(*, user) -> TOTPDevice:
    """The device being enrolled: an unconfirmed one, made once and kept until confirmed, so
    that reloading the page does not change the QR code the user may already have scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


def otp_enrol_confirm(*, user, token: str, request: HttpRequest | None = None) -> Enrolled | None:
    """Confirm the device being enrolled with a code from the app. It then replaces any
    earlier authenticator, and a new set of recovery codes replaces any earlier one. None if
    the code is wrong (or no enrolment is under way)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
        if device is None or not device.verify_token(_digits(token)):
            if device is not None:
                audit_record(
                    action="auth.otp_failed", actor=user, request=request, obj=user, result=Result.FAILED,
                    details={"step": "enrol"},
                )  # fmt: skip
            return None
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_record(
            action="auth.otp_enrolled", actor=user, request=request, obj=user,
            details={"device": "totp", "replaced": bool(replaced), "recovery_codes": len(codes)},
        )  # fmt: skip
    return Enrolled(device, codes)


def otp_recovery_codes_renew(*, user, request: HttpRequest | None = None) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(
            action="auth.otp_recovery_codes_renewed", actor=user, request=request, obj=user,
            details={"recovery_codes": len(codes)},
        )  # fmt: skip
    return codes


def otp_remove(*, user, actor, request: HttpRequest | None = None) -> bool:
    """Remove the user's authenticator and recovery codes (the user's own choice, or the
    security administrator's for a lost phone). False if there was nothing to remove."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        if not removed:
            return False
        audit_record(
            action="auth.otp_removed", actor=actor, request=request, obj=user,
            details={"by": "owner" if actor is not None and actor.pk == user.pk else "administrator"},
        )  # fmt: skip
    return True


@dataclass(frozen=True)
class Verification:
    ok: bool
    method: str = ""  # "totp" or "recovery_code"
    wait_until: object = None  # when throttled: the moment another try is allowed


def otp_verify(*, user, token: str, request: HttpRequest | None = None) -> Verification:
    """Check a code at login: six digits from the authenticator, or one of the recovery codes
    (used up by this). Audited either way."""
    token = token.strip()
    digits = _digits(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is not None and digits.isdigit() and len(digits) == device.digits:
            allowed, why = device.verify_is_allowed()
            if device.verify_token(digits):
                audit_record(
                    action="auth.otp_verified", actor=user, request=request, obj=user, details={"method": "totp"}
                )
                return Verification(True, "totp")
            wait = (why or {}).get("locked_until") if not allowed else None
            _failed(user, request, "totp", throttled=not allowed)
            return Verification(False, "totp", wait)
        codes = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        code = token.replace(" ", "").replace("-", "").lower()
        if codes is not None and code:
            allowed, why = codes.verify_is_allowed()
            if codes.verify_token(code):
                audit_record(
                    action="auth.otp_recovery_code_used", actor=user, request=request, obj=user,
                    details={"recovery_codes_left": codes.token_set.count()},
                )  # fmt: skip
                return Verification(True, "recovery_code")
            wait = (why or {}).get("locked_until") if not allowed else None
            _failed(user, request, "recovery_code", throttled=not allowed)
            return Verification(False, "recovery_code", wait)
        _failed(user, request, "totp", throttled=False)
    return Verification(False)


def _failed(user, request, method: str, *, throttled: bool) -> None:
    audit_record(
        action="auth.otp_failed", actor=user, request=request, obj=user, result=Result.FAILED,
        details={"step": "login", "method": method, **({"throttled": True} if throttled else {})},
    )  # fmt: skip


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _digits(token: str) -> str:
    return "".join(token.split())
