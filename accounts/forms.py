from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.roles import ADMIN_ROLES, has_role
from accounts.security import is_demo_password
from audit.models import Result
from audit.services import audit_record


class RefuseDemoPasswordMixin:
    """With DEBUG off, an account that still has the published demo password does not log in."""

    demo_password_message = _(
        "This account still has the published demo password, which cannot log in on a production "
        "system. Ask the security administrator to set a new password."
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password") or ""
        if not settings.DEBUG and self.user_cache is not None and password and is_demo_password(password):
            audit_record(
                action="auth.login_refused",
                actor=self.user_cache,
                request=self.request,
                obj=self.user_cache,
                result=Result.DENIED,
                details={"reason": "demo_password"},
            )
            raise ValidationError(self.demo_password_message, code="demo_password")
        return cleaned


class LoginForm(RefuseDemoPasswordMixin, AuthenticationForm):
    pass


class AdminLoginForm(RefuseDemoPasswordMixin, AdminAuthenticationForm):
    """The admin's login: staff, or one of the three administrator roles."""

    def confirm_login_allowed(self, user):
        if not user.is_active or not (user.is_staff or has_role(user, *ADMIN_ROLES)):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Device"),
        max_length=64,
        help_text=_("What the token is for, e.g. “inspection phone 3” or “12345 hotline gateway”."),
    )
