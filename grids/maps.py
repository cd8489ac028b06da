"""What a page's map script needs, described once for every page with a map.

The page puts it in `{{ map_config|json_script:"map-config" }}`; static/js/map-base.js reads
it and draws the map: the view, the tile layers an administrator configured (none: a plain
background, so the map works on an intranet without a tile server), the grid levels with
their labels and colours, and the grids API the outlines and lookups come from.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from grids.models import Level

# Fill colours by level, readable on the plain background and on map tiles.
LEVEL_COLORS = {
    Level.DISTRICT: "#475569",
    Level.LARGE: "#2563eb",
    Level.COMMUNITY: "#0f766e",
    Level.MICRO: "#c2410c",
}


def map_config(*, grids_api: bool = True, **extra) -> dict:
    """The map's view, tiles and levels, the grids API's URLs (unless `grids_api` is False: a
    public page, whose visitors may not use that API), and whatever the page adds in `extra`."""
    leaflet = settings.LEAFLET_CONFIG
    config = {
        "center": list(leaflet.get("DEFAULT_CENTER", (34.92, 118.65))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 12),
        "minZoom": leaflet.get("MIN_ZOOM", 3),
        "maxZoom": leaflet.get("MAX_ZOOM", 19),
        "tiles": [
            {"name": str(name), "url": url, "options": dict(options)} for name, url, options in leaflet.get("TILES", [])
        ],
        "levels": [{"value": level.value, "label": str(level.label), "color": LEVEL_COLORS[level]} for level in Level],
    }
    if grids_api:
        config["featuresUrl"] = reverse("grids_api:features")
        config["locateUrl"] = reverse("grids_api:locate")
        config["detailUrl"] = reverse("grids_api:detail", args=[0]).replace("/0/", "/{id}/")
    return {**config, **extra}
