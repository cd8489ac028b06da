"""Benchmark: the assessment dashboard over 1,000,000 cases and three years, on PostGIS.

    .venv/bin/python bench/assessments_dashboard.py [--cases 1000000] [--years 3] [--runs 20]

Recreates postgis://postgres@127.0.0.1:5432/citydispatch_assess_bench (the name
must end in "_bench"), migrates it, loads the demo county's grids (8 large, 17
community, 410 micro) and the catalogue, then writes the cases and the rollup
rows with SQL (generate_series; the ORM would take hours): every case gets a
micro grid and its ancestors, a category, department and source, reported /
filed / dispatched / handled / closed times over the years, and some are
cancelled, suspended, late, reworked, extended, sent back. The rollup rows are
what assessments.facts derives from a case's events; here they are written with
the same meaning directly, since a million cases' events through the Python
service would take hours.

Measured, each cold (a new connection, the first read of that quarter/year in the
run; PostgreSQL is shared with other work on these machines so it is not restarted
and the OS cache is not dropped) and warm (median of --runs after that):
  1. ranking of all community grids for one quarter (closure rate, on-time rate,
     overdue, rework, score …) through assessments.selectors.grid_ranking;
  2. a year's monthly trend through assessments.selectors.trend;
and the best hand-written SQL for the same figures in the same run: one
statement each over the rollup table, and for reference the same over the raw
cases table (which has no cancelled/late columns: only filed and closed).

Results: a table on stdout and bench/out/assessments_dashboard.json.
Targets (issue 4): warm < 300 ms, cold < 2 s, within 2× of the hand-written SQL.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from grid_lookup import OUT, machine_facts, recreate_database, setup_django  # noqa: E402

DEFAULT_URL = "postgis://postgres@127.0.0.1:5432/citydispatch_assess_bench"
TARGET_WARM_MS, TARGET_COLD_MS, TARGET_RATIO = 300.0, 2000.0, 2.0

CASES_SQL = """
SELECT setseed(0.2026);
CREATE TEMP TABLE micro AS
  SELECT row_number() OVER (ORDER BY m.id) AS n, m.id AS micro, c.id AS community, l.id AS large, l.parent_id AS district
  FROM grids_grid m JOIN grids_grid c ON c.id = m.parent_id JOIN grids_grid l ON l.id = c.parent_id
  WHERE m.level = 'micro';
CREATE TEMP TABLE cat AS
  SELECT row_number() OVER (ORDER BY id) AS n, id, default_department_id AS department FROM cases_category;
CREATE TEMP TABLE raw AS
SELECT i,
  (SELECT count(*) FROM micro) AS nm,
  %(start)s::timestamptz + (i::float8 / %(n)s) * (%(end)s::timestamptz - %(start)s::timestamptz) AS reported_at,
  random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6
FROM generate_series(1, %(n)s) AS s(i);
CREATE TEMP TABLE gen AS
SELECT raw.i, raw.reported_at, m.micro, m.community, m.large, m.district, cat.id AS category, cat.department,
  (ARRAY['inspector','inspector','inspector','citizen','citizen','hotline','camera','chief_patrol'])[1 + (raw.r6 * 8)::int %% 8] AS source,
  CASE WHEN raw.r1 < 0.95 THEN raw.reported_at + interval '20 minutes' END AS filed_at,
  CASE WHEN raw.r1 < 0.93 THEN raw.reported_at + interval '40 minutes' END AS dispatched_at,
  CASE WHEN raw.r1 < 0.93 AND raw.r2 < 0.97 THEN raw.reported_at + (1 + raw.r3 * 30) * interval '1 hour' END AS handled_at,
  raw.r1, raw.r2, raw.r3, raw.r4, raw.r5
FROM raw
JOIN micro m ON m.n = 1 + (floor(power(raw.r5, 1.7) * raw.nm))::int %% raw.nm
JOIN cat ON cat.n = 1 + (raw.i::bigint * 7919) %% (SELECT count(*) FROM cat);
INSERT INTO cases_case (tracking_number, source, status, location, address, micro_grid_id, community_grid_id,
  large_grid_id, district_grid_id, responsible_role, category_id, urgency, description, reporter_name,
  reporter_phone, department_id, handling_deadline, overdue, rework_count, extension_count, send_back_count,
  reported_at, filed_at, dispatched_at, handled_at, closed_at, updated_at)
SELECT 'B' || lpad(i::text, 11, '0'), source,
  CASE WHEN filed_at IS NULL THEN 'rejected' WHEN r1 > 0.93 THEN 'cancelled' WHEN handled_at IS NULL THEN 'dispatched'
       WHEN r4 < 0.9 THEN 'closed' ELSE 'handled' END,
  ST_SetSRID(ST_MakePoint(118.6, 34.9), 4326), '', micro, community, large, district, '', category, 'normal', '', '', '',
  department, dispatched_at + interval '24 hours', r3 > 0.8, (r2 > 0.95)::int, (r4 > 0.96)::int, (r5 > 0.97)::int,
  reported_at, filed_at, dispatched_at, handled_at,
  CASE WHEN handled_at IS NOT NULL AND r4 < 0.9 THEN handled_at + interval '2 hours' END, reported_at
