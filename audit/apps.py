from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Security audit log")

    def ready(self) -> None:
        from audit import receivers  # noqa: F401 (connects the signal receivers)
