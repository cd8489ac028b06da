"""Lockouts after failed logins (django-axes counts them): until when, the page saying so,
and unlocking by a security administrator.

Axes keeps one AccessAttempt row per (username, address, user agent) with its failure count
and last failure; an account is locked while its rows within the cool-off hold
LOGIN_FAILURE_LIMIT failures, and an address likewise. The lock lifts LOGIN_LOCKOUT_MINUTES
after the last failure (a failure during the lock extends it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import ObjectRef, audit_record


@dataclass(frozen=True)
class Lockout:
    scope: str  # "account" or "address"
    until: dt.datetime


def cool_off() -> dt.timedelta:
    return dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lockouts_for(*, username: str | None, ip_address: str | None, now: dt.datetime | None = None) -> list[Lockout]:
    """The locks that hold now on this account and on this address, with when each lifts."""
    now = now or timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
    found = []
    for scope, value, field in (("account", username, "username"), ("address", ip_address, "ip_address")):
        if not value:
            continue
        seen = recent.filter(**{field: value}).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (seen["failures"] or 0) >= settings.LOGIN_FAILURE_LIMIT:
            found.append(Lockout(scope, seen["last"] + cool_off()))
    return found


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M}" if local.date() == timezone.localdate() else f"{local:%Y-%m-%d %H:%M}"


def lockout_message(*, username: str | None, ip_address: str | None) -> str:
    locks = lockouts_for(username=username, ip_address=ip_address)
    if not locks:
        return _("Too many failed logins. Try again in %(minutes)d minutes.") % {
            "minutes": settings.LOGIN_LOCKOUT_MINUTES
        }
    lock = max(locks, key=lambda lock: lock.until)
    if lock.scope == "account":
        text = _("Too many failed logins: this account is locked until %(time)s.")
    else:
        text = _("Too many failed logins from this address: logging in from it is blocked until %(time)s.")
    return " ".join([text % {"time": _when(lock.until)}, _("A security administrator can unlock it sooner.")])


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page (the site's or the admin's) that was about to be
    shown, its error replaced by when the lock lifts; 429 Too Many Requests."""
    message = lockout_message(
        username=get_client_username(request, credentials), ip_address=getattr(request, "axes_ip_address", None)
    )
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is None or not isinstance(original_response, TemplateResponse):
        return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    form.errors[NON_FIELD_ERRORS] = form.error_class([message])
    response = TemplateResponse(request, original_response.template_name, context, status=429)
    return response.render()


def lockout_release(*, attempts: QuerySet[AccessAttempt], by: str, actor, request: HttpRequest | None = None) -> int:
    """Unlock the accounts (by="username") or the addresses (by="ip_address") of these attempt
    rows: forget every failure counted against them. One audit row per account or address."""
    if by not in ("username", "ip_address"):
        raise ValueError(f"by must be 'username' or 'ip_address', got {by!r}")
    from django.contrib.auth import get_user_model

    values = sorted({value for value in attempts.values_list(by, flat=True) if value})
    count = 0
    with transaction.atomic():
        for value in values:
            deleted, _rows = AccessAttempt.objects.filter(**{by: value}).delete()
            count += deleted
            user = get_user_model().objects.filter(username=value).first() if by == "username" else None
            audit_record(
                action="auth.unlock",
                actor=actor,
                request=request,
                obj=user or ObjectRef("axes.accessattempt", "", value),
                details={by: value, "attempts_cleared": deleted},
            )
    return len(values)
