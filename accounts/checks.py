"""System checks: production must not run with accounts that have the demo password nor without
the site's address (SITE_URL, for links in e-mails), and `check --deploy` warns of the login rules of 等保 2.0 turned off.

The check reads the database, so like Django's own database checks it runs when a database
is named: `manage.py migrate`, and `manage.py check --database default`, which the web
service runs before it starts (deploy/systemd/citydispatch-web.service).
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError


@register(Tags.security, Tags.database)
def demo_passwords_check(app_configs=None, databases=None, **kwargs):
    if settings.DEBUG or not databases or "default" not in databases:
        return []
    from accounts.security import accounts_with_demo_password

    try:
        accounts = accounts_with_demo_password()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if not accounts:
        return []
    return [
        Error(
            f"With DEBUG off, these accounts still have the published demo password: {', '.join(accounts)}.",
            hint="Give each a new password (manage.py changepassword USERNAME) or deactivate it; "
            "demo accounts (seed_demo) belong on development machines only.",
            id="accounts.E001",
        )
    ]


@register(Tags.security)
def site_url_check(app_configs=None, **kwargs):
    """Links in e-mails are absolute (a department's mail reader has no "current site"): with DEBUG
    off the site's address must be set."""
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        Error(
            "With DEBUG off, SITE_URL is required: the address people reach the site at, for the links in e-mails.",
            hint="Set SITE_URL, e.g. SITE_URL=https://grid.example.gov.cn (deploy/env.example).",
            id="accounts.E002",
        )
    ]


@register(Tags.security, deploy=True)
def login_rules_check(app_configs=None, **kwargs):
    found = []
    if not settings.OTP_REQUIRED_ROLES:
        found.append(
            Warning(
                "Two-factor login is required of nobody (OTP_REQUIRED_ROLES=none).",
                hint="A level-3 system logs its administrators in with two factors: leave OTP_REQUIRED_ROLES unset "
                "(every privileged role) or name the roles.",
                id="accounts.W001",
            )
        )
    if not settings.PASSWORD_MAX_AGE_DAYS:
        found.append(
            Warning(
                "Passwords never expire (PASSWORD_MAX_AGE_DAYS=0).",
                hint="Leave PASSWORD_MAX_AGE_DAYS unset (90 days) or set the period your assessment asks for.",
                id="accounts.W002",
            )
        )
    return found
