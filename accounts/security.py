"""What production refuses: the published demo password (seed_demo's) on any account."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.db.models import Q
from django.utils.crypto import constant_time_compare

from accounts.roles import ADMIN_ROLES

# The demo's published password and its usernames. They are known to anyone who read the README,
# so production refuses them; the demo app (installed only for development) takes them from here.
DEMO_PASSWORD = "demo-2026"  # noqa: S105
DEMO_USERNAMES = (
    "intake", "shiftlead", "dispatcher", "chief_large", "chief_community", "chief_micro", "handler",
    "inspector", "supervisor", "admin", "sysadmin", "secadmin", "auditadmin", "street_chief", "shop_chief",
    "lane_chief", "road_chief", "town_operator",
)  # fmt: skip


def demo_credentials() -> tuple[str, list[str]]:
    """The demo password and the demo usernames."""
    return DEMO_PASSWORD, list(DEMO_USERNAMES)


def is_demo_password(raw_password: str) -> bool:
    return constant_time_compare(raw_password, demo_credentials()[0])


def accounts_with_demo_password() -> list[str]:
    """Active accounts that still have the demo password, among the demo logins and every
    privileged account (superusers, staff, the administrator roles). Checking a password hash
    is slow on purpose, so each distinct hash is checked once: the demo seeding gives all its
    logins the same one. (Any account is refused at login anyway, where the password is known.)"""
    password, usernames = demo_credentials()
    candidates = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(username__in=usernames)
            | Q(is_superuser=True)
            | Q(is_staff=True)
            | Q(groups__name__in=[role.value for role in ADMIN_ROLES])
        )
        .distinct()
        .values_list("username", "password")
    )
    by_hash: dict[str, list[str]] = {}
    for username, encoded in candidates:
        by_hash.setdefault(encoded, []).append(username)
    found = []
    for encoded, names in by_hash.items():
        if encoded and check_password(password, encoded):
            found += names
    return sorted(found)
