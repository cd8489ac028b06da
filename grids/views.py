from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Level
from grids.selectors import grid_children

# Fill colours by level, readable on the plain background and on map tiles.
LEVEL_COLORS = {
    Level.DISTRICT: "#475569",
    Level.LARGE: "#2563eb",
    Level.COMMUNITY: "#0f766e",
    Level.MICRO: "#c2410c",
}


def _tile_layers() -> list[dict]:
    return [
        {"name": str(name), "url": url, "options": dict(options)}
        for name, url, options in settings.LEAFLET_CONFIG.get("TILES", [])
    ]


def _start_parent() -> int | None:
    """Where the map opens: the top of the tree, or inside the district when it is the only root."""
    top = list(grid_children(grid=None).valid_on(timezone.localdate()).values_list("pk", "level")[:2])
    if len(top) == 1 and top[0][1] == Level.DISTRICT:
        return top[0][0]
    return None


@login_required
def grid_map(request):
    leaflet = settings.LEAFLET_CONFIG
    config = {
        "center": list(leaflet.get("DEFAULT_CENTER", (34.92, 118.65))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 12),
        "minZoom": leaflet.get("MIN_ZOOM", 3),
        "maxZoom": leaflet.get("MAX_ZOOM", 19),
        "tiles": _tile_layers(),
        "startParent": _start_parent(),
        "featuresUrl": reverse("grids_api:features"),
        "detailUrl": reverse("grids_api:detail", args=[0]).replace("/0/", "/{id}/"),
        "levels": [{"value": level.value, "label": str(level.label), "color": LEVEL_COLORS[level]} for level in Level],
    }
    strings = {
        "allGrids": _("All grids"),
        "loading": _("Loading…"),
        "loadFailed": _("Could not load the grids. Check the connection and try again."),
        "noChildren": _("This grid has no lower-level grids."),
        "empty": _("No grids have been imported yet."),
        "code": _("Code"),
        "level": _("Level"),
        "chief": _("Chief"),
        "noChief": _("No chief assigned"),
        "parent": _("Parent grid"),
        "goUp": _("Go up"),
        "none": _("None"),
        "children": _("Lower-level grids"),
        "area": _("Area"),
        "km2": _("km²"),
        "drillDown": _("Show lower level"),
        "bottomLevel": _("Micro grids are the bottom level."),
        "close": _("Close"),
        "gridsShown": _("Grids on the map"),
        "selectHint": _(
            "Click a grid on the map or in the list to see its details. Double-click to show its lower level."
        ),
    }
    return render(request, "grids/map.html", {"map_config": config, "map_strings": strings})
