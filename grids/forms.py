from django import forms
from django.utils.translation import gettext_lazy as _

from config.imports import ImportUploadForm
from grids.models import Grid


class GeoJSONUploadForm(ImportUploadForm):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection of grids and places (see the README for its properties). At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )
    not_utf8 = _("The file is not UTF-8 text; save it as UTF-8 GeoJSON.")


class CoverageForm(forms.Form):
    """What the admin's coverage page checks: one parent grid's children, or every grid's."""

    parent = forms.ModelChoiceField(
        label=_("Parent grid"),
        queryset=Grid.objects.filter(level__in=["district", "large", "community"]).order_by("code"),
        required=False,
        to_field_name="code",
        empty_label=_("All parent grids"),
    )
    min_area = forms.FloatField(
        label=_("Ignore slivers under (m²)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
