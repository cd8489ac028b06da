"""`{% if user|may_assess %}`: whether the navigation offers the assessment dashboard."""

from django import template

from accounts.roles import Role, user_roles
from cases.scope import SEES_ALL

register = template.Library()

MAY_ASSESS = SEES_ALL | {Role.GRID_CHIEF, Role.DEPARTMENT_HANDLER}


@register.filter
def may_assess(user) -> bool:
    """The roles the dashboard answers (assessments.params.scope_for); it still checks the scope."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or set(user_roles(user)) & MAY_ASSESS)
