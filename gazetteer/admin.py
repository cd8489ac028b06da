"""The gazetteer in the admin (system administrators): entries edited one by one, and imported
from GeoJSON or CSV as a background job with a progress bar (config.imports)."""

from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from config.imports import FileFormatImportJobAdmin, ImportUploadForm
from config.limits import body_limit
from gazetteer.models import Entry, ImportJob
from gazetteer.services import GAZETTEER_IMPORTS


class GazetteerUploadForm(ImportUploadForm):
    file = forms.FileField(
        label=_("GeoJSON or CSV file"),
        help_text=_("Streets, buildings and places (docs/GAZETTEER.md). At most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,.csv,application/geo+json,text/csv"}),
    )

    def clean_file(self):
        upload = super().clean_file()
        name = upload.name.lower()
        self.cleaned_data["format"] = ImportJob.Format.CSV if name.endswith(".csv") else ImportJob.Format.GEOJSON
        return upload


@admin.register(Entry)
class EntryAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "street", "number", "number_from", "number_to", "parity", "pinyin"]
    list_filter = ["kind", "parity"]
    search_fields = ["code", "name", "street", "pinyin", "initials"]
    readonly_fields = ["pinyin", "initials"]
    change_list_template = "admin/gazetteer/entry/change_list.html"

    def save_model(self, request, obj, form, change):
        from gazetteer.pinyin import pinyin_keys

        obj.pinyin, obj.initials = pinyin_keys(obj.name)  # kept in step with the name, as the import does
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "import/",
                body_limit("IMPORT_MAX_BYTES")(self.admin_site.admin_view(self.import_view)),
                name="gazetteer_entry_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = GazetteerUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = GAZETTEER_IMPORTS.create(
                filename=form.cleaned_data["file"].name,
                format=form.cleaned_data["format"],
                payload=form.cleaned_data["text"],
                user=request.user,
            )
            return redirect("admin:gazetteer_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Import the gazetteer from GeoJSON or CSV"),
        }
        return render(request, "admin/gazetteer/entry/import.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(FileFormatImportJobAdmin):
    kind = GAZETTEER_IMPORTS

    def result_text(self, summary: dict) -> str:
        return _t("Gazetteer imported: %(created)d entries added, %(updated)d updated.") % summary
