"""Benchmark: import of a city's micro grids and point → micro grid lookup.

    .venv/bin/python bench/grid_lookup.py [--db spatialite|postgis|both] [--grids 40000] [--lookups 20000]

Builds a synthetic but realistic hierarchy (one district, large grids,
community grids of 5×5 micro grids, micro grids of about 150 m × 150 m with
jittered shared vertices; 40,000 micro grids by default, Shanghai's count),
imports it through grids.services.grid_import into a dedicated, freshly
recreated database, then times grids.selectors.grid_at_point for random
points and the raw SQL round trip of the same query. Every answer is checked
against the lattice, so the lookup cannot look fast by being wrong.

Databases (dropped and recreated on every run, never the project's own):
  spatialite  bench/out/grid_lookup.sqlite3
  postgis     postgis://postgres@127.0.0.1:5432/citydispatch_bench (--postgis-url;
              the database name must end in "_bench")

Results: a table on stdout and bench/out/grid_lookup-<db>.json.
Targets (from the issue): p99 < 1 ms per lookup on both backends; import < 60 s.
Timings are informative only: nothing here asserts them.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SPATIALITE_FILE = OUT / "grid_lookup.sqlite3"
DEFAULT_POSTGIS_URL = "postgis://postgres@127.0.0.1:5432/citydispatch_bench"

LOOKUP_P99_TARGET_MS = 1.0
IMPORT_TARGET_S = 60.0

# The lattice: cells of about 150 m near the centre of Shanghai.
CENTRE = (121.47, 31.23)
CELL_M = 150.0
M_PER_DEG_LAT = 111_320.0
COMMUNITY_BLOCK = 5  # micro grids per community grid, per side (5×5 = 25)
LARGE_BLOCK = 20  # micro grids per large grid, per side (4×4 communities)
CORNER_JITTER = 0.2  # of a cell, each way: shared corners move, cells stay simple
EDGE_POINTS = 2  # extra vertices on every edge (shared by both neighbours)
EDGE_JITTER = 0.06  # of a cell, across the edge
SEED = 20261120


# --------------------------------------------------------------- lattice ---


@dataclass
class Lattice:
    """side × side micro grids; cell (i, j) is column i (west → east), row j (south → north)."""

    side: int
    seed: int = SEED
    dx: float = field(init=False)
    dy: float = field(init=False)
    x0: float = field(init=False)
    y0: float = field(init=False)

    def __post_init__(self) -> None:
        self.dy = CELL_M / M_PER_DEG_LAT
        self.dx = CELL_M / (M_PER_DEG_LAT * math.cos(math.radians(CENTRE[1])))
        self.x0 = CENTRE[0] - self.side * self.dx / 2
        self.y0 = CENTRE[1] - self.side * self.dy / 2
        rnd = random.Random(self.seed)
        n = self.side + 1
        jitter = CORNER_JITTER

        def corner(i: int, j: int) -> tuple[float, float]:
            return (
                round(self.x0 + (i + rnd.uniform(-jitter, jitter)) * self.dx, 7),
                round(self.y0 + (j + rnd.uniform(-jitter, jitter)) * self.dy, 7),
            )

        self.corner = [[corner(i, j) for j in range(n)] for i in range(n)]
        # h[i][j]: points between corner (i, j) and (i + 1, j); v[i][j]: between (i, j) and (i, j + 1).
        self.h = [
            [self._edge(self.corner[i][j], self.corner[i + 1][j], rnd, 1) for j in range(n)] for i in range(n - 1)
        ]
        self.v = [
            [self._edge(self.corner[i][j], self.corner[i][j + 1], rnd, 0) for j in range(n - 1)] for i in range(n)
        ]

    def _edge(self, a, b, rnd: random.Random, across: int) -> list[tuple[float, float]]:
        points = []
        for k in range(1, EDGE_POINTS + 1):
            t = k / (EDGE_POINTS + 1)
            p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
            p[across] += rnd.uniform(-EDGE_JITTER, EDGE_JITTER) * (self.dy if across else self.dx)
            points.append((round(p[0], 7), round(p[1], 7)))
        return points

    def ring(self, i0: int, i1: int, j0: int, j1: int) -> list[tuple[float, float]]:
        """The outline (counter-clockwise, closed) of the cells i0 ≤ i < i1, j0 ≤ j < j1."""
        c, h, v = self.corner, self.h, self.v
        ring = []
        for i in range(i0, i1):  # south side, west → east
            ring += [c[i][j0], *h[i][j0]]
        for j in range(j0, j1):  # east side, south → north
            ring += [c[i1][j], *v[i1][j]]
        for i in range(i1 - 1, i0 - 1, -1):  # north side, east → west
            ring += [c[i + 1][j1], *reversed(h[i][j1])]
        for j in range(j1 - 1, j0 - 1, -1):  # west side, north → south
            ring += [c[i0][j + 1], *reversed(v[i0][j])]
        ring.append(ring[0])
        return ring

    @staticmethod
    def micro_code(i: int, j: int) -> str:
        return f"SH-M{j:03d}{i:03d}"

    @staticmethod
    def community_code(i: int, j: int) -> str:
        return f"SH-C{j // COMMUNITY_BLOCK:02d}{i // COMMUNITY_BLOCK:02d}"

    @staticmethod
    def large_code(i: int, j: int) -> str:
        return f"SH-L{j // LARGE_BLOCK:02d}{i // LARGE_BLOCK:02d}"

    DISTRICT_CODE = "SH-D310101"

    def blocks(self, size: int):
        for j0 in range(0, self.side, size):
            for i0 in range(0, self.side, size):
                yield i0, min(i0 + size, self.side), j0, min(j0 + size, self.side)

    def feature_collection(self) -> dict:
        features = []

        def feature(code, name, level, parent, ring, chief_no):
            props = {"code": code, "name": name, "level": level, "parent": parent}
            props |= {"chief_name": f"网格长{chief_no:05d}", "chief_phone": f"139{chief_no:08d}"}
            geometry = {"type": "MultiPolygon", "coordinates": [[[list(p) for p in ring]]]}
            features.append({"type": "Feature", "properties": props, "geometry": geometry})

        chief = iter(range(1, 10**8))
        feature(
            self.DISTRICT_CODE, "黄浦区(基准)", "district", None, self.ring(0, self.side, 0, self.side), next(chief)
        )
        for i0, i1, j0, j1 in self.blocks(LARGE_BLOCK):
            code = self.large_code(i0, j0)
            feature(code, f"大网格 {code}", "large", self.DISTRICT_CODE, self.ring(i0, i1, j0, j1), next(chief))
        for i0, i1, j0, j1 in self.blocks(COMMUNITY_BLOCK):
            code = self.community_code(i0, j0)
            feature(
                code, f"社区网格 {code}", "community", self.large_code(i0, j0), self.ring(i0, i1, j0, j1), next(chief)
            )
        for j in range(self.side):
            for i in range(self.side):
                code = self.micro_code(i, j)
                feature(
                    code,
                    f"单元网格 {code}",
                    "micro",
                    self.community_code(i, j),
                    self.ring(i, i + 1, j, j + 1),
                    next(chief),
                )
        return {"type": "FeatureCollection", "features": features}

    # The expected answer, computed without GEOS or the database.

    def expected(self, x: float, y: float) -> str | None:
        """The micro grid holding (x, y): the smallest code among the cells containing it."""
        ci = math.floor((x - self.x0) / self.dx)
        cj = math.floor((y - self.y0) / self.dy)
        hits = [
            self.micro_code(i, j)
            for j in range(cj - 1, cj + 2)
            for i in range(ci - 1, ci + 2)
            if 0 <= i < self.side and 0 <= j < self.side and _inside(x, y, self.ring(i, i + 1, j, j + 1))
        ]
        return min(hits) if hits else None

    def points(self, count: int, outside_share: float, rnd: random.Random) -> list[tuple[float, float]]:
        """Uniform random points over the lattice, and a share well outside it (1–3 km away)."""
        w, h = self.side * self.dx, self.side * self.dy
        points = []
        for _ in range(count):
            if rnd.random() < outside_share:
                margin_x, margin_y = rnd.uniform(7, 20) * self.dx, rnd.uniform(7, 20) * self.dy
                side = rnd.randrange(4)
                if side == 0:
                    p = (self.x0 - margin_x, self.y0 + rnd.uniform(0, h))
                elif side == 1:
                    p = (self.x0 + w + margin_x, self.y0 + rnd.uniform(0, h))
                elif side == 2:
                    p = (self.x0 + rnd.uniform(0, w), self.y0 - margin_y)
                else:
                    p = (self.x0 + rnd.uniform(0, w), self.y0 + h + margin_y)
            else:
                p = (self.x0 + rnd.uniform(0, w), self.y0 + rnd.uniform(0, h))
            points.append(p)
        return points


def _inside(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    """Even-odd ray casting (points exactly on an edge are measure-zero for random points)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