FROM gen;
INSERT INTO assessments_casefact (case_id, last_event_id, micro_grid_id, community_grid_id, large_grid_id,
  district_grid_id, department_id, category_id, source, responsible_id, reported_on, reported_at, filed_on, filed_at,
  dispatched_at, handled_at, reworked_at, extended_at, suspended_at, closed_at, cancelled_at, late_at, handling_hours,
  is_open)
SELECT c.id, 0, c.micro_grid_id, c.community_grid_id, c.large_grid_id, c.district_grid_id, c.department_id,
  c.category_id, c.source, NULL, (c.reported_at AT TIME ZONE 'Asia/Shanghai')::date, c.reported_at,
  (c.filed_at AT TIME ZONE 'Asia/Shanghai')::date, c.filed_at, c.dispatched_at, c.handled_at,
  CASE WHEN c.rework_count > 0 THEN c.handled_at - interval '1 hour' END,
  CASE WHEN c.extension_count > 0 THEN c.dispatched_at + interval '2 hours' END,
  CASE WHEN c.send_back_count > 0 AND c.handled_at IS NULL THEN c.dispatched_at + interval '3 hours' END,
  c.closed_at,
  CASE WHEN c.status = 'cancelled' THEN c.filed_at + interval '1 hour' END,
  CASE WHEN c.overdue THEN c.handling_deadline END,
  CASE WHEN c.handled_at IS NOT NULL THEN round((extract(epoch FROM c.handled_at - c.dispatched_at) / 3600 * 0.35)::numeric, 4) END,
  c.status NOT IN ('closed', 'rejected', 'cancelled')
FROM cases_case c;
INSERT INTO assessments_eventfact (event_id, case_id, kind, "on", at, micro_grid_id, community_grid_id, large_grid_id,
  district_grid_id, department_id, category_id, source, responsible_id)
SELECT case_id, case_id, 'dispatch', (dispatched_at AT TIME ZONE 'Asia/Shanghai')::date, dispatched_at, micro_grid_id,
  community_grid_id, large_grid_id, district_grid_id, department_id, category_id, source, NULL
FROM assessments_casefact WHERE dispatched_at IS NOT NULL;
"""

# The best hand-written SQL for the same figures: one statement, over the rollup table.
HAND_RANKING = """
SELECT community_grid_id,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL) AS assessed,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND closed_at < %(cut)s) AS closed,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND (suspended_at IS NULL OR suspended_at >= %(cut)s)) AS on_time_base,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND (suspended_at IS NULL OR suspended_at >= %(cut)s) AND closed_at < %(cut)s AND (late_at IS NULL OR late_at >= %(cut)s)) AS on_time,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND late_at < %(cut)s) AS overdue,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND dispatched_at < %(cut)s) AS dispatched,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND handled_at < %(cut)s) AS handled,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND reworked_at < %(cut)s) AS reworked,
  count(*) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND extended_at < %(cut)s) AS extended,
  count(*) FILTER (WHERE reported_on BETWEEN %(s)s AND %(e)s AND reported_at < %(cut)s) AS reports,
  sum(handling_hours) FILTER (WHERE filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s AND cancelled_at IS NULL AND handled_at < %(cut)s) AS hours
