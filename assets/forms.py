"""Forms of the inventory's pages and of its admin upload; they only read and check input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.models import Asset, AssetStatus, Finding, ImportJob
from assets.services import asset_problems
from cases.models import Category, CategoryKind
from config.imports import ImportUploadForm
from grids.models import Grid, Level


class AssetFilterForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16, required=False)
    category = forms.ModelChoiceField(
        label=_("Subcategory"),
        queryset=Category.objects.filter(major__kind=CategoryKind.COMPONENT).order_by("code"),
        required=False,
        empty_label=_("All"),
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"),
        queryset=Grid.objects.filter(level__in=[Level.LARGE, Level.COMMUNITY]).defer("boundary").order_by("code"),
        required=False,
        empty_label=_("The whole city"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *AssetStatus.choices], required=False)

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data.get("code") or "",
            "category_id": data["category"].pk if data.get("category") else None,
            "grid": data.get("grid"),
            "status": data.get("status") or "",
        }


class FindingForm(forms.Form):
    finding = forms.ChoiceField(label=_("Found on site"), choices=Finding.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AssetUploadForm(ImportUploadForm):
    file = forms.FileField(
        label=_("GeoJSON or CSV file"),
        help_text=_("A FeatureCollection of assets, or CSV with a header line (see docs/ASSETS.md). At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,.csv,application/geo+json,text/csv"}),
    )

    def clean_file(self):
        upload = super().clean_file()
        name = upload.name.lower()
        self.cleaned_data["format"] = ImportJob.Format.CSV if name.endswith(".csv") else ImportJob.Format.GEOJSON
        return upload


class AssetAdminForm(forms.ModelForm):
    """The admin's form of one asset: the service's rules (assets.services.asset_problems) named on
    their fields before anything is saved."""

    class Meta:
        model = Asset
        fields = ["code", "category", "name", "geometry", "owner", "maintainer", "status", "installed_on", "note"]

    def clean(self):
        data = super().clean()
        probe = Asset(code=data.get("code") or "", category=data.get("category"), geometry=data.get("geometry"))
        for name, message in asset_problems(asset=probe).items():
            self.add_error(name if name in self.fields else None, message)
        return data
