from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = _("Open311 GeoReport v2")

    def ready(self) -> None:
        from cases.models import Source

        unknown = sorted(set(settings.OPEN311_PUBLIC_SOURCES) - set(Source.values))
        if unknown:
            raise ImproperlyConfigured(
                f"OPEN311_PUBLIC_SOURCES names unknown sources {unknown}; the sources are {', '.join(Source.values)}."
            )
