"""Writes of the accounts app: the role groups and what the administrator roles may do."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from accounts.roles import ADMIN_ROLE_PERMISSIONS, Role


def admin_role_permissions(role: Role) -> list[Permission]:
    wanted = Q(pk__in=[])
    for label, actions in ADMIN_ROLE_PERMISSIONS.get(role, {}).items():
        app_label, model = label.split(".")
        codenames = [f"{action}_{model}" for action in actions]
        wanted |= Q(content_type__app_label=app_label, content_type__model=model, codename__in=codenames)
    return list(Permission.objects.filter(wanted))


def roles_sync(**kwargs) -> None:
    """A group per role; the administrator roles hold exactly their declared permissions.

    Connected to post_migrate: permissions exist only once every app's own post_migrate has
    made them, so they are made here first (create_permissions is idempotent)."""
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        if role in ADMIN_ROLE_PERMISSIONS:
            wanted = set(admin_role_permissions(role))
            held = set(group.permissions.all())
            if wanted != held:
                group.permissions.remove(*(held - wanted))
                group.permissions.add(*(wanted - held))
