from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.apps import apps

        from accounts import checks  # noqa: F401 (registers the system checks)
        from accounts.services import roles_sync

        # post_migrate is sent per app with models, which accounts has none of: hang on audit's.
        post_migrate.connect(roles_sync, sender=apps.get_app_config("audit"), dispatch_uid="accounts_roles_sync")
