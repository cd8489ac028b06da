"""The demo county's main roads (路长制), as Zhengzhou Erqi runs them: every road a road chief
(路长; the longest roads a district leader, 一级, the others a town leader, 二级), every segment
of about 300 m (one lattice cell: the street pieces of demo.territory) a city manager (城市管理员)
and an inspector (监督员), and the 四包 duties. Pure functions over the county's GeoJSON; written
through grids.roads.road_import, the path of an uploaded file.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from demo.names import ROADS_EAST_WEST, People

FIRST_LEVEL_ROADS = 3  # the longest roads have a district leader as their road chief
SANITATION_TEAMS = ["城区环卫一队", "城区环卫二队", "城区环卫三队"]
GREENERY_TEAMS = ["县园林绿化中心一班", "县园林绿化中心二班"]


def build_demo_roads(geojson: dict[str, Any], *, seed: int) -> dict[str, Any]:
    """Roads and their segments from the county's street pieces (named “振兴路(城东二段)”), ordered
    west → east or north → south; each road's line is its pieces in that order."""
    people = People(random.Random(seed + 7))
    pieces: dict[str, list[dict]] = defaultdict(list)
    for feature in geojson["features"]:
        props = feature["properties"]
        if props.get("kind") == "street":
            pieces[props["name"].split("(")[0]].append(feature)
    ordered = sorted(pieces.items(), key=lambda item: (-len(item[1]), item[0]))
    features = []
    for n, (name, members) in enumerate(ordered, start=1):
        east_west = name in ROADS_EAST_WEST
        # A piece's order along the road: its middle point's longitude (east–west) or −latitude.
        members.sort(key=lambda f: _middle(f)[0] if east_west else -_middle(f)[1])
        code = f"R{n:02d}"
        level = "first" if n <= FIRST_LEVEL_ROADS else "second"
        chief = people.chief()
        features.append({
            "type": "Feature",
            "properties": {"road": code, "name": name, "level": level, "chief_name": chief[0], "chief_phone": chief[1]},
            "geometry": {"type": "MultiLineString", "coordinates": [m["geometry"]["coordinates"] for m in members]},
        })  # fmt: skip
        for seq, member in enumerate(members, start=1):
            manager, inspector = people.chief(), people.chief()
            features.append({
                "type": "Feature",
                "properties": {
                    "segment": f"{code}-{seq:03d}", "road": code, "seq": seq,
                    "name": f"{name}第{seq}段", "reach_m": 20,
                    "manager_name": manager[0], "manager_phone": manager[1],
                    "inspector_name": inspector[0], "inspector_phone": inspector[1],
                    "duties": {
                        "sanitation": SANITATION_TEAMS[seq % len(SANITATION_TEAMS)],
                        "order": f"城市管理员 {manager[0]}",
                        "facade": "沿街商户（门前三包）",
                        "greenery": GREENERY_TEAMS[seq % len(GREENERY_TEAMS)],
                    },
                },
                "geometry": member["geometry"],
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _middle(feature: dict) -> tuple[float, float]:
    coordinates = feature["geometry"]["coordinates"]
    return tuple(coordinates[len(coordinates) // 2])


def road_through(roads: dict[str, Any], geojson: dict[str, Any], micro_code: str) -> str | None:
    """The code of a road with a segment in the micro grid `micro_code` (the road chief login's),
    else of the first road."""
    pieces = {
        tuple(map(tuple, f["geometry"]["coordinates"]))
        for f in geojson["features"]
        if f["properties"].get("kind") == "street" and f["properties"]["grid"].startswith(micro_code[:12])
    }
    for feature in roads["features"]:
        props = feature["properties"]
        if "segment" in props and tuple(map(tuple, feature["geometry"]["coordinates"])) in pieces:
            return props["road"]
    first = next((f["properties"]["road"] for f in roads["features"] if "segment" not in f["properties"]), None)
    return first
