from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks  # noqa: F401 (registers the system checks)
        from accounts.gate import on_login
        from accounts.services import roles_sync

        _check_otp_roles()
        # post_migrate is sent per app with models; the role groups need every app's permissions,
        # made by then: hang on audit's, which comes after this app's.
        post_migrate.connect(roles_sync, sender=apps.get_app_config("audit"), dispatch_uid="accounts_roles_sync")
        # Every login (the site's, the admin's) notes what the session still owes (accounts.gate).
        user_logged_in.connect(on_login, dispatch_uid="accounts_login_steps")


def _check_otp_roles() -> None:
    """OTP_REQUIRED_ROLES comes from the environment: refuse to start on a name that is no role."""
    from accounts.roles import Role

    known = {*Role.values, "superuser", "staff"}
    unknown = [name for name in settings.OTP_REQUIRED_ROLES if name not in known]
    if unknown:
        raise ImproperlyConfigured(
            f"OTP_REQUIRED_ROLES names no role: {', '.join(unknown)}; use role codes ({', '.join(sorted(known))}) "
            "or 'none'."
        )