FROM assessments_casefact
WHERE (filed_on BETWEEN %(s)s AND %(e)s) OR (reported_on BETWEEN %(s)s AND %(e)s)
GROUP BY community_grid_id
"""
HAND_RANKING_EVENTS = """
SELECT community_grid_id, kind, count(*) FROM assessments_eventfact
WHERE "on" BETWEEN %(s)s AND %(e)s AND at < %(cut)s GROUP BY community_grid_id, kind
"""
# The trend in one statement: each row is measured against the end of its own month.
HAND_TREND = """
SELECT date_trunc('month', filed_on) AS month,
  count(*) FILTER (WHERE cancelled_at IS NULL) AS assessed,
  count(*) FILTER (WHERE cancelled_at IS NULL AND closed_at < ((date_trunc('month', filed_on) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')) AS closed,
  count(*) FILTER (WHERE cancelled_at IS NULL AND late_at < ((date_trunc('month', filed_on) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')) AS overdue,
  count(*) FILTER (WHERE cancelled_at IS NULL AND closed_at < ((date_trunc('month', filed_on) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai') AND (late_at IS NULL OR late_at >= ((date_trunc('month', filed_on) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')) AND (suspended_at IS NULL OR suspended_at >= ((date_trunc('month', filed_on) + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'))) AS on_time
FROM assessments_casefact
WHERE filed_on BETWEEN %(s)s AND %(e)s
GROUP BY 1 ORDER BY 1
"""
# For reference: the closure rate per community straight from the cases table.
RAW_RANKING = """
SELECT community_grid_id, count(*) FILTER (WHERE status <> 'cancelled') AS filed,
  count(*) FILTER (WHERE status = 'closed' AND closed_at < %(cut)s) AS closed
FROM cases_case
WHERE filed_at >= %(start_at)s AND filed_at < %(cut)s
GROUP BY community_grid_id
"""


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgis-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="measure the existing bench database, load nothing")
    args = parser.parse_args()

    setup_django(args.postgis_url if args.reuse else recreate_database("postgis", args.postgis_url))
    from django.core.management import call_command
    from django.db import connection

    from assessments.models import RollupState
    from assessments.selectors import Period, grid_ranking, trend
    from cases.catalogue import catalogue_load, departments_load
    from grids.demo import build_demo_county
    from grids.services import grid_import

    end = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
    start = end - datetime.timedelta(days=365 * args.years)
    load = {}
    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        grid_import(data=build_demo_county().geojson)
        departments_load()
        catalogue_load()
        load["setup_s"] = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # No events are written here: the counted-event rows point at their case instead.
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'assessments_eventfact'::regclass "
                "AND confrelid = 'cases_caseevent'::regclass"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE assessments_eventfact DROP CONSTRAINT "{name}"')
            for statement in [s for s in CASES_SQL.split(";\n") if s.strip()]:
                cursor.execute(statement, {"n": args.cases, "start": start, "end": end})
            cursor.execute("ANALYZE")
        RollupState.objects.update_or_create(pk=1, defaults={"last_event_id": 0})
        load["cases_s"] = time.perf_counter() - started
        print(f"loaded {args.cases:,} cases in {load['cases_s']:.0f} s")
    connection.close()

    quarters = [Period.containing("quarter", datetime.date(y, m, 1)) for y, m in ((2026, 7), (2026, 4), (2026, 1))]
    years = [Period.containing("year", datetime.date(y, 1, 1)) for y in (2025, 2024)]
    now = end

    def ours_ranking(q):
        return lambda: grid_ranking(period=q, level="community", now=now, min_cases=10)

    def ours_trend(y):
        return lambda: trend(period=y, now=now)

    def hand(sql, extra_sql=None, **params):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()
                if extra_sql:
                    cursor.execute(extra_sql, params)
                    cursor.fetchall()

        return run

    def qparams(q):
        cut = min(datetime.datetime.combine(q.end + datetime.timedelta(days=1), datetime.time.min,
                                            tzinfo=datetime.timezone(datetime.timedelta(hours=8))), now)  # fmt: skip
        return {"s": q.start, "e": q.end, "cut": cut,
                "start_at": datetime.datetime.combine(q.start, datetime.time.min,
                                                      tzinfo=datetime.timezone(datetime.timedelta(hours=8)))}  # fmt: skip

    measures = {
        "ranking (selectors)": [ours_ranking(q) for q in quarters],
        "ranking (hand SQL, rollup)": [hand(HAND_RANKING, HAND_RANKING_EVENTS, **qparams(q)) for q in quarters],
        "ranking (hand SQL, cases table, 2 figures)": [hand(RAW_RANKING, **qparams(q)) for q in quarters],
        "trend (selectors)": [ours_trend(y) for y in years],
        "trend (hand SQL, rollup)": [hand(HAND_TREND, **qparams(y)) for y in years],
    }
    results = {}
    for name, runs in measures.items():
        connection.close()  # cold: a new connection, a period not read before in this run
        cold = timed(runs[0])
        warm = [timed(runs[1]) for _ in range(args.runs)]
        results[name] = {"cold_ms": round(cold, 1), "warm_median_ms": round(statistics.median(warm), 1),
                         "warm_p90_ms": round(sorted(warm)[int(0.9 * (len(warm) - 1))], 1)}  # fmt: skip

    ranking_ratio = (
        results["ranking (selectors)"]["warm_median_ms"] / results["ranking (hand SQL, rollup)"]["warm_median_ms"]
    )
    trend_ratio = results["trend (selectors)"]["warm_median_ms"] / results["trend (hand SQL, rollup)"]["warm_median_ms"]
    report = {
        "cases": args.cases,
        "years": args.years,
        "load": load,
        "results": results,
        "ratio_ranking": round(ranking_ratio, 2),
        "ratio_trend": round(trend_ratio, 2),
        "targets": {"warm_ms": TARGET_WARM_MS, "cold_ms": TARGET_COLD_MS, "ratio": TARGET_RATIO},
        "machine": machine_facts("postgresql"),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "assessments_dashboard.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"{'measure':48} {'cold ms':>9} {'warm ms':>9} {'p90 ms':>9}")
    for name, r in results.items():
        print(f"{name:48} {r['cold_ms']:>9} {r['warm_median_ms']:>9} {r['warm_p90_ms']:>9}")
    print(f"selectors / hand SQL (warm): ranking {ranking_ratio:.2f}×, trend {trend_ratio:.2f}×")


if __name__ == "__main__":
    main()
