from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Grid

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class GeoJSONUploadForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection of grids and places (see the README for its properties). At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json,application/json"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        raw = upload.read()
        try:
            self.cleaned_data["text"] = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text; save it as UTF-8 GeoJSON.")) from None
        return upload


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
