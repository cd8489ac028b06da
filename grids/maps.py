"""What a page's map script needs, described once for every page with a map.

The page puts it in `{{ map_config|json_script:"map-config" }}`; static/js/map-base.js reads
it and draws the map: the view, the tile layers an administrator configured (none: a plain
background, so the map works on an intranet without a tile server), the grid levels with
their labels and colours, and the grids API the outlines and lookups come from.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


def bbox_parse(value: str, *, max_area: float = 1.0) -> tuple[float, float, float, float]:
    """A map's view from the `bbox` query parameter: "min lon,min lat,max lon,max lat" in WGS84
    degrees, as the map scripts send it. Raises ValidationError (a DRF serializer's `validate_bbox`
    reports it as the field's error) for anything else: not four finite numbers, a minimum above
    its maximum, a longitude or latitude out of range, or a view of more than `max_area` square
    degrees (a county is about 0.05)."""
    message = _("Four numbers: min lon, min lat, max lon, max lat.")
    try:
        parts = tuple(float(part) for part in value.split(","))
    except ValueError:
        raise ValidationError(message, code="invalid") from None
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts) or parts[0] > parts[2] or parts[1] > parts[3]:
        raise ValidationError(message, code="invalid")
    min_lon, min_lat, max_lon, max_lat = parts
    if min_lon < -180 or max_lon > 180:
        raise ValidationError(_("The longitude must be between -180 and 180."), code="invalid")
    if min_lat < -90 or max_lat > 90:
        raise ValidationError(_("The latitude must be between -90 and 90."), code="invalid")
    if (max_lon - min_lon) * (max_lat - min_lat) > max_area:
        raise ValidationError(_("The view is too large: zoom in."), code="invalid")
    return parts
