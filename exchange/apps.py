from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("Exchange with other systems")

    def ready(self) -> None:
        from exchange.selectors import memos_connect

        memos_connect()
