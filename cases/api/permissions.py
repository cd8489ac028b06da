"""Who may use the cases API at all: someone logged in who holds a role of the product.
What they may see and do is decided below the API (cases.scope, cases.services)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.roles import user_roles


class HasRole(permissions.BasePermission):
    """Someone logged in but holding no role of the product sees and does nothing here."""

    message = _("Your account has no role in this system; ask an administrator for one.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(user_roles(request.user))


PERMISSIONS = [permissions.IsAuthenticated, HasRole]
