"""The demo county: the county seat of Linshu (临沭县, Shandong, 371329) at its real size.

DESIGN.md §2 gives the reference numbers: 8 large grids, 17 community grids,
410 micro grids and about 690 street, shop and lane chiefs. build_demo_county()
makes a territory of that size around 118.65 E, 34.92 N as a GeoJSON
FeatureCollection in the format grids.services.grid_import reads, so the demo
goes through the real import path. Pure functions, no database; the same seed
always gives the same county, so importing it again updates rows in place.

Micro grids are the cells of a lattice of about 300 m × 300 m whose vertices
are jittered (each shared vertex once, less than a quarter cell, so every cell
stays a convex quadrilateral and neighbours share their edges exactly). Parents
are unions of their children, so every child lies exactly inside its parent. The names of
the grids, streets, lanes and shops and of the people come from demo.names.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import MultiPolygon, Polygon

from demo.names import (
    COMMUNITIES,
    COURTYARD_SUFFIXES,
    COURTYARDS,
    LANE_SUFFIXES,
    LANE_WORDS,
    ROADS_EAST_WEST,
    ROADS_NORTH_SOUTH,
    SHOP_BRANDS,
    SHOP_FOODS,
    SHOP_TRADES,
    SHOP_WORDS,
    STREETS,
    SURNAMES,
    People,
    chinese_number,
)

DEMO_SEED = 371329

CENTRE = (118.65, 34.92)  # lon, lat of the county seat
ADMIN_CODE = "371329"  # 临沭县
DISTRICT_NAME = "临沭县城区"
CELL_M = 300.0
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(CENTRE[1]))
CELL_LON = CELL_M / M_PER_DEG_LON
CELL_LAT = CELL_M / M_PER_DEG_LAT
JITTER = 0.2  # of a cell; below 0.25 every cell stays convex
PRECISION = 7  # decimal places of a coordinate (about 1 cm)

MICRO_COUNT = 410
LARGE_COUNT = 8
LANE_COUNT = 100
COURTYARD_COUNT = 20  # lanes drawn as polygons (家属院, 小区)
PLACE_COUNT = 690
ROAD_ROW_EVERY = 5  # an east–west road every 5th lattice row (1.5 km)
ROAD_COLUMN_EVERY = 8  # a north–south road every 8th lattice column (2.4 km)
STAFF_COUNT = 13  # names for the command centre's staff (the demo logins that are not chiefs)


@dataclass(frozen=True)
class Cell:
    """A micro grid: lattice cell (i, j) with its corners sw, se, ne, nw as (lon, lat)."""

    i: int
    j: int
    corners: tuple[tuple[float, float], ...]

    def at(self, u: float, v: float) -> tuple[float, float]:
        """The point at (u, v) in the cell's own coordinates, 0..1 west→east and south→north.

        The cell is convex, so any 0 < u, v < 1 lies strictly inside it.
        """
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.corners
        x = (1 - u) * (1 - v) * x0 + u * (1 - v) * x1 + u * v * x2 + (1 - u) * v * x3
        y = (1 - u) * (1 - v) * y0 + u * (1 - v) * y1 + u * v * y2 + (1 - u) * v * y3
        return round(x, PRECISION), round(y, PRECISION)

    @property
    def polygon(self) -> Polygon:
        return Polygon([*self.corners, self.corners[0]], srid=4326)


@dataclass
class _Grid:
    code: str
    name: str
    level: str
    parent: str | None
    cells: list[Cell]
    chief: tuple[str, str]


# -------------------------------------------------------------------- grids ---


def _lattice(rng: random.Random, radius: int) -> dict[tuple[int, int], tuple[float, float]]:
    """Jittered lattice vertices (i, j) → (lon, lat), each moved once."""
    vertices = {}
    for i in range(-radius, radius + 1):
        for j in range(-radius, radius + 1):
            dx, dy = rng.uniform(-JITTER, JITTER), rng.uniform(-JITTER, JITTER)
            vertices[(i, j)] = (
                round(CENTRE[0] + (i + dx) * CELL_LON, PRECISION),
                round(CENTRE[1] + (j + dy) * CELL_LAT, PRECISION),
            )
    return vertices


def _county_cells(rng: random.Random) -> list[Cell]:
    """The MICRO_COUNT cells nearest the centre under a distance that varies smoothly with the
    direction, which gives a blobby, hole-free outline."""
    radius = 20
    vertices = _lattice(rng, radius)
    waves = [(k, rng.uniform(0.05, 0.16), rng.uniform(0, 2 * math.pi)) for k in (2, 3, 5)]

    def distance(i: int, j: int) -> float:
        x, y = i + 0.5, j + 0.5
        angle = math.atan2(y, x)
        shape = 1 + sum(amp * math.sin(k * angle + phase) for k, amp, phase in waves)
        return math.hypot(x * 0.9, y) / shape

    candidates = [(i, j) for i in range(-radius, radius) for j in range(-radius, radius)]
    chosen = sorted(candidates, key=lambda ij: (distance(*ij), ij))[:MICRO_COUNT]
    return [
        Cell(i, j, (vertices[(i, j)], vertices[(i + 1, j)], vertices[(i + 1, j + 1)], vertices[(i, j + 1)]))
        for i, j in sorted(chosen)
    ]


def _bisect(cells: list[Cell], parts: int) -> list[list[Cell]]:
    """Split cells into `parts` contiguous groups of near-equal size by cutting across the
    longer side, recursively; groups come west before east, north before south."""
    if parts == 1:
        return [cells]
    first = parts // 2
    width = max(c.i for c in cells) - min(c.i for c in cells)
    height = max(c.j for c in cells) - min(c.j for c in cells)
    across_x = sorted(cells, key=lambda c: (c.i, -c.j))
    across_y = sorted(cells, key=lambda c: (-c.j, c.i))
    orders = [across_x, across_y] if width >= height else [across_y, across_x]
    cut = round(len(cells) * first / parts)
    # Near-equal halves, each in one piece: move the cut a little if a straight cut
    # would leave a stray corner of the outline on its own.
    for shift in sorted(range(-len(cells) // 8, len(cells) // 8 + 1), key=abs):
        for ordered in orders:
            head, tail = ordered[: cut + shift], ordered[cut + shift :]
            if _connected(head) and _connected(tail):
                return _bisect(head, first) + _bisect(tail, parts - first)
    raise ValueError("cannot split the demo county into connected grids")


def _connected(cells: list[Cell]) -> bool:
    """Whether the cells form one piece through shared edges."""
    if not cells:
        return False
    left = {(c.i, c.j) for c in cells}
    todo = [left.pop()]
    while todo:
        i, j = todo.pop()
        for near in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
            if near in left:
                left.remove(near)
                todo.append(near)
    return not left


def _reading_order(cells: list[Cell]) -> list[Cell]:
    return sorted(cells, key=lambda c: (-c.j, c.i))


def _build_grids(cells: list[Cell], people: People) -> list[_Grid]:
    district = _Grid(f"{ADMIN_CODE}000000000", DISTRICT_NAME, "district", None, cells, people.chief())
    grids = [district]
    larges = _bisect(cells, LARGE_COUNT)
    # The large grid around the old town centre is the busiest: it gets three communities.
    busiest = min(range(LARGE_COUNT), key=lambda n: min(abs(c.i + 0.5) + abs(c.j + 0.5) for c in larges[n]))
    community_names = iter(COMMUNITIES)
    per_street = LARGE_COUNT // len(STREETS)
    for n, large_cells in enumerate(larges, start=1):
        street = STREETS[(n - 1) // per_street]
        ordinal = chinese_number((n - 1) % per_street + 1)
        large = _Grid(
            f"{ADMIN_CODE}{n:03d}000000",
            f"{street}第{ordinal}大网格",
            "large",
            district.code,
            large_cells,
            people.chief(),
        )
        grids.append(large)
        for m, community_cells in enumerate(_bisect(large_cells, 3 if n - 1 == busiest else 2), start=1):
            community_name = next(community_names)
            community = _Grid(
                f"{ADMIN_CODE}{n:03d}{m:03d}000",
                community_name,
                "community",
                large.code,
                community_cells,
                people.chief(),
            )
            grids.append(community)
            for k, cell in enumerate(_reading_order(community_cells), start=1):
                grids.append(
                    _Grid(
                        f"{ADMIN_CODE}{n:03d}{m:03d}{k:03d}",
                        f"{community_name}第{k:02d}网格",
                        "micro",
                        community.code,
                        [cell],
                        people.chief(),
                    )
                )
    return grids


def _boundary(cells: list[Cell]) -> dict[str, Any]:
    if len(cells) == 1:
        shape = cells[0].polygon
    else:
        shape = MultiPolygon([cell.polygon for cell in cells], srid=4326).unary_union
    if not shape.valid:  # cannot happen with convex cells sharing exact vertices; fail loudly if it does
        raise ValueError(f"demo grid boundary is invalid: {shape.valid_reason}")
    return {"type": shape.geom_type, "coordinates": _rounded(shape.coords)}


def _rounded(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return round(value, PRECISION)


# ------------------------------------------------------------------- places ---


@dataclass
class _Place:
    code: str
    name: str
    kind: str
    grid: str
    geometry: dict[str, Any]
    reach_m: float
    chief: tuple[str, str] = ("", "")


def _line(cell: Cell, points: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(cell.at(u, v)) for u, v in points]}


def _streets(micros: dict[Cell, _Grid], communities: dict[str, str], rng: random.Random) -> list[_Place]:
    """Road segments, one per cell a road crosses, named by road and community: 振兴路(城东二段)."""
    cells = list(micros)
    rows = sorted({c.j for c in cells if c.j % ROAD_ROW_EVERY == 1}, reverse=True)
    columns = sorted({c.i for c in cells if c.i % ROAD_COLUMN_EVERY == 2})
    row_road = dict(zip(rows, ROADS_EAST_WEST, strict=False))
    column_road = dict(zip(columns, ROADS_NORTH_SOUTH, strict=False))
    segments: list[tuple[str, str, Cell, dict]] = []  # road, community code, cell, geometry
    for cell in sorted(cells, key=lambda c: (c.i, -c.j)):
        if cell.j in row_road:
            wobble = rng.uniform(-0.04, 0.04)
            geometry = _line(cell, [(0.06, 0.5), (0.5, 0.5 + wobble), (0.94, 0.5)])
            segments.append((row_road[cell.j], micros[cell].parent, cell, geometry))
        if cell.i in column_road:
            wobble = rng.uniform(-0.04, 0.04)
            geometry = _line(cell, [(0.5, 0.94), (0.5 + wobble, 0.5), (0.5, 0.06)])
            segments.append((column_road[cell.i], micros[cell].parent, cell, geometry))
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for segment in segments:
        groups[segment[:2]].append(segment)
    places, numbers = [], defaultdict(int)
    for (road, community), members in groups.items():
        short = communities[community].removesuffix("社区")
        # East–west roads count west→east, north–south roads north→south.
        members.sort(key=lambda s: (s[2].i, -s[2].j) if road in ROADS_EAST_WEST else (-s[2].j, s[2].i))
        for k, (_road, _community, cell, geometry) in enumerate(members, start=1):
            name = f"{road}({short}段)" if len(members) == 1 else f"{road}({short}{chinese_number(k)}段)"
            micro = micros[cell].code
            numbers[micro] += 1
            places.append(_Place(f"{micro}-ST{numbers[micro]:02d}", name, "street", micro, geometry, 15.0))
    return sorted(places, key=lambda p: p.code)


def _lanes(micros: dict[Cell, _Grid], rng: random.Random) -> list[_Place]:
    """Lanes drawn as short lines and compounds (家属院) drawn as small polygons."""
    cells = rng.sample(sorted(micros, key=lambda c: (c.i, c.j)), LANE_COUNT)
    lane_names = rng.sample(
        [word + suffix for word in LANE_WORDS for suffix in dict.fromkeys(LANE_SUFFIXES)], LANE_COUNT
    )
    places = []
    for n, cell in enumerate(cells):
        micro = micros[cell].code
        if n < COURTYARD_COUNT:
            name = COURTYARDS[n] + COURTYARD_SUFFIXES[n % len(COURTYARD_SUFFIXES)]
            u, v = rng.uniform(0.15, 0.6), rng.uniform(0.15, 0.6)
            ring = [cell.at(u, v), cell.at(u + 0.22, v), cell.at(u + 0.22, v + 0.2), cell.at(u, v + 0.2)]
            geometry = {"type": "Polygon", "coordinates": [[list(p) for p in [*ring, ring[0]]]]}
        else:
            name = lane_names[n]
            u, v = rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.3)
            bend = rng.uniform(-0.08, 0.08)
            geometry = _line(cell, [(u, v), (u + bend, v + 0.3), (u + bend, v + 0.55)])
        places.append(_Place(f"{micro}-LN01", name, "lane", micro, geometry, 8.0))
    return sorted(places, key=lambda p: p.code)


def _shop_name(rng: random.Random, short: str) -> str:
    roll = rng.random()
    if roll < 0.3:
        return f"老{rng.choice(SURNAMES)}{rng.choice(SHOP_FOODS)}"
    if roll < 0.45:
        return f"{rng.choice(SHOP_BRANDS)}({short}店)"
    return rng.choice(SHOP_WORDS) + rng.choice(SHOP_TRADES)


def _shops(micros: dict[Cell, _Grid], communities: dict[str, str], count: int, rng: random.Random) -> list[_Place]:
    """Shops, more of them near the centre and along east–west roads, at the street front."""
    cells = sorted(micros, key=lambda c: (c.i, c.j))
    weights = [(3.0 if c.j % ROAD_ROW_EVERY == 1 else 1.0) / (1 + math.hypot(c.i + 0.5, c.j + 0.5) / 6) for c in cells]
    chosen = rng.choices(cells, weights=weights, k=count)
    places, numbers, names = [], defaultdict(int), set()
    for cell in sorted(chosen, key=lambda c: (c.i, c.j)):
        micro = micros[cell]
        short = communities[micro.parent].removesuffix("社区")
        name = _shop_name(rng, short)
        while name in names:
            name = _shop_name(rng, short)
        names.add(name)
        if cell.j % ROAD_ROW_EVERY == 1:  # on the street front, either side of the road
            u, v = rng.uniform(0.1, 0.9), rng.choice([0.42, 0.58]) + rng.uniform(-0.03, 0.03)
        else:
            u, v = rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)
        numbers[micro.code] += 1
        geometry = {"type": "Point", "coordinates": list(cell.at(u, v))}
        places.append(_Place(f"{micro.code}-SH{numbers[micro.code]:02d}", name, "shop", micro.code, geometry, 10.0))
    return places


# ------------------------------------------------------------- rural town ---

RURAL_TOWN = "青云镇"  # a real town of Linshu county
RURAL_CLASS = "rural"  # its micro grids' region class (demo.regions makes it: 农村区域)
VILLAGES = ["东盘村", "西盘村", "南岭村", "北岭村"]  # 2 × 2 villages, each of 3 groups (组)
GROUPS_PER_VILLAGE = 3
TOWN_GAP_DEG = 0.01  # fields between the county seat and the town (outside every grid but the district)
VILLAGE_DEG = 0.02  # a village about 1.8 km × 2.2 km


def _box(x0: float, y0: float, x1: float, y1: float) -> list:
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def _rural_town(cells: list[Cell], people: People) -> list[dict[str, Any]]:
    """The town (a large grid), its villages (community grids) and their groups (micro grids),
    rectangles that tile each other exactly (every edge computed once, rounded once)."""
    east = max(cell.polygon.extent[2] for cell in cells)
    x = [round(east + TOWN_GAP_DEG + k * VILLAGE_DEG, PRECISION) for k in range(3)]
    y = [round(CENTRE[1] - VILLAGE_DEG + k * VILLAGE_DEG, PRECISION) for k in range(3)]
    n = LARGE_COUNT + 1
    town_code = f"{ADMIN_CODE}{n:03d}000000"

    def grid(code, name, level, parent, rings, **extra):
        chief = people.chief()
        props = {"code": code, "name": name, "level": level, "parent": parent, "chief_name": chief[0],
                 "chief_phone": chief[1], **extra}  # fmt: skip
        return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": rings}}

    features = [grid(town_code, RURAL_TOWN, "large", f"{ADMIN_CODE}000000000", _box(x[0], y[0], x[2], y[2]))]
    for m, village in enumerate(VILLAGES, start=1):
        col, row = (m - 1) % 2, (m - 1) // 2
        x0, x1, y0, y1 = x[col], x[col + 1], y[1 - row], y[2 - row]
        code = f"{ADMIN_CODE}{n:03d}{m:03d}000"
        features.append(grid(code, village, "community", town_code, _box(x0, y0, x1, y1)))
        bands = [round(y0 + k * (y1 - y0) / GROUPS_PER_VILLAGE, PRECISION) for k in range(GROUPS_PER_VILLAGE)] + [y1]
        for k in range(1, GROUPS_PER_VILLAGE + 1):
            features.append(
                grid(
                    f"{code[:12]}{k:03d}",
                    f"{village}第{chinese_number(k)}组",
                    "micro",
                    code,
                    _box(x0, bands[k - 1], x1, bands[k]),
                    region_class=RURAL_CLASS,
                )
            )
    return features


# -------------------------------------------------------------------- build ---

# Region classes (grids.RegionClass, 一类/二类/三类): the old town centre is class 1, the ring
# around it class 2, the outskirts class 3, by distance from the centre in cells (300 m each).
CLASS_1_WITHIN_CELLS = 4.0
CLASS_2_WITHIN_CELLS = 9.0


def region_class(cell: Cell) -> str:
    distance = math.hypot(cell.i + 0.5, cell.j + 0.5)
    return "1" if distance <= CLASS_1_WITHIN_CELLS else ("2" if distance <= CLASS_2_WITHIN_CELLS else "3")


@dataclass(frozen=True)
class DemoCounty:
    geojson: dict[str, Any]
    chiefs: dict[str, str]  # level → code of the grid whose chief gets the demo chief login
    staff_names: tuple[str, ...]  # Chinese names for the command centre's staff


def build_demo_county(*, seed: int = DEMO_SEED) -> DemoCounty:
    """The demo territory: 1 district, 8 large, 17 community and 410 micro grids with a chief
    each, and about 690 streets, lanes and shops with a chief each."""
    rng = random.Random(seed)
    people = People(random.Random(seed + 1))
    cells = _county_cells(rng)
    grids = _build_grids(cells, people)
    micros = {g.cells[0]: g for g in grids if g.level == "micro"}
    communities = {g.code: g.name for g in grids if g.level == "community"}
    streets = _streets(micros, communities, rng)
    lanes = _lanes(micros, rng)
    shops = _shops(micros, communities, PLACE_COUNT - len(streets) - len(lanes), rng)
    places = [*streets, *lanes, *shops]
    for place in places:
        place.chief = people.chief()

    features = [
        {
            "type": "Feature",
            "properties": {
                "code": g.code,
                "name": g.name,
                "level": g.level,
                "parent": g.parent,
                "chief_name": g.chief[0],
                "chief_phone": g.chief[1],
                **({"region_class": region_class(g.cells[0])} if g.level == "micro" else {}),
            },
            "geometry": _boundary(g.cells),
        }
        for g in grids
    ]
    features += [
        {
            "type": "Feature",
            "properties": {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "grid": p.grid,
                "reach_m": p.reach_m,
                "chief_name": p.chief[0],
                "chief_phone": p.chief[1],
            },
            "geometry": p.geometry,
        }
        for p in places
    ]

    staff_names = tuple(people.name() for _ in range(STAFF_COUNT))

    # A rural town east of the county seat: villages (村) as community grids, their groups (组)
    # as micro grids, all in the rural region class (demo.regions). Made last, so the people
    # drawn for the county seat stay who they were.
    town = _rural_town(cells, people)
    features += town
    district = features[0]
    urban = MultiPolygon([cell.polygon for cell in cells], srid=4326).unary_union
    urban_parts = [urban] if urban.geom_type == "Polygon" else list(urban)
    town_box = next(f for f in town if f["properties"]["level"] == "large")["geometry"]["coordinates"]
    district["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [_rounded(part.coords) for part in urban_parts] + [town_box],
    }

    # The demo chiefs answer for the old town centre: its micro grid and that grid's ancestors.
    centre = min(micros, key=lambda c: (abs(c.i + 0.5) + abs(c.j + 0.5), c.i, c.j))
    micro = micros[centre]
    community = next(g for g in grids if g.code == micro.parent)
    chiefs = {"micro": micro.code, "community": community.code, "large": community.parent}
    return DemoCounty({"type": "FeatureCollection", "features": features}, chiefs, staff_names)
