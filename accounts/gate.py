"""What a session must do before it may use the product, and how long it lives.

At each login (any login: the site's form, the admin's) the steps still owed are worked out
once and kept in the session, in this order:

1. "otp_verify": the user has an authenticator, so a code from it (or a recovery code);
2. "password_change": the password was set by an administrator, or is older than
   PASSWORD_MAX_AGE_DAYS;
3. "otp_enrol": the user's role must log in with a second factor (OTP_REQUIRED_ROLES) and
   has no authenticator yet.

Until they are done SecurityGateMiddleware lets the session reach only the page of the next
step, logging out and the language switch; the API answers 403. It also ends a session idle
for SESSION_IDLE_MINUTES or older than SESSION_COOKIE_AGE since its login. Reading the steps
from the session (not the database) keeps every request's queries as they were.

With DEBUG on, the demo logins (seed_demo's) owe no password step: their password is
published and `make run` must keep them working; with DEBUG off they cannot log in with it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.otp import otp_device, otp_required
from accounts.passwords import password_state
from audit.services import audit_record

STEPS = "security_steps"
AUTH_AT = "security_auth_at"
SEEN_AT = "security_seen_at"
NEXT = "security_next"
OTP_VERIFY, PASSWORD_CHANGE, OTP_ENROL = "otp_verify", "password_change", "otp_enrol"
STEP_URLS = {OTP_VERIFY: "account_otp_verify", PASSWORD_CHANGE: "account_password", OTP_ENROL: "account_otp_enrol"}
SEEN_EVERY = 60  # seconds: the idle clock is written at most this often (one session save)
WARN_DAYS = 7  # a password expiring within this many days is announced at login


def login_steps(*, user) -> list[str]:
    steps = []
    if otp_device(user) is not None:
        steps.append(OTP_VERIFY)
    if not _demo_login(user):
        state = password_state(user=user)
        if state.must_change or state.expired():
            steps.append(PASSWORD_CHANGE)
    if otp_required(user) and OTP_VERIFY not in steps:
        steps.append(OTP_ENROL)
    return steps


def _demo_login(user) -> bool:
    if not settings.DEBUG:
        return False
    from accounts.security import demo_credentials

    return user.get_username() in demo_credentials()[1]


def on_login(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_in: start the session's clocks and note the steps it owes."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[AUTH_AT] = request.session[SEEN_AT] = now
    request.session.pop(NEXT, None)
    steps = login_steps(user=user)
    if steps:
        request.session[STEPS] = steps
    else:
        request.session.pop(STEPS, None)
    if PASSWORD_CHANGE not in steps and not _demo_login(user):
        _warn_if_expiring(request, user)


def _warn_if_expiring(request: HttpRequest, user) -> None:
    expires_at = password_state(user=user).expires_at
    if expires_at is None:
        return
    days = (expires_at - timezone.now()).days
    if days < WARN_DAYS and hasattr(request, "_messages"):
        messages.warning(
            request,
            ngettext(
                "Your password expires in %(days)d day: change it under “My account”.",
                "Your password expires in %(days)d days: change it under “My account”.",
                days,
            )
            % {"days": days},
        )


def step_done(request: HttpRequest, step: str) -> str:
    """Mark a step done; the URL to go on to (the next step, or where the login was going)."""
    steps = [s for s in request.session.get(STEPS, []) if s != step]
    if steps:
        request.session[STEPS] = steps
        return reverse(STEP_URLS[steps[0]])
    request.session.pop(STEPS, None)
    going = request.session.pop(NEXT, None)
    # A path of this site, not "//elsewhere" (a request for http://host//elsewhere has that path).
    if going and url_has_allowed_host_and_scheme(going, allowed_hosts={request.get_host()}, require_https=False):
        return going
    return reverse(settings.LOGIN_REDIRECT_URL)


def steps_owed(request: HttpRequest) -> list[str]:
    return list(request.session.get(STEPS, []))


class SecurityGateMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if SESSION_KEY in request.session and request.user.is_authenticated:
            self._clocks(request)
            steps = request.session.get(STEPS) if request.user.is_authenticated else None
            if steps:
                blocked = self._blocked(request, steps[0])
                if blocked is not None:
                    return blocked
        return self.get_response(request)

    # ---- the session's clocks ---------------------------------------------------------

    def _clocks(self, request: HttpRequest) -> None:
        now = int(time.time())
        session = request.session
        auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
        if auth_at is None or seen_at is None:  # a session from before these clocks
            session[AUTH_AT] = session[SEEN_AT] = now
            return
        idle = settings.SESSION_IDLE_MINUTES * 60
        if now - seen_at > idle:
            self._expire(request, "idle", now - seen_at)
        elif now - auth_at > settings.SESSION_COOKIE_AGE:
            self._expire(request, "lifetime", now - auth_at)
        elif now - seen_at >= SEEN_EVERY:
            session[SEEN_AT] = now

    @staticmethod
    def _expire(request: HttpRequest, reason: str, seconds: int) -> None:
        user = request.user
        audit_record(
            action="auth.session_expired", actor=user, request=request, obj=user,
            details={"reason": reason, "minutes": seconds // 60},
        )  # fmt: skip
        # Not auth.logout(): nobody logged out, and the audit row above says what happened.
        request.session.flush()
        request.user = AnonymousUser()
        if reason == "idle":
            text = _("You were logged out after %(minutes)d minutes without activity. Please log in again.") % {
                "minutes": settings.SESSION_IDLE_MINUTES
            }
        else:
            text = _("Your session reached its maximum length. Please log in again.")
        messages.info(request, text)

    # ---- the steps ----------------------------------------------------------------------

    @staticmethod
    def _blocked(request: HttpRequest, step: str):
        target = reverse(STEP_URLS[step])
        path = request.path_info
        if path == target or path in (reverse("logout"), reverse("set_language")):
            return None
        if path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "login_incomplete", "message": _("Finish logging in on the website first."),
                           "fields": {}}},
                status=403,
            )  # fmt: skip
        if request.method == "GET" and NEXT not in request.session:
            request.session[NEXT] = request.get_full_path()  # where the login was going: after the steps
        return redirect(target)
