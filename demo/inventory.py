"""The demo county's component inventory (部件): a few hundred assets along its streets.

build_demo_inventory() reads the streets of the demo county (demo.territory's GeoJSON) and
puts, along each street segment, two street lamps at the kerb, a manhole cover in the road
(water, sewage or rain in turn), a litter bin on every other segment and a guard rail on every
fifth: a FeatureCollection in the format assets.services.asset_import reads, so the demo goes
through the real import. Pure functions, no database; the same county gives the same assets.

Who maintains what: the water company's covers (上水井盖) are the housing bureau's (住建), not
the subcategory's default department (市政): a report on one goes to 住建, as intake shows.
"""

from __future__ import annotations

import math
import random
from typing import Any

from demo.territory import ADMIN_CODE, CENTRE, M_PER_DEG_LAT, M_PER_DEG_LON, PRECISION

# subcategory (the catalogue's component code) → maintaining unit (a department code), owner
MAINTAINERS = {
    "0101": ("housing", "县自来水公司"),  # 上水井盖
    "0102": ("municipal", "县市政工程管理处"),  # 污水井盖
    "0103": ("municipal", "县市政工程管理处"),  # 雨水井盖
    "0120": ("municipal", "县市政工程管理处"),  # 路灯
    "0206": ("traffic", "县公安局交通警察大队"),  # 交通护栏
    "0305": ("sanitation", "县环卫服务中心"),  # 垃圾箱
}
COVERS = ("0101", "0102", "0103")
KERB_M = 9.0  # lamps and bins stand this far from the road's centre line


def _along(line: list[list[float]], share: float) -> tuple[float, float, float, float]:
    """The point `share` (0..1) of the way along a polyline, and the unit direction there (in metres)."""
    segments = list(zip(line, line[1:], strict=False))
    lengths = [math.hypot((x1 - x0) * M_PER_DEG_LON, (y1 - y0) * M_PER_DEG_LAT) for (x0, y0), (x1, y1) in segments]
    target = share * sum(lengths)
    for index, ((x0, y0), (x1, y1)) in enumerate(segments):
        if target <= lengths[index] or index == len(segments) - 1:
            t = min(target / lengths[index], 1.0) if lengths[index] else 0.0
            dx, dy = (x1 - x0) * M_PER_DEG_LON, (y1 - y0) * M_PER_DEG_LAT
            norm = math.hypot(dx, dy) or 1.0
            return x0 + t * (x1 - x0), y0 + t * (y1 - y0), dx / norm, dy / norm
        target -= lengths[index]
    raise ValueError("a line needs two points")


def _offset(x: float, y: float, ux: float, uy: float, metres: float) -> list[float]:
    """The point `metres` to the left of direction (ux, uy) from (x, y)."""
    return [round(x - uy * metres / M_PER_DEG_LON, PRECISION), round(y + ux * metres / M_PER_DEG_LAT, PRECISION)]


def build_demo_inventory(county: dict[str, Any], *, seed: int = 3713) -> dict[str, Any]:
    """The assets along the demo county's streets, as a FeatureCollection for asset_import."""
    rng = random.Random(seed)
    streets = sorted(
        (f for f in county["features"] if f["properties"].get("kind") == "street"),
        key=lambda f: f["properties"]["code"],
    )
    serials: dict[str, int] = {}
    features: list[dict[str, Any]] = []

    def add(category: str, geometry: dict, name: str) -> None:
        serials[category] = serials.get(category, 0) + 1
        maintainer, owner = MAINTAINERS[category]
        roll = rng.random()
        status = "damaged" if roll < 0.03 else ("missing" if roll < 0.04 else "in_service")
        features.append({
            "type": "Feature",
            "properties": {
                "code": f"{ADMIN_CODE}{category}{serials[category]:06d}", "category": f"C{category}", "name": name,
                "owner": owner, "maintainer": maintainer, "status": status,
                "installed_on": f"{rng.randrange(2008, 2025)}-{rng.randrange(1, 13):02d}-01",
            },
            "geometry": geometry,
        })  # fmt: skip

    for n, street in enumerate(streets):
        line = street["geometry"]["coordinates"]
        name = street["properties"]["name"]
        for k, share in enumerate((0.25, 0.75), start=1):
            x, y, ux, uy = _along(line, share)
            add("0120", {"type": "Point", "coordinates": _offset(x, y, ux, uy, KERB_M)}, f"{name} {k}号路灯")
        x, y, _ux, _uy = _along(line, 0.5)
        cover = COVERS[n % len(COVERS)]
        add(cover, {"type": "Point", "coordinates": [round(x, PRECISION), round(y, PRECISION)]}, f"{name}中段")
        if n % 2 == 0:
            x, y, ux, uy = _along(line, 0.12)
            add("0305", {"type": "Point", "coordinates": _offset(x, y, ux, uy, -KERB_M)}, f"{name}路口")
        if n % 5 == 0:
            rail = []
            for share in (0.35, 0.65):
                x, y, ux, uy = _along(line, share)
                rail.append(_offset(x, y, ux, uy, -(KERB_M - 2)))
            add("0206", {"type": "LineString", "coordinates": rail}, f"{name}护栏")
    return {"type": "FeatureCollection", "features": features}


def nearest_to_centre(inventory: dict[str, Any], category: str, count: int) -> list[str]:
    """The codes of the `count` assets of `category` nearest the county seat's centre."""
    points = [
        (math.hypot(f["geometry"]["coordinates"][0] - CENTRE[0], f["geometry"]["coordinates"][1] - CENTRE[1]), code)
        for f in inventory["features"]
        if f["geometry"]["type"] == "Point" and (code := f["properties"]["code"])[6:10] == category
    ]
    return [code for _distance, code in sorted(points)[:count]]
