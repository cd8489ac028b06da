from django.contrib import admin

from accounts.forms import AdminLoginForm
from accounts.roles import ADMIN_ROLES, has_role


class CityAdminSite(admin.AdminSite):
    """The admin opens to staff and to the three administrator roles; what each then sees
    follows its permissions (accounts.roles.ADMIN_ROLE_PERMISSIONS)."""

    login_form = AdminLoginForm

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or has_role(user, *ADMIN_ROLES))
