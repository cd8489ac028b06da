from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.maps import map_config
from grids.models import Level, PlaceKind
from grids.selectors import grid_children


def _start_parent() -> int | None:
    """Where the map opens: the top of the tree, or inside the district when it is the only root."""
    top = list(grid_children(grid=None).valid_on(timezone.localdate()).values_list("pk", "level")[:2])
    if len(top) == 1 and top[0][1] == Level.DISTRICT:
        return top[0][0]
    return None


@login_required
def grid_map(request):
    config = map_config(
        startParent=_start_parent(),
        # The component inventory as a layer to switch on (static/js/asset-layer.js).
        assetsUrl=reverse("assets_api:features"),
        assetLayer="overlay",
        assetStrings={
            "layer": _("Assets (components)"),
            "maintainer": _("Maintained by"),
            "zoomIn": _("Zoom in to see the assets"),
            "truncated": _("Not every asset is shown: zoom in further."),
            "failed": _("Could not load the assets."),
        },
        # The places with chiefs (三长) as layers to switch on per kind (static/js/place-layer.js).
        placesUrl=reverse("grids_api:places"),
        placeLayer="overlay",
        placeKinds=[{"value": kind.value, "label": str(kind.label)} for kind in PlaceKind],
        placeStrings={
            "layer": _("Places with chiefs"),
            "chief": _("Chief"),
            "noChief": _("No chief assigned"),
            "zoomIn": _("Zoom in to see the places"),
            "truncated": _("Not every place is shown: zoom in further."),
            "failed": _("Could not load the places."),
        },
    )
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