# ------------------------------------------------------------- databases ---


def recreate_database(db: str, postgis_url: str) -> str:
    """Drop and recreate the bench database; return its DATABASE_URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    if db == "spatialite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SPATIALITE_FILE}{suffix}").unlink(missing_ok=True)
        return f"spatialite:///{SPATIALITE_FILE}"
    import psycopg

    url = urlsplit(postgis_url)
    name = url.path.lstrip("/")
    if not name.endswith("_bench"):
        sys.exit(f"refusing to drop {name!r}: the bench database name must end in '_bench'")
    conninfo = {"host": url.hostname or "127.0.0.1", "port": url.port or 5432, "user": url.username or "postgres"}
    if url.password:
        conninfo["password"] = url.password
    with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(dbname=name, autocommit=True, **conninfo) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return postgis_url


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DEBUG"] = "1"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    # DEBUG=1 only so the settings load without a SECRET_KEY; production runs with
    # DEBUG off, so do not time Django's query log (CursorDebugWrapper) either.
    settings.DEBUG = False


def machine_facts(vendor: str) -> dict:
    import sqlite3

    import django
    from django.contrib.gis.gdal import gdal_full_version
    from django.contrib.gis.geos import geos_version
    from django.db import connection

    facts = {
        "date": datetime.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "geos": geos_version().decode(),
        "gdal": gdal_full_version().decode(),
        "sqlite": sqlite3.sqlite_version,
        "python_loop_3m_ms": cpu_calibration_ms(),
    }
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("SELECT spatialite_version(), sqlite_version()")
            facts["spatialite"], facts["sqlite_in_connection"] = cursor.fetchone()
        else:
            cursor.execute("SELECT version(), postgis_lib_version(), postgis_full_version()")
            facts["postgresql"], facts["postgis"], facts["postgis_full"] = cursor.fetchone()
            cursor.execute("SHOW shared_buffers")
            facts["shared_buffers"] = cursor.fetchone()[0]
            import psycopg

            facts["psycopg"] = psycopg.__version__
    return facts


def cpu_calibration_ms() -> float:
    """Best of 3 of a fixed pure-Python loop: compares this machine's speed with another's (and over time)."""
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return round(best * 1000, 1)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


# ---------------------------------------------------------------- import ---


class Stopwatch:
    """Accumulates the time spent inside wrapped functions (wrappers cost < 1 µs a call)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._originals: list[tuple] = []

    def wrap(self, module, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                self.calls[label] = self.calls.get(label, 0) + 1

        setattr(module, name, timed)
        self._originals.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._originals):
            setattr(module, name, original)


