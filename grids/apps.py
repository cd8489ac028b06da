from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids")

    def ready(self) -> None:
        from grids.selectors import centers_memo_connect, roads_memo_connect

        centers_memo_connect()
        roads_memo_connect()
