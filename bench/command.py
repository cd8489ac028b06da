"""Benchmark: the command center's feeds at 100,000 open cases (issue 14): the supervision map's
GeoJSON, the wall's figures, the queue sorted by deadline and by light, the new-arrivals count.

    .venv/bin/python bench/command.py [--cases 100000] [--runs 7] [--postgis-url URL] [--reuse]

Recreates the PostGIS database of --postgis-url (its name must end in "_bench"), migrates it,
loads the demo county's grids (410 micro grids) and the catalogue, then writes --cases open cases
with SQL (spread over the micro grids and the open statuses, a quarter of them dispatched with a
deadline, a tenth of those overdue). Each measure is the whole request through Django's test
client in this process (session, scope, the statements, the JSON), the median and the slowest of
--runs warm runs after one untimed run, with its statement count and answer size. The load average
is recorded: the machine is shared. Results: a table on stdout and bench/out/command.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from grid_lookup import OUT, recreate_database, setup_django  # noqa: E402

DEFAULT_URL = "postgis://postgres@127.0.0.1:5432/citydispatch_command_bench"

CASES_SQL = """
SELECT setseed(0.14);
CREATE TEMP TABLE micro AS
  SELECT row_number() OVER (ORDER BY m.id) AS n, m.id AS micro, c.id AS community, l.id AS large, l.parent_id AS district,
    ST_PointOnSurface(m.boundary) AS point, ST_XMin(m.boundary) AS x0, ST_YMin(m.boundary) AS y0,
    ST_XMax(m.boundary) AS x1, ST_YMax(m.boundary) AS y1
  FROM grids_grid m JOIN grids_grid c ON c.id = m.parent_id JOIN grids_grid l ON l.id = c.parent_id
  WHERE m.level = 'micro';
CREATE TEMP TABLE cat AS
  SELECT row_number() OVER (ORDER BY id) AS n, id, default_department_id AS department FROM cases_category;
INSERT INTO cases_case (tracking_number, source, status, location, address, micro_grid_id, community_grid_id,
  large_grid_id, district_grid_id, responsible_role, category_id, urgency, description, reporter_name,
  reporter_phone, department_id, handling_deadline, overdue, rework_count, extension_count, send_back_count,
  reported_at, filed_at, dispatched_at, updated_at, supervised, reporter_phone_hash)
SELECT 'M' || lpad(g.i::text, 11, '0'), 'inspector', g.status,
  ST_SetSRID(ST_MakePoint(m.x0 + g.rx * (m.x1 - m.x0), m.y0 + g.ry * (m.y1 - m.y0)), 4326),
  '', m.micro, m.community, m.large, m.district, '', cat.id, CASE WHEN g.r < 0.05 THEN 'urgent' ELSE 'normal' END,
  '', '', '', CASE WHEN g.status = 'dispatched' THEN cat.department END,
  CASE WHEN g.status = 'dispatched' THEN g.at + interval '4 hours' + g.r * interval '20 days' END,
  g.status = 'dispatched' AND g.r < 0.1, 0, 0, 0,
  g.at, CASE WHEN g.status <> 'reported' THEN g.at + interval '20 minutes' END,
  CASE WHEN g.status = 'dispatched' THEN g.at + interval '40 minutes' END, g.at, false, ''
FROM (
  SELECT i, random() AS r, random() AS rx, random() AS ry, random() AS rm,
    now() - (i::float8 / %(n)s) * interval '90 days' AS at,
    (ARRAY['reported','verifying','filed','pending_approval','dispatched','dispatched','returned','suspended',
           'handled','checking','checked','dispatched'])[1 + (i * 7) %% 12] AS status
  FROM generate_series(1, %(n)s) AS s(i)
) g
JOIN micro m ON m.n = 1 + floor(g.rm * (SELECT count(*) FROM micro))::int
JOIN cat ON cat.n = 1 + (g.i * 7919) %% (SELECT count(*) FROM cat);
"""


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # untimed: the process's catalogue and calendar, the plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return {
        "url": url,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "statements": len(queries),
        "bytes": len(response.content),
        "load": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgis-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="measure the existing bench database, load nothing")
    args = parser.parse_args()

    setup_django(args.postgis_url if args.reuse else recreate_database("postgis", args.postgis_url))
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.roles import Role
    from cases.catalogue import catalogue_load, departments_load
    from demo.regions import demo_region_classes_ensure
    from demo.territory import build_demo_county
    from grids.models import Grid, Person
    from grids.services import grid_import

    settings.ALLOWED_HOSTS = ["*"]
    load = {}
    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        demo_region_classes_ensure()  # the county's villages name the rural class
        grid_import(data=build_demo_county().geojson)
        departments_load()
        catalogue_load()
        with connection.cursor() as cursor:
            for statement in [s for s in CASES_SQL.split(";\n") if s.strip()]:
                cursor.execute(statement, {"n": args.cases})
            cursor.execute("ANALYZE")
        load["load_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.cases:,} open cases in {load['load_s']:.0f} s", flush=True)

    dispatcher, _ = User.objects.get_or_create(username="bench_dispatcher")
    dispatcher.groups.add(Group.objects.get_or_create(name=Role.DISPATCHER.value)[0])
    chief, _ = User.objects.get_or_create(username="bench_chief")
    chief.groups.add(Group.objects.get_or_create(name=Role.GRID_CHIEF.value)[0])
    large = Grid.objects.filter(level="large").order_by("code").first()
    person = large.chief or Person.objects.create(name="大网格长")
    person.user = chief
    person.save()
    Grid.objects.filter(pk=large.pk).update(chief=person)
    micro = Grid.objects.filter(level="micro").order_by("code").first()
    x0, y0, x1, y1 = micro.boundary.extent
    county = Grid.objects.filter(level="large").order_by("code")
    cx0 = min(g.boundary.extent[0] for g in county)
    cy0 = min(g.boundary.extent[1] for g in county)
    cx1 = max(g.boundary.extent[2] for g in county)
    cy1 = max(g.boundary.extent[3] for g in county)
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)).isoformat().replace("+", "%2B")

    results = {}
    for who, user in (("dispatcher", dispatcher), ("large-grid chief", chief)):
        client = Client()
        client.force_login(user)
        for name, url in (
            ("map, the whole county (capped)", "/api/cases/map/"),
            ("map, the county's view", f"/api/cases/map/?bbox={cx0},{cy0},{cx1},{cy1}"),
            ("map, one micro grid's view", f"/api/cases/map/?bbox={x0},{y0},{x1},{y1}"),
            ("map, overdue only", "/api/cases/map/?overdue=true"),
            ("wall figures", "/api/cases/wall/"),
            ("queue API by deadline", "/api/cases/?sort=deadline&page_size=25&status=dispatched"),
            ("queue API by light", "/api/cases/?sort=light&page_size=25"),
            ("queue page by light", "/cases/?sort=light"),
            ("new arrivals", f"/api/cases/arrivals/?since={since}"),
        ):
            key = f"{who}: {name}"
            results[key] = measure(client, url, args.runs)
            row = results[key]
            print(f"{key:55} {row['median_ms']:8.1f} ms (max {row['max_ms']:7.1f})  "
                  f"{row['statements']:2} statements  {row['bytes'] / 1024:7.1f} KB  load {row['load']}", flush=True)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        (total,) = cursor.fetchone()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "command.json").write_text(json.dumps({"cases": total, "load": load, "results": results}, indent=2))


if __name__ == "__main__":
    main()
