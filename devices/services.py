"""Writes of the devices app: keys, devices, and alerts turned into cases.

An alert (devices.services.alert_receive) is taken in for a device its key may speak for, and
becomes a case through the one case service (cases.services): the first alert of a device and
event type opens a case (source camera) at the device, with the snapshot as its photo; further
alerts of that device and type within the event type's window join that case while it is open.
An alert at least as confident as its event type's threshold files the case at once (the
action `file`, by the auto-filing account, as the case's history shows); a less confident one
leaves it at intake, waiting for a person (the alert queue: devices.views), who files it or
rejects it as a false alarm, again through cases.services.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.machines import AUTOFILER
from accounts.roles import Role
from audit.services import audit_record
from cases.models import TERMINAL, CasePhoto, PhotoKind, Source, Status
from cases.photos import PhotoError, case_photo_add, photo_check
from cases.services import case_report, case_transition
from config.errors import ApplicationError
from devices.models import Alert, Device, EventType, Integration, Outcome, key_hash
from grids.selectors import grid_at_point

# The account that files the confident alerts' cases: no password, cannot log in; it holds the
# intake clerk's role so that the case service lets it file, and its name is in the history.
FUTURE_SLACK = datetime.timedelta(minutes=5)  # a device clock a little ahead is tolerated


class AlertRefused(ApplicationError):
    """An alert that cannot be taken (bad input: 400)."""


class AlertNotPermitted(ApplicationError):
    """This key may not speak for that device (403), whether the device exists or not."""

    status_code = 403
    code = "not_permitted"


Credential = Integration | Device


# ---- keys ------------------------------------------------------------------------------


def key_issue(*, holder: Credential, actor=None) -> str:
    """A new key for an integration or a device (replacing any earlier one); returns the key,
    which is not stored (only its hash): shown once. Audited."""
    key = secrets.token_urlsafe(30)  # 40 characters
    type(holder).objects.filter(pk=holder.pk).update(prefix=key[:8], key_hash=key_hash(key))
    holder.prefix, holder.key_hash = key[:8], key_hash(key)
    audit_record(action="devices.key_issued", actor=actor, obj=holder, details={"prefix": holder.prefix})
    return key


def credential_for_key(key: str) -> Credential | None:
    """The active integration or device this key belongs to, or None."""
    if not key:
        return None
    digest = key_hash(key)
    holder = Integration.objects.filter(key_hash=digest, active=True).first()
    if holder is None:
        holder = Device.objects.filter(key_hash=digest, active=True).first()
    if isinstance(holder, Integration):
        Integration.objects.filter(pk=holder.pk).update(last_used_at=timezone.now())
    return holder


def may_speak_for(credential: Credential, device: Device) -> bool:
    """A device's own key speaks for it; an integration's for the devices connected through it."""
    if isinstance(credential, Device):
        return credential.pk == device.pk
    return device.integration_id == credential.pk


def device_for(*, credential: Credential, device_code: str) -> Device:
    """The active device `credential` may post for; AlertNotPermitted otherwise (an unknown device
    alike: a key learns nothing about devices it may not speak for)."""
    device = Device.objects.filter(code=str(device_code or "")).first()
    if device is None or not may_speak_for(credential, device):
        raise AlertNotPermitted(_("This key may not post alerts for device %(code)r.") % {"code": device_code})
    if not device.active:
        raise AlertNotPermitted(_("Device %(code)s is switched off in the registry.") % {"code": device.code})
    return device


# ---- devices ------------------------------------------------------------------------------


def device_location_problem(*, device: Device) -> str | None:
    """Why a device's location will not do (outside the city's grids), or None."""
    if device.location is not None and not grid_at_point(point=device.location).inside:
        return _("lies outside the city's grids")
    return None


def device_save(*, device: Device) -> Device:
    """Save a device edited by hand: its micro grid from its location, which must be in the city."""
    if problem := device_location_problem(device=device):
        raise ValidationError({"location": problem})
    if device.location is not None:
        device.micro_grid = grid_at_point(point=device.location).micro
    device.full_clean()
    device.save()
    return device


def autofiler():
    """The account that files confident alerts (made on first use)."""
    User = get_user_model()
    user = User.objects.filter(username=AUTOFILER).first()
    if user is None:
        with translation.override(settings.LANGUAGE_CODE):
            name = _("Device alerts (automatic filing)")
        user = User(username=AUTOFILER, first_name=name[:150], is_active=False)
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name=Role.INTAKE_CLERK)[0])
    return user


# ---- alerts ----------------------------------------------------------------------------------


def _confidence(value) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(1):
        message = _("confidence must be a number from 0 to 1.")
        raise AlertRefused(message, fields={"confidence": [message]})
    return number.quantize(Decimal("0.001"))


def alert_receive(
    *,
    credential: Credential,
    device_code: str,
    event_type_code: str,
    confidence,
    occurred_at: datetime.datetime | None = None,
    snapshot: bytes | None = None,
    alert_id: str = "",
    now: datetime.datetime | None = None,
) -> tuple[Alert, bool]:
    """Take in one alert; returns (the alert, whether it is new). Raises AlertNotPermitted or
    AlertRefused with nothing stored.

    The same `alert_id` from the same device again gives the first alert back (False).
    """
    device = device_for(credential=credential, device_code=device_code)  # scope first
    now = now or timezone.now()
    alert_id = (alert_id or "").strip()[:64]
    if alert_id and (earlier := Alert.objects.filter(device=device, alert_id=alert_id).first()):
        return earlier, False
    event_type = EventType.objects.select_related("category").filter(code=event_type_code, active=True).first()
    if event_type is None:
        message = _("Unknown event type %(code)r.") % {"code": event_type_code}
        raise AlertRefused(message, fields={"event_type": [message]})
    confidence = _confidence(confidence)
    occurred_at = occurred_at or now
    if timezone.is_naive(occurred_at):
        raise AlertRefused(
            _("occurred_at needs a time zone."), fields={"occurred_at": [_("occurred_at needs a time zone.")]}
        )
    if occurred_at > now + FUTURE_SLACK:
        message = _("occurred_at is in the future.")
        raise AlertRefused(message, fields={"occurred_at": [message]})
    checked = None
    if snapshot is not None:
        try:
            checked = photo_check(BytesIO(snapshot))
        except PhotoError as exc:
            raise AlertRefused(exc.message, fields={"snapshot": [exc.message]}) from None

    confident = confidence >= event_type.threshold
    window = datetime.timedelta(minutes=event_type.merge_minutes)
    with transaction.atomic():
        # One alert of a device at a time: the decision to merge is taken once.
        Device.objects.select_for_update().filter(pk=device.pk).first()
        if alert_id and (earlier := Alert.objects.filter(device=device, alert_id=alert_id).first()):
            return earlier, False
        joined = (
            Alert.objects.filter(
                device=device, event_type=event_type, occurred_at__range=(occurred_at - window, occurred_at + window)
            )
            .exclude(case__status__in=TERMINAL)
            .select_related("case")
            .order_by("-occurred_at", "-id")
            .first()
        )
        alert = Alert(
            device=device, event_type=event_type, alert_id=alert_id, occurred_at=occurred_at, received_at=now,
            confidence=confidence,
        )  # fmt: skip
        note = _auto_note(event_type, confidence)
        if joined is not None:
            case = joined.case
            alert.case, alert.outcome = case, Outcome.MERGED
            if checked is not None:
                alert.photo = case_photo_add(
                    case=case, file=BytesIO(snapshot), kind=PhotoKind.BEFORE, now=now, checked=checked
                )
            if confident and case.status == Status.REPORTED:
                case_transition(case_id=case.pk, action="file", actor=autofiler(), note=note, now=now,
                                **({} if case.category_id else {"category": event_type.category}))  # fmt: skip
                alert.auto_filed = True
        else:
            with translation.override(settings.LANGUAGE_CODE):
                description = _("%(event)s reported by %(device)s (%(code)s), confidence %(confidence)s.") % {
                    "event": event_type.name, "device": device.name, "code": device.code, "confidence": confidence,
                }  # fmt: skip
            case = case_report(
                source=Source.CAMERA,
                point=device.location,
                category=event_type.category,
                description=description,
                now=now,
                photos=[BytesIO(snapshot)] if snapshot is not None else (),
            )
            alert.case = case
            if checked is not None:
                alert.photo = CasePhoto.objects.filter(case=case, sha256=checked.sha256).first()
            if confident:
                case_transition(case_id=case.pk, action="file", actor=autofiler(), note=note, now=now)
                alert.outcome, alert.auto_filed = Outcome.FILED, True
            else:
                alert.outcome = Outcome.HELD
        alert.save()
        Device.objects.filter(pk=device.pk).update(last_alert_at=now)
    return alert, True


def _auto_note(event_type: EventType, confidence: Decimal) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Filed automatically: confidence %(confidence)s, threshold %(threshold)s.") % {
            "confidence": confidence,
            "threshold": event_type.threshold,
        }


def alert_review(*, alert: Alert, decision: str, actor, note: str = "") -> None:
    """A person's look at an alert waiting at intake: "file" (a real problem) or "false_alarm"
    (the case is not accepted). Through the case service, with its roles, scope and rules."""
    case = alert.case
    if decision == "file":
        params = {} if case.category_id else {"category": alert.event_type.category}
        case_transition(
            case_id=case.pk, action="file", actor=actor, note=note, expected_status=Status.REPORTED, **params
        )
    elif decision == "false_alarm":
        reason = note.strip() or _("False alarm of device %(code)s.") % {"code": alert.device.code}
        case_transition(case_id=case.pk, action="reject", actor=actor, note=reason, expected_status=Status.REPORTED)
    else:
        raise AlertRefused(_("Unknown decision %(decision)r.") % {"decision": decision})
