import json

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from grids.forms import CoverageForm, GeoJSONUploadForm
from grids.maps import map_config
from grids.models import Grid, ImportJob, Person, Place, RegionClass
from grids.selectors import coverage_geojson, grid_coverage_problems
from grids.services import grid_export, grid_save, import_job_create, import_job_progress, place_save

COVERAGE_ROWS = 500  # problems listed and drawn at most; narrow down by parent grid for the rest


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "user"]
    search_fields = ["name", "phone", "user__username"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(RegionClass)
class RegionClassAdmin(admin.ModelAdmin):
    """The city's region classes (一类/二类/三类 by default): names and number are the city's."""

    list_display = ["code", "name", "rank", "description"]
    ordering = ["rank", "code"]


@admin.register(Grid)
class GridAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "level", "parent", "region_class", "chief", "area_km2", "valid_from", "valid_to"]
    list_filter = ["level", "region_class"]
    search_fields = ["code", "name", "chief__name"]
    autocomplete_fields = ["parent", "chief"]
    list_select_related = ["parent", "chief", "region_class"]
    readonly_fields = ["area_m2"]
    change_list_template = "admin/grids/grid/change_list.html"

    @admin.display(description=_("area (km²)"), ordering="area_m2")
    def area_km2(self, grid: Grid) -> str:
        return f"{grid.area_m2 / 1e6:.3f}"

    def save_model(self, request, obj, form, change):
        grid_save(grid=obj)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="grids_grid_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="grids_grid_export"),
            path("coverage/", self.admin_site.admin_view(self.coverage_view), name="grids_grid_coverage"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = GeoJSONUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = import_job_create(
                filename=form.cleaned_data["file"].name, payload=form.cleaned_data["text"], user=request.user
            )
            return redirect("admin:grids_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Import grids and places from GeoJSON"),
        }
        return render(request, "admin/grids/grid/import.html", context)

    def coverage_view(self, request):
        """Overlaps between sibling grids and the gaps they leave in their parent, on a map and in a
        table; retired grids left out (grids.selectors.grid_coverage_problems)."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = CoverageForm(request.GET or None)
        parents, min_area, parent = None, float(settings.GRID_OVERLAP_TOLERANCE_M2 or 1), None
        if form.is_valid():
            parent = form.cleaned_data.get("parent")
            if parent is not None:
                parents = Grid.objects.filter(pk=parent.pk)
            if form.cleaned_data.get("min_area") is not None:
                min_area = form.cleaned_data["min_area"]
        problems = grid_coverage_problems(parents=parents, min_area_m2=min_area) if form.is_valid() else []
        shown = problems[:COVERAGE_ROWS]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Coverage: overlaps and gaps between sibling grids"),
            "form": form,
            "problems": shown,
            "more": len(problems) - len(shown),
            "min_area": min_area,
            "map_config": map_config(grids_api=False),
            "coverage": coverage_geojson(problems=shown, parent=parent),
            "coverage_strings": {
                "overlap": _("Overlap"),
                "gap": _("Gap"),
                "parent": _("Parent grid"),
                "area": _("Area"),
                "m2": _("m²"),
                "none": _("No overlaps or gaps: the grids valid today tile their parents."),
            },
        }
        return render(request, "admin/grids/grid/coverage.html", context)

    def export_view(self, request):
        response = HttpResponse(
            json.dumps(grid_export(), ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="grids.geojson"'
        return response


@admin.register(Place)
class PlaceAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "kind", "micro_grid", "chief", "reach_m"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "chief__name", "micro_grid__code"]
    autocomplete_fields = ["micro_grid", "chief"]
    list_select_related = ["micro_grid", "chief"]
    exclude = ["reach"]

    def save_model(self, request, obj, form, change):
        place_save(place=obj)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
    fields = ["filename", "status", "created_by", "created_at", "finished_at", "result"]
    readonly_fields = fields
    change_form_template = "admin/grids/importjob/change_form.html"

    @admin.display(description=_("result"))
    def result(self, job: ImportJob) -> str:
        if job.status != ImportJob.Status.SUCCEEDED:
            return "-"
        text = _(
            "{grids_created} grids created, {grids_updated} updated; {places_created} places created, "
            "{places_updated} updated; {people_created} people added."
        ).format(**job.summary)
        warnings = job.summary.get("warnings") or []
        if warnings:
            text += " " + _("Accepted with warnings:") + " " + "; ".join(warnings)
        return text

    def has_add_permission(self, request):
        return False  # jobs are made by uploading a file on the grids page

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="grids_importjob_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk: int):
        job = get_object_or_404(ImportJob, pk=pk)
        return JsonResponse(
            {"status": job.status, "errors": job.errors, "summary": job.summary, **import_job_progress(job=job)}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = get_object_or_404(ImportJob, pk=object_id)
        extra = {
            "progress": import_job_progress(job=job),
            "progress_url": reverse("admin:grids_importjob_progress", args=[job.pk]),
            "finished": job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED),
            "job": job,
            # a job is a record, not a form: no save or delete buttons
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if job.status == ImportJob.Status.SUCCEEDED:
            messages.success(request, _("Import finished."))
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})
