from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from cases.selectors import memos_connect

        memos_connect()
        # Pillow's own guard, for any image opened in this process: cases.photos checks the pixel
        # count from the header first, with a clear message; this stops whatever does not.
        Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
