"""The inventory in the admin (system administrators): assets edited one by one, imported and
exported as GeoJSON or CSV (an import is a background job with a progress bar), and censuses."""

import json

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from assets.forms import AssetAdminForm, AssetUploadForm
from assets.models import Asset, Census, CensusFinding, ImportJob
from assets.services import ASSET_IMPORTS, asset_export, asset_export_csv, asset_save
from config.imports import FileFormatImportJobAdmin
from config.limits import body_limit


@admin.register(Asset)
class AssetAdmin(LeafletGeoAdmin):
    list_display = ["code", "category", "name", "micro_grid", "maintainer", "status", "checked_at"]
    list_filter = ["status", "category", "maintainer"]
    search_fields = ["code", "name", "owner"]
    autocomplete_fields = ["category"]
    list_select_related = ["category", "micro_grid", "maintainer"]
    readonly_fields = ["micro_grid", "checked_at", "updated_at"]
    change_list_template = "admin/assets/asset/change_list.html"
    form = AssetAdminForm  # the service's rules, named on the form's fields

    def save_model(self, request, obj, form, change):
        asset_save(asset=obj)

    def get_urls(self):
        return [
            path(
                "import/",
                body_limit("IMPORT_MAX_BYTES")(self.admin_site.admin_view(self.import_view)),
                name="assets_asset_import",
            ),
            path("export.<str:fmt>", self.admin_site.admin_view(self.export_view), name="assets_asset_export"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = AssetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = ASSET_IMPORTS.create(
                filename=form.cleaned_data["file"].name,
                format=form.cleaned_data["format"],
                payload=form.cleaned_data["text"],
                user=request.user,
            )
            return redirect("admin:assets_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Import assets from GeoJSON or CSV"),
        }
        return render(request, "admin/assets/asset/import.html", context)

    def export_view(self, request, fmt: str):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        if fmt == "csv":
            response = HttpResponse("\ufeff" + asset_export_csv(), content_type="text/csv; charset=utf-8")
        elif fmt == "geojson":
            response = HttpResponse(
                json.dumps(asset_export(), ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
            )
        else:
            return HttpResponse(status=404)
        response["Content-Disposition"] = f'attachment; filename="assets.{fmt}"'
        return response


@admin.register(ImportJob)
class ImportJobAdmin(FileFormatImportJobAdmin):
    kind = ASSET_IMPORTS

    def result_text(self, summary: dict) -> str:
        return _("{created} assets created, {updated} updated.").format(**summary)


class CensusFindingInline(admin.TabularInline):
    model = CensusFinding
    extra = 0
    fields = ["asset", "finding", "note", "recorded_by", "recorded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # findings are recorded on site (the asset's page, the API)


@admin.register(Census)
class CensusAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on"]
    filter_horizontal = ["grids", "categories"]
    inlines = [CensusFindingInline]
    search_fields = ["name"]
