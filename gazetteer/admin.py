from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from gazetteer.models import Entry
from gazetteer.services import GazetteerImportError, gazetteer_import

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class GazetteerUploadForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON or CSV file"),
        help_text=_("Streets, buildings and places (docs/GAZETTEER.md). At most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,.csv,application/geo+json,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        self.cleaned_data["format"] = "csv" if upload.name.lower().endswith(".csv") else "geojson"
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
            path("import/", self.admin_site.admin_view(self.import_view), name="gazetteer_entry_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = GazetteerUploadForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                summary = gazetteer_import(
                    data=form.cleaned_data["text"], format=form.cleaned_data["format"], actor=request.user
                )
            except GazetteerImportError as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    _("Gazetteer imported: %(created)d entries added, %(updated)d updated.") % summary.as_dict(),
                )
                return redirect("admin:gazetteer_entry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
            "title": _("Import the gazetteer from GeoJSON or CSV"),
        }
        return render(request, "admin/gazetteer/entry/import.html", context)
