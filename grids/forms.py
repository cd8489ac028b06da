from django import forms
from django.utils.translation import gettext_lazy as _

from config.imports import ImportUploadForm


class GeoJSONUploadForm(ImportUploadForm):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection of grids and places (see the README for its properties). At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )
    not_utf8 = _("The file is not UTF-8 text; save it as UTF-8 GeoJSON.")
