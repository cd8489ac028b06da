"""The roles of the product (DESIGN.md §1), stored as Django groups named by code.

Besides the people who work on cases, three administrators split the keys of the system
between them (三员分立): the system administrator (territory, catalogue, settings), the
security administrator (users, roles, lockouts, API tokens) and the audit administrator (reads
the audit log, nothing else). What each may do in the admin is declared in
ADMIN_ROLE_PERMISSIONS and applied to their groups after every migrate; accounts.admin keeps
anyone from holding two of them or from handing them out.
"""

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
    PLACE_CHIEF = "place_chief", _("Place chief")  # 三长 (street, shop, lane chiefs) and road chiefs 路长
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
ALL = ("add", "change", "delete", "view")

# "app_label.model": the actions on it. Nothing here touches the audit log except the audit
# administrator's view; nothing of the audit administrator's changes anything.
ADMIN_ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.SYSTEM_ADMIN: {
        "grids.grid": ALL,
        "grids.place": ALL,
        "grids.person": ALL,
        "grids.importjob": ("view",),
        "grids.commandcenter": ALL,
        "grids.road": ALL,
        "grids.roadsegment": ALL,
        "grids.regionclass": ALL,
        "cases.department": ALL,
        "cases.majorcategory": ALL,
        "cases.category": ALL,
        "cases.categoryclasslimit": ALL,
        "cases.calendarday": ALL,
        "cases.patrol": ALL,
        "cases.supervisionorder": ("view",),
        "assessments.assessmentsettings": ("add", "change", "view"),
        "open311.apikey": ("add", "change", "view"),
        "assets.asset": ALL,
        "assets.importjob": ("view",),
        "assets.census": ALL,
        "assets.censusfinding": ("view",),
        "devices.integration": ("add", "change", "view"),
        "devices.device": ("add", "change", "view"),
        "devices.eventtype": ALL,
        "devices.alert": ("view",),
        "campaigns.campaign": ALL,
        "campaigns.campaigntarget": ALL,
        "exchange.upstreamsystem": ("add", "change", "view"),
        "exchange.externalorder": ("view",),
        "gazetteer.entry": ALL,
        "gazetteer.importjob": ("view",),
        "auth.user": ("view",),  # to link a chief or a department member to a login
    },
    Role.SECURITY_ADMIN: {
        "auth.user": ("add", "change", "view"),  # no delete: disable an account instead, its traces stay
        "auth.group": ALL,
        "auth.permission": ("view",),
        "axes.accessattempt": ("view", "delete"),  # lockouts, and unlocking
        "accounts.apitoken": ("view", "delete"),  # see and revoke; owners make their own
        "accounts.twofactordevice": ("view", "delete"),  # who has two-factor login; remove a lost phone's
    },
    Role.AUDIT_ADMIN: {
        "audit.auditevent": ("view",),
    },
}


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