def run_import(text: str) -> dict:
    from grids import services

    watch = Stopwatch()
    watch.wrap(services, "_parse", "parse features (GEOS geometries, validity)")
    watch.wrap(services, "_check_tree", "check tree (parents, containment, existing codes)")
    watch.wrap(services, "_people", "chiefs (people lookup + bulk_create)")
    watch.wrap(services, "area_m2", "area_m2 (projection, inside write)")
    watch.wrap(services, "_write_grids", "write grids (bulk_create, incl. area_m2)")
    marks: dict[str, float] = {}

    def progress(done: int, total: int, stage: str) -> None:
        now = time.perf_counter()
        marks.setdefault(f"first_{stage}", now)
        marks["last"] = now

    start = time.perf_counter()
    try:
        summary = services.grid_import(data=text, progress=progress)
    finally:
        watch.restore()
    end = time.perf_counter()

    parse_s = watch.seconds.get("parse features (GEOS geometries, validity)", 0.0)
    before_check = marks["first_check"] - start
    breakdown = {"json.loads": before_check - parse_s}
    breakdown |= watch.seconds
    breakdown["commit (after the last batch)"] = end - marks["last"]
    read_and_check = before_check + watch.seconds.get("check tree (parents, containment, existing codes)", 0.0)
    return {
        "total_s": end - start,
        "summary": summary.as_dict(),
        "read_and_check_s": read_and_check,  # nothing written yet
        "write_s": end - start - read_and_check,  # chiefs, grids (with area_m2), commit
        "breakdown_s": breakdown,
        "calls": watch.calls,
    }


