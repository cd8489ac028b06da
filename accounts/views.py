from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import gate
from accounts.forms import ApiTokenForm, OtpCodeForm
from accounts.models import ApiToken
from accounts.otp import (
    otp_device,
    otp_enrol_confirm,
    otp_enrol_start,
    otp_qr_svg,
    otp_recovery_codes_renew,
    otp_remove,
    otp_required,
    otp_secret,
    otp_verify,
    recovery_codes_left,
)
from accounts.passwords import password_state
from accounts.selectors import home_links
from accounts.tokens import api_token_create, api_token_revoke, api_tokens_of


@login_required
def home(request):
    from cases.inbox import inbox_counts  # what waits for the user: the inbox's sections, counted

    context = {"sections": home_links(user=request.user), "inbox": inbox_counts(user=request.user)}
    return render(request, "accounts/home.html", context)


class LogoutView(auth_views.LogoutView):
    """Log out (POST only, as in Django 5) and say so on the login page it leads to."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            # The session was flushed: the message goes into the new one.
            messages.success(request, _("You have been logged out."))
        return response


# ---- my account: password, two-factor login, API tokens ----------------------------------


@login_required
@never_cache
def account(request, *, token_form=None, new_token=None, new_key=None, codes=None, status=200):
    user = request.user
    context = {
        "password": password_state(user=user),
        "otp_device": otp_device(user),
        "otp_required": otp_required(user),
        "recovery_codes_left": recovery_codes_left(user),
        "tokens": api_tokens_of(user),
        "token_form": token_form or ApiTokenForm(),
        "new_token": new_token,
        "new_key": new_key,
        "codes": codes,
        "now": timezone.now(),
    }
    return render(request, "accounts/account.html", context, status=status)


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password change; also the step owed after a login when an administrator
    set the password or it is too old."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = password_state(user=self.request.user)
        context["forced"] = gate.PASSWORD_CHANGE in gate.steps_owed(self.request)
        context["reason"] = "set_by_administrator" if state.must_change else "expired" if state.expired() else ""
        return context

    def form_valid(self, form):
        forced = gate.PASSWORD_CHANGE in gate.steps_owed(self.request)
        super().form_valid(form)  # saves, audited as auth.password_changed; keeps this session
        messages.success(self.request, _("Your password has been changed."))
        return redirect(gate.step_done(self.request, gate.PASSWORD_CHANGE) if forced else self.success_url)


@login_required
@never_cache
def otp_verify_view(request):
    """The second step of a login for a user with an authenticator."""
    if gate.OTP_VERIFY not in gate.steps_owed(request):
        return redirect("home")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = otp_verify(user=request.user, token=form.cleaned_data["code"], request=request)
        if result.ok:
            if result.method == "recovery_code":
                left = recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _("You logged in with a recovery code; %(left)d left. Make new ones under “My account”.")
                    % {"left": left},
                )
            return redirect(gate.step_done(request, gate.OTP_VERIFY))
        if result.wait_until is not None:
            form.add_error(
                "code",
                _("Too many wrong codes: try again after %(time)s.")
                % {"time": f"{timezone.localtime(result.wait_until):%H:%M:%S}"},
            )
        else:
            form.add_error(
                "code", _("This code is not right. Use the six digits your app shows now, or a recovery code.")
            )
    return render(request, "accounts/otp_verify.html", {"form": form})


@login_required
@never_cache
def otp_enrol_view(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code."""
    if gate.OTP_VERIFY in gate.steps_owed(request):
        return redirect("account_otp_verify")
    device = otp_enrol_start(user=request.user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolled = otp_enrol_confirm(user=request.user, token=form.cleaned_data["code"], request=request)
        if enrolled is not None:
            forced = gate.OTP_ENROL in gate.steps_owed(request)
            next_url = gate.step_done(request, gate.OTP_ENROL) if forced else None
            messages.success(request, _("Two-factor login is on for your account."))
            return render(
                request, "accounts/recovery_codes.html", {"codes": enrolled.recovery_codes, "next_url": next_url}
            )
        form.add_error("code", _("This code is not right. Check the time on your phone and use the newest code."))
    context = {
        "form": form,
        "qr_svg": otp_qr_svg(device),
        "secret": otp_secret(device),
        "forced": gate.OTP_ENROL in gate.steps_owed(request),
        "replacing": otp_device(request.user) is not None,
    }
    return render(request, "accounts/otp_enrol.html", context)


@login_required
@never_cache
@require_POST
def otp_recovery_codes_view(request):
    if otp_device(request.user) is None:
        return redirect("account")
    codes = otp_recovery_codes_renew(user=request.user, request=request)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next_url": None})


@login_required
@require_POST
def otp_remove_view(request):
    if otp_required(request.user):
        messages.error(request, _("Your role must log in with a second factor: set up a new app instead."))
    elif otp_remove(user=request.user, actor=request.user, request=request):
        messages.success(request, _("Two-factor login is off for your account."))
    return redirect("account")


@login_required
@never_cache
@require_POST
def token_create_view(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = api_token_create(user=request.user, name=form.cleaned_data["name"], request=request)
        except ValidationError as error:
            form.add_error("name", error)
        else:
            return account(request, new_token=token, new_key=key)
    return account(request, token_form=form, status=400)


@login_required
@require_POST
def token_revoke_view(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token, actor=request.user, request=request)
    messages.success(request, _("The token of “%(device)s” has been revoked.") % {"device": token.name})
    return redirect("account")
