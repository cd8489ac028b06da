"""The roles of the product (DESIGN.md §1), stored as Django groups named by code."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INTAKE_CLERK = "intake_clerk", _("Intake clerk")
    SHIFT_LEADER = "shift_leader", _("Shift leader")
    DISPATCHER = "dispatcher", _("Dispatcher")
    GRID_CHIEF = "grid_chief", _("Grid chief")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    INSPECTOR = "inspector", _("Inspector")
    SUPERVISOR = "supervisor", _("Supervisor")


# The command center (指挥中心): the roles at its desks.
CENTRE = frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEADER, Role.DISPATCHER})


def user_roles(user) -> list[Role]:
    """The roles a user holds, in the order of Role; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [role for role in Role if role.value in names]
        user._roles_cache = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(set(user_roles(user)) & set(roles))
