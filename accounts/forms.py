from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.roles import ADMIN_ROLES, has_role


class LoginForm(AuthenticationForm):
    pass


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login: staff, or one of the three administrator roles."""

    def confirm_login_allowed(self, user):
        if not user.is_active or not (user.is_staff or has_role(user, *ADMIN_ROLES)):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
