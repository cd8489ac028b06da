import json

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from config.imports import ImportJobAdmin as BaseImportJobAdmin
from config.limits import body_limit
from grids.forms import CoverageForm, GeoJSONUploadForm
from grids.geo import buffer_m
from grids.maps import map_config
from grids.models import CommandCenter, Grid, ImportJob, Person, Place, RegionClass, Road, RoadSegment
from grids.selectors import coverage_geojson, grid_coverage_problems
from grids.services import GRID_IMPORTS, grid_export, grid_save, place_save

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
            path(
                "import/",
                body_limit("IMPORT_MAX_BYTES")(self.admin_site.admin_view(self.import_view)),
                name="grids_grid_import",
            ),
            path("export/", self.admin_site.admin_view(self.export_view), name="grids_grid_export"),
            path("coverage/", self.admin_site.admin_view(self.coverage_view), name="grids_grid_coverage"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return HttpResponse(status=403)
        form = GeoJSONUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = GRID_IMPORTS.create(
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
class ImportJobAdmin(BaseImportJobAdmin):
    kind = GRID_IMPORTS
    list_display = ["filename", "status", "created_by", "created_at", "finished_at"]
    fields = ["filename", "status", "created_by", "created_at", "finished_at", "result"]
    readonly_fields = fields

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


@admin.register(CommandCenter)
class CommandCenterAdmin(admin.ModelAdmin):
    """The 镇街三级 command centers: the district's (no parent) and the towns' with their grids and staff."""

    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "grids", "members"]
    list_select_related = ["parent"]


class RoadSegmentInline(admin.TabularInline):
    model = RoadSegment
    fields = ["seq", "code", "name", "manager", "inspector", "reach_m", "duties"]
    autocomplete_fields = ["manager", "inspector"]
    extra = 0
    max_num = 0  # a segment has a line and an area: added in its own page or by import_roads
    can_delete = False
    show_change_link = True


@admin.register(Road)
class RoadAdmin(LeafletGeoAdmin):
    """Roads (路长制) with their road chief and ordered segments; GeoJSON: manage.py import_roads/export_roads."""

    list_display = ["code", "name", "level", "chief"]
    list_filter = ["level"]
    search_fields = ["code", "name", "chief__name"]
    autocomplete_fields = ["chief"]
    list_select_related = ["chief"]
    inlines = [RoadSegmentInline]


@admin.register(RoadSegment)
class RoadSegmentAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "road", "seq", "manager", "inspector"]
    search_fields = ["code", "name", "road__name", "manager__name", "inspector__name"]
    autocomplete_fields = ["road", "manager", "inspector"]
    list_select_related = ["road", "manager", "inspector"]
    exclude = ["reach"]

    def save_model(self, request, obj, form, change):
        obj.reach = buffer_m(obj.geometry, obj.reach_m)  # where a case counts as on the segment
        super().save_model(request, obj, form, change)