# ---------------------------------------------------------------- lookup ---


def percentiles(values_ns: list[int]) -> dict[str, float]:
    """Nearest-rank percentiles, in milliseconds."""
    ordered = sorted(values_ns)
    n = len(ordered)

    def rank(q: float) -> float:
        return ordered[max(0, min(n - 1, math.ceil(q * n) - 1))] / 1e6

    return {
        "n": n,
        "mean_ms": sum(ordered) / n / 1e6,
        "median_ms": rank(0.5),
        "p90_ms": rank(0.9),
        "p99_ms": rank(0.99),
        "max_ms": ordered[-1] / 1e6,
    }


class Capture:
    """connection.execute_wrapper that records the SQL and parameters of each query."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        self.queries.append((sql, params))
        return execute(sql, params, many, context)


def run_lookups(lattice: Lattice, lookups: int, warmup: int, outside_share: float) -> dict:
    from django.contrib.gis.geos import Point
    from django.db import connection

    from grids.selectors import grid_at_point

    rnd = random.Random(SEED + 1)
    warm_points = lattice.points(warmup, outside_share, rnd)
    points = lattice.points(lookups, outside_share, rnd)
    expected = [lattice.expected(x, y) for x, y in points]
    geos_points = [Point(x, y, srid=4326) for x, y in points]

    for x, y in warm_points:
        grid_at_point(point=Point(x, y, srid=4326))

    # The SQL and parameters the ORM sends for each point (untimed pass), to replay on a cursor.
    capture = Capture()
    with connection.execute_wrapper(capture):
        for point in geos_points:
            grid_at_point(point=point)
    queries_per_lookup = len(capture.queries) / len(geos_points)
    if queries_per_lookup != 1:
        sys.exit(f"expected one query per lookup, got {queries_per_lookup:g}")

    # Timed pass: for each point, the selector as the dispatch code calls it, then the
    # same SQL on a cursor, so both see the same background load. Objects built so far
    # are frozen out of the garbage collector: only the lookups' own garbage counts.
    clock = time.perf_counter_ns
    selector_ns, raw_ns, wrong, raw_wrong = [], [], [], 0
    load_before = os.getloadavg()
    gc.collect()
    gc.freeze()
    try:
        with connection.cursor() as cursor:
            for point, (sql, params), want in zip(geos_points, capture.queries, expected, strict=True):
                start = clock()
                location = grid_at_point(point=point)
                selector_ns.append(clock() - start)

                start = clock()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                raw_ns.append(clock() - start)

                got = location.micro.code if location.micro else None
                chain = [grid.code for grid in location.chain]
                if got is not None:
                    j, i = int(got[4:7]), int(got[7:10])  # SH-M<row><column>
                    want_chain = [want, lattice.community_code(i, j), lattice.large_code(i, j), lattice.DISTRICT_CODE]
                else:
                    want_chain = []
                if got != want or chain != want_chain:
                    wrong.append({"point": [point.x, point.y], "expected": want, "got": got, "chain": chain})
                code_column = [col[0] for col in cursor.description].index("code")
                if (rows[0][code_column] if rows else None) != want:
                    raw_wrong += 1
    finally:
        gc.unfreeze()
    load_after = os.getloadavg()

    return {
        "lookups": lookups,
        "warmup": warmup,
        "outside_expected": sum(1 for want in expected if want is None),
        "selector": percentiles(selector_ns),
        "raw_sql": percentiles(raw_ns),
        "wrong_answers": len(wrong),
        "wrong_examples": wrong[:5],
        "raw_sql_wrong_answers": raw_wrong,
        "queries_per_lookup": queries_per_lookup,
        "load_average_before_after": [load_before, load_after],
        "sql": capture.queries[0][0],
    }


def explain(lattice: Lattice, vendor: str) -> dict:
    """The plan of the lookup query for a point in the middle, and whether it uses the spatial index."""
    from django.contrib.gis.geos import Point
    from django.db import connection

    from grids.selectors import grid_at_point

    x, y = lattice.x0 + lattice.side * lattice.dx / 2, lattice.y0 + lattice.side * lattice.dy / 2
    capture = Capture()
    with connection.execute_wrapper(capture):
        grid_at_point(point=Point(x, y, srid=4326))
    sql, params = capture.queries[0]
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = [row[-1] for row in cursor.fetchall()]
            uses_index = any("idx_grids_grid_boundary" in line for line in plan)
        else:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            uses_index = any("grids_grid_boundary" in line and "Index" in line for line in plan)
    return {"point": [x, y], "plan": plan, "uses_spatial_index": uses_index}


# ----------------------------------------------------------------- main ---


def run_one(args) -> dict:
    database_url = recreate_database(args.db, args.postgis_url)
    setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    vendor = connection.vendor
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started

    side = math.isqrt(args.grids)
    lattice = Lattice(side)
    started = time.perf_counter()
    text = json.dumps(lattice.feature_collection(), ensure_ascii=False)
    generate_s = time.perf_counter() - started
    features = side * side + len(list(lattice.blocks(COMMUNITY_BLOCK))) + len(list(lattice.blocks(LARGE_BLOCK))) + 1
    print(
        f"[{args.db}] {side * side} micro grids ({features} features, {len(text.encode()) / 1e6:.1f} MB of GeoJSON) "
        f"generated in {generate_s:.1f} s; importing…",
        flush=True,
    )

    imported = run_import(text)
    del text
    print(f"[{args.db}] imported in {imported['total_s']:.1f} s; lookups…", flush=True)

    analyzed = False
    if vendor == "postgresql" and not args.no_analyze:
        # Autovacuum analyses a freshly loaded table within about a minute;
        # do it now so the plan measured is the steady-state one.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyzed = True

    plan = explain(lattice, vendor)
    lookups = run_lookups(lattice, args.lookups, args.warmup, args.outside_share)
    result = {
        "benchmark": "grid_lookup",
        "db": args.db,
        "command": " ".join([".venv/bin/python", "bench/grid_lookup.py", *sys.argv[1:]]),
        "machine": machine_facts(vendor),
        "grids": {"micro": side * side, "features": features, "side": side, "cell_m": CELL_M},
        "migrate_s": migrate_s,
        "import": imported,
        "analyze_after_import": analyzed,
        "explain": plan,
        "lookup": lookups,
        "targets": {
            "lookup_p99_ms": LOOKUP_P99_TARGET_MS,
            "import_s": IMPORT_TARGET_S,
            "lookup_met": lookups["selector"]["p99_ms"] < LOOKUP_P99_TARGET_MS,
            "import_met": imported["total_s"] < IMPORT_TARGET_S,
            "answers_correct": lookups["wrong_answers"] == 0 and lookups["raw_sql_wrong_answers"] == 0,
        },
    }
    path = OUT / f"grid_lookup-{args.db}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_report([result])
    print(f"\nResults written to {path.relative_to(ROOT)}")
    return result


def print_report(results: list[dict]) -> None:
    for r in results:
        m = r["machine"]
        print(f"\n=== {r['db']}: {r['grids']['micro']} micro grids, {r['lookup']['lookups']} lookups ===")
        versions = f"Python {m['python']}, Django {m['django']}, GEOS {m['geos']}"
        if r["db"] == "spatialite":
            versions += f", SQLite {m['sqlite_in_connection']}, SpatiaLite {m['spatialite']}"
        else:
            versions += f", {m['postgresql'].split(' on ')[0]}, PostGIS {m['postgis']}"
        print(
            f"machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
            f"3M-iteration Python loop {m['python_loop_3m_ms']} ms; {versions}"
        )
        imp = r["import"]
        print(
            f"import: {imp['total_s']:.1f} s total (target < {IMPORT_TARGET_S:.0f} s): read + check "
            f"{imp['read_and_check_s']:.1f} s, write {imp['write_s']:.1f} s; {imp['summary']}"
        )
        for label, seconds in imp["breakdown_s"].items():
            print(f"  {label:<52} {seconds:7.2f} s")
        lk = r["lookup"]
        print(f"{'lookup':<28} {'median':>8} {'p90':>8} {'p99':>8} {'max':>8} {'mean':>8}  (ms)")
        for label, key in (("grid_at_point", "selector"), ("same SQL on a cursor", "raw_sql")):
            s = lk[key]
            print(
                f"{label:<28} {s['median_ms']:8.3f} {s['p90_ms']:8.3f} {s['p99_ms']:8.3f} {s['max_ms']:8.3f} {s['mean_ms']:8.3f}"
            )
        overhead = lk["selector"]["median_ms"] - lk["raw_sql"]["median_ms"]
        before, after = lk["load_average_before_after"]
        load = f"{before[0]:.2f}→{after[0]:.2f}"
        print(
            f"overhead of the selector over its SQL (median): {overhead:.3f} ms; queries per lookup: "
            f"{lk['queries_per_lookup']:g}; 1-min load average during the lookups: {load}"
        )
        print(
            f"answers: {lk['lookups'] - lk['wrong_answers']}/{lk['lookups']} correct "
            f"({lk['outside_expected']} outside the territory); raw SQL wrong: {lk['raw_sql_wrong_answers']}"
        )
        t = r["targets"]
        print(
            f"targets: lookup p99 < {t['lookup_p99_ms']} ms: {'MET' if t['lookup_met'] else 'MISSED'}; "
            f"import < {t['import_s']:.0f} s: {'MET' if t['import_met'] else 'MISSED'}"
        )
        e = r["explain"]
        print(f"spatial index used: {e['uses_spatial_index']}; plan:")
        for line in e["plan"]:
            print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--grids", type=int, default=40_000, help="micro grids (rounded down to a square)")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--outside-share", type=float, default=0.05, help="share of points outside the territory")
    parser.add_argument("--postgis-url", default=os.environ.get("BENCH_POSTGIS_URL", DEFAULT_POSTGIS_URL))
    parser.add_argument("--no-analyze", action="store_true", help="PostGIS: skip ANALYZE after the import")
    args = parser.parse_args()

    if args.db != "both":
        run_one(args)
        return
    # One process per database: Django's settings can be configured only once.
    results = []
    for db in ("spatialite", "postgis"):
        argv = list(sys.argv[1:])
        if "--db" in argv:
            del argv[argv.index("--db") : argv.index("--db") + 2]
        argv = [a for a in argv if not a.startswith("--db=")]
        subprocess.run([sys.executable, __file__, "--db", db, *argv], check=True)
        results.append(json.loads((OUT / f"grid_lookup-{db}.json").read_text()))
    print_summary(results)  # the per-database reports were printed by the children


def print_summary(results: list[dict]) -> None:
    print("\n=== summary ===")
    print(
        f"{'db':<11} {'import s':>9} {'median ms':>10} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'raw p99':>8}  correct"
    )
    for r in results:
        o, raw = r["lookup"]["selector"], r["lookup"]["raw_sql"]
        print(
            f"{r['db']:<11} {r['import']['total_s']:9.1f} {o['median_ms']:10.3f} {o['p90_ms']:8.3f} "
            f"{o['p99_ms']:8.3f} {o['max_ms']:8.3f} {raw['p99_ms']:8.3f}  {r['targets']['answers_correct']}"
        )


if __name__ == "__main__":
    main()
