"""Benchmark: the assessment dashboard over 1,000,000 cases and three years, on PostGIS.

    .venv/bin/python bench/assessments_dashboard.py [--cases 1000000] [--years 3] [--runs 15] [--cold-runs 5] [--reuse]

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

Then the stored figures of the months that are over are computed (what the beat's
assessments.refresh_facts does), and timed.

Measured, each several times (median and p95), cold and warm:
  1. ranking of all community grids for one quarter (closure rate, on-time rate,
     overdue, rework, score …) through assessments.selectors.grid_ranking;
  2. the dashboard's monthly trend: twelve months through assessments.selectors.trend,
     (a) all twelve months over (read from the stored months), (b) the current month
     not over (eleven stored, one from the rollup), and (c) the rollup path alone
     (selectors.monthly_figures: what trend does for months not stored or for a slice
     combining two dimensions);
and the best hand-written SQL for the same figures in the same run: one statement per
table over the rollup, one over the stored months, and for reference the closure rate
straight from the cases table. Cold: a new connection (a new PostgreSQL backend, so no
cached catalogue, plans or prepared statements) and a period not read before in the run; PostgreSQL is not
restarted and the OS page cache is not dropped (the machine is shared), so "cold" means
"not in PostgreSQL's shared buffers as far as the run can arrange", and the share of the
rollup's pages in shared buffers is recorded before each cold read (pg_buffercache).
Warm: the same period read again, after one untimed read. A selector and its hand-written
counterparts are measured in turns, read for read, so that the other jobs on the machine weigh
on both alike. The load average is recorded around every measure: on a shared 2-core machine
it moves every figure.

Results: a table on stdout and bench/out/assessments_dashboard.json.
Targets (issue 4): warm < 300 ms, cold < 2 s, within 2× of the hand-written SQL.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
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
  SELECT row_number() OVER (ORDER BY m.id) AS n, m.id AS micro, c.id AS community, l.id AS large, l.parent_id AS district,
    ST_PointOnSurface(m.boundary) AS point
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
SELECT raw.i, raw.reported_at, m.point, m.micro, m.community, m.large, m.district, cat.id AS category, cat.department,
  (ARRAY['inspector','inspector','inspector','citizen','citizen','hotline','camera','chief_patrol'])[1 + (raw.r6 * 8)::int %% 8] AS source,
  CASE WHEN raw.r1 < 0.95 THEN raw.reported_at + interval '20 minutes' END AS filed_at,
  CASE WHEN raw.r1 < 0.93 THEN raw.reported_at + interval '40 minutes' END AS dispatched_at,
  CASE WHEN raw.r1 < 0.93 AND raw.r2 < 0.97 THEN raw.reported_at + (1 + raw.r3 * 30) * interval '1 hour' END AS handled_at,
  raw.r1, raw.r2, raw.r3, raw.r4, raw.r5
FROM raw
JOIN micro m ON m.n = 1 + (floor(power(raw.r5, 1.7) * raw.nm))::int %% raw.nm
JOIN cat ON cat.n = 1 + (raw.i::bigint * 7919) %% (SELECT count(*) FROM cat);
CREATE OR REPLACE FUNCTION pg_temp.local_month(timestamptz) RETURNS int IMMUTABLE LANGUAGE sql AS
  $$ SELECT (extract(year FROM $1 AT TIME ZONE 'Asia/Shanghai') * 12
             + extract(month FROM $1 AT TIME ZONE 'Asia/Shanghai') - 1)::int $$;
INSERT INTO cases_case (tracking_number, source, status, location, address, micro_grid_id, community_grid_id,
  large_grid_id, district_grid_id, responsible_role, category_id, urgency, description, reporter_name,
  reporter_phone, department_id, handling_deadline, overdue, rework_count, extension_count, send_back_count,
  reported_at, filed_at, dispatched_at, handled_at, closed_at, updated_at, supervised, reporter_phone_hash)
SELECT 'B' || lpad(i::text, 11, '0'), source,
  CASE WHEN filed_at IS NULL THEN 'rejected' WHEN r1 > 0.93 THEN 'cancelled' WHEN handled_at IS NULL THEN 'dispatched'
       WHEN r4 < 0.9 THEN 'closed' ELSE 'handled' END,
  point, '', micro, community, large, district, '', category, 'normal', '', '', '',
  department, dispatched_at + interval '24 hours', r3 > 0.8, (r2 > 0.95)::int, (r4 > 0.96)::int, (r5 > 0.97)::int,
  reported_at, filed_at, dispatched_at, handled_at,
  CASE WHEN handled_at IS NOT NULL AND r4 < 0.9 THEN handled_at + interval '2 hours' END, reported_at, false, ''
FROM gen ORDER BY i;
INSERT INTO assessments_casefact (case_id, last_event_id, micro_grid_id, community_grid_id, large_grid_id,
  district_grid_id, department_id, category_id, source, responsible_id, reported_on, reported_at, filed_on, filed_at,
  dispatched_at, handled_at, reworked_at, extended_at, suspended_at, closed_at, cancelled_at, late_at, handling_hours,
  is_open, reported_month, filed_month, dispatched_month, handled_month, reworked_month, extended_month,
  suspended_month, closed_month, late_month)
SELECT f.*, pg_temp.local_month(reported_at), pg_temp.local_month(filed_at), pg_temp.local_month(dispatched_at),
  pg_temp.local_month(handled_at), pg_temp.local_month(reworked_at), pg_temp.local_month(extended_at),
  pg_temp.local_month(suspended_at), pg_temp.local_month(closed_at), pg_temp.local_month(late_at)
FROM (
SELECT c.id, 0, c.micro_grid_id, c.community_grid_id, c.large_grid_id, c.district_grid_id, c.department_id,
  c.category_id, c.source, NULL::bigint, (c.reported_at AT TIME ZONE 'Asia/Shanghai')::date, c.reported_at,
  (c.filed_at AT TIME ZONE 'Asia/Shanghai')::date, c.filed_at, c.dispatched_at, c.handled_at,
  CASE WHEN c.rework_count > 0 THEN c.handled_at - interval '1 hour' END AS reworked_at,
  CASE WHEN c.extension_count > 0 THEN c.dispatched_at + interval '2 hours' END AS extended_at,
  CASE WHEN c.send_back_count > 0 AND c.handled_at IS NULL THEN c.dispatched_at + interval '3 hours' END AS suspended_at,
  c.closed_at,
  CASE WHEN c.status = 'cancelled' THEN c.filed_at + interval '1 hour' END,
  CASE WHEN c.overdue THEN c.handling_deadline END AS late_at,
  CASE WHEN c.handled_at IS NOT NULL THEN round((extract(epoch FROM c.handled_at - c.dispatched_at) / 3600 * 0.35)::numeric, 4) END,
  c.status NOT IN ('closed', 'rejected', 'cancelled')
FROM cases_case c WHERE c.id >= %(first_id)s ORDER BY c.id) f;
INSERT INTO assessments_eventfact (event_id, case_id, kind, "on", at, micro_grid_id, community_grid_id, large_grid_id,
  district_grid_id, department_id, category_id, source, responsible_id, month)
SELECT -case_id, case_id, 'dispatch', (dispatched_at AT TIME ZONE 'Asia/Shanghai')::date, dispatched_at, micro_grid_id,
  community_grid_id, large_grid_id, district_grid_id, department_id, category_id, source, NULL, dispatched_month
FROM assessments_casefact WHERE dispatched_at IS NOT NULL AND case_id >= %(first_id)s ORDER BY case_id;
"""


def load_cases(*, n: int, start: datetime.datetime, end: datetime.datetime) -> None:
    """Write `n` cases reported between `start` and `end` over the grids and catalogue already
    loaded, and their rollup rows, with SQL (CASES_SQL); the counted events point at no event
    (the loader writes none: their ids are the cases' ids, negated, and their constraint goes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'assessments_eventfact'::regclass "
            "AND confrelid = 'cases_caseevent'::regclass"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE assessments_eventfact DROP CONSTRAINT "{name}"')
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM cases_case")
        (first_id,) = cursor.fetchone()
        for statement in [s for s in CASES_SQL.split(";\n") if s.strip()]:
            cursor.execute(statement, {"n": n, "start": start, "end": end, "first_id": first_id})
        cursor.execute("ANALYZE")


# The best hand-written SQL for the same figures: one statement per table, over the rollup.
F = "filed_on BETWEEN %(s)s AND %(e)s AND filed_at < %(cut)s"  # the filed cohort
A = F + " AND cancelled_at IS NULL"  # assessed
R = "reported_on BETWEEN %(s)s AND %(e)s AND reported_at < %(cut)s"  # the reports cohort
HAND_RANKING = f"""
SELECT community_grid_id,
  count(*) FILTER (WHERE {R}) AS reports,
  count(*) FILTER (WHERE {R} AND filed_at < %(cut)s) AS reports_filed,
  count(*) FILTER (WHERE {F}) AS filed,
  count(*) FILTER (WHERE {F} AND cancelled_at IS NOT NULL) AS cancelled,
  count(*) FILTER (WHERE {A}) AS assessed,
  count(*) FILTER (WHERE {A} AND closed_at < %(cut)s) AS closed,
  count(*) FILTER (WHERE {A} AND (suspended_at IS NULL OR suspended_at >= %(cut)s)) AS on_time_base,
  count(*) FILTER (WHERE {A} AND (suspended_at IS NULL OR suspended_at >= %(cut)s) AND closed_at < %(cut)s
                   AND (late_at IS NULL OR late_at >= %(cut)s)) AS on_time,
  count(*) FILTER (WHERE {A} AND late_at < %(cut)s) AS overdue,
  count(*) FILTER (WHERE {A} AND dispatched_at < %(cut)s) AS dispatched,
  count(*) FILTER (WHERE {A} AND handled_at < %(cut)s) AS handled,
  count(*) FILTER (WHERE {A} AND reworked_at < %(cut)s) AS reworked,
  count(*) FILTER (WHERE {A} AND extended_at < %(cut)s) AS extended,
  count(*) FILTER (WHERE {A} AND suspended_at < %(cut)s) AS suspended,
  sum(handling_hours) FILTER (WHERE {A} AND handled_at < %(cut)s) AS hours
FROM assessments_casefact
WHERE (filed_on BETWEEN %(s)s AND %(e)s) OR (reported_on BETWEEN %(s)s AND %(e)s)
GROUP BY community_grid_id
"""
HAND_RANKING_EVENTS = """
SELECT community_grid_id, kind, count(*) FROM assessments_eventfact
WHERE "on" BETWEEN %(s)s AND %(e)s AND at < %(cut)s GROUP BY community_grid_id, kind
"""


def _by_month(moment: str, own: str) -> str:
    """Happened by the cut-off of the row's own month (`own`: its cohort month column)."""
    return f"{moment}_at < %(cut)s AND {moment}_month <= {own}"


def _not_by_month(moment: str, own: str) -> str:
    return f"({moment}_at IS NULL OR {moment}_at >= %(cut)s OR {moment}_month > {own})"


# Every figure of every month of the range in one statement over the cases (each row measured
# against the end of its own month through the month columns) and one over the events.
HAND_TREND = f"""
SELECT reported_month, filed_month,
  count(*) FILTER (WHERE {R}) AS reports,
  count(*) FILTER (WHERE {R} AND {_by_month("filed", "reported_month")}) AS reports_filed,
  count(*) FILTER (WHERE {F}) AS filed,
  count(*) FILTER (WHERE {F} AND cancelled_at IS NOT NULL) AS cancelled,
  count(*) FILTER (WHERE {A}) AS assessed,
  count(*) FILTER (WHERE {A} AND {_by_month("closed", "filed_month")}) AS closed,
  count(*) FILTER (WHERE {A} AND {_not_by_month("suspended", "filed_month")}) AS on_time_base,
  count(*) FILTER (WHERE {A} AND {_by_month("closed", "filed_month")} AND {_not_by_month("suspended", "filed_month")}
                   AND {_not_by_month("late", "filed_month")}) AS on_time,
  count(*) FILTER (WHERE {A} AND {_by_month("late", "filed_month")}) AS overdue,
  count(*) FILTER (WHERE {A} AND {_by_month("dispatched", "filed_month")}) AS dispatched,
  count(*) FILTER (WHERE {A} AND {_by_month("handled", "filed_month")}) AS handled,
  count(*) FILTER (WHERE {A} AND {_by_month("reworked", "filed_month")}) AS reworked,
  count(*) FILTER (WHERE {A} AND {_by_month("extended", "filed_month")}) AS extended,
  count(*) FILTER (WHERE {A} AND {_by_month("suspended", "filed_month")}) AS suspended,
  sum(handling_hours) FILTER (WHERE {A} AND {_by_month("handled", "filed_month")}) AS hours
FROM assessments_casefact
WHERE (filed_on BETWEEN %(s)s AND %(e)s) OR (reported_on BETWEEN %(s)s AND %(e)s)
GROUP BY reported_month, filed_month
"""
HAND_TREND_EVENTS = """
SELECT month, kind, count(*) FROM assessments_eventfact
WHERE "on" BETWEEN %(s)s AND %(e)s AND at < %(cut)s GROUP BY month, kind
"""
# The months that are over, from the stored figures.
HAND_STORED = """
SELECT month, counts, handling_hours FROM assessments_monthfigures
WHERE dim = 'all' AND key = '' AND month BETWEEN %(ms)s AND %(me)s
"""
# What a hand-written reader must also ask before it trusts the rollup: has any case changed since?
HAND_FRESHNESS = (
    "SELECT (SELECT max(id) FROM cases_caseevent), (SELECT last_event_id FROM assessments_rollupstate WHERE id = 1)"
)
# For reference: the closure rate per community straight from the cases table.
RAW_RANKING = """
SELECT community_grid_id, count(*) FILTER (WHERE status <> 'cancelled') AS filed,
  count(*) FILTER (WHERE status = 'closed' AND closed_at < %(cut)s) AS closed
FROM cases_case
WHERE filed_at >= %(start_at)s AND filed_at < %(cut)s
GROUP BY community_grid_id
"""
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "n": len(ordered),
            "all_ms": [round(v, 1) for v in values]}  # fmt: skip


def in_shared_buffers() -> float | None:
    """The share of the rollup's pages in PostgreSQL's shared buffers (None without pg_buffercache)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_buffercache'")
        if not cursor.fetchone():
            return None
        cursor.execute(
            "SELECT count(*) FROM pg_buffercache b JOIN pg_class c ON b.relfilenode = pg_relation_filenode(c.oid) "
            "WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND c.relname IN ('assessments_casefact', 'assessments_eventfact')"
        )
        cached = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (pg_relation_size('assessments_casefact') + pg_relation_size('assessments_eventfact')) / 8192"
        )
        return round(cached / max(cursor.fetchone()[0], 1), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15, help="warm reads per measure")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold reads per measure (each a new period)")
    parser.add_argument("--postgis-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="measure the existing bench database, load nothing")
    args = parser.parse_args()

    setup_django(args.postgis_url if args.reuse else recreate_database("postgis", args.postgis_url))
    from django.core.management import call_command
    from django.db import connection

    from assessments.models import MonthFigures, RollupState
    from assessments.months import months_refresh
    from assessments.selectors import Period, grid_ranking, monthly_figures, trend
    from assessments.tables import trend_period
    from cases.catalogue import catalogue_load, departments_load
    from demo.regions import demo_region_classes_ensure
    from demo.territory import build_demo_county
    from grids.services import grid_import

    end = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
    start = end - datetime.timedelta(days=365 * args.years)
    now = end  # 1 October 2026, 08:00 in Shanghai: September is over
    load = {}
    if not args.reuse:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        demo_region_classes_ensure()  # the county's villages name the rural class
        grid_import(data=build_demo_county().geojson)
        departments_load()
        catalogue_load()
        load["setup_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        load_cases(n=args.cases, start=start, end=end)
        RollupState.objects.update_or_create(pk=1, defaults={"last_event_id": 0})
        load["cases_s"] = round(time.perf_counter() - started, 1)
        print(f"loaded {args.cases:,} cases in {load['cases_s']:.0f} s", flush=True)
    if args.reuse:
        MonthFigures.objects.all().delete()
    started = time.perf_counter()
    load["months_stored"] = months_refresh(now=now)
    load["months_refresh_s"] = round(time.perf_counter() - started, 1)
    print(f"stored the figures of {load['months_stored']} months in {load['months_refresh_s']:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assessments_monthfigures")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_buffercache")
        cursor.execute("SELECT pg_size_pretty(pg_relation_size('assessments_casefact')), "
                       "pg_size_pretty(pg_relation_size('assessments_eventfact')), "
                       "(SELECT count(*) FROM assessments_monthfigures)")  # fmt: skip
        load["casefact_size"], load["eventfact_size"], load["monthfigures_rows"] = cursor.fetchone()
    connection.close()

    # Cold reads each take a period not read before; warm reads repeat the first.
    quarters = [Period.containing("quarter", datetime.date(y, m, 1))
                for y, m in ((2026, 7), (2026, 4), (2026, 1), (2025, 10), (2025, 7), (2025, 4), (2025, 1), (2024, 10),
                             (2024, 7), (2024, 4), (2024, 1))][: args.cold_runs + 1]  # fmt: skip
    windows = [
        trend_period(Period.containing("month", datetime.date(2026, 9 - k, 1))) for k in range(args.cold_runs + 1)
    ]
    # The dashboard in the middle of a month: the current month from the rollup, eleven stored.
    mid_now = [datetime.datetime(2026, 9 - k, 20, tzinfo=SHANGHAI) for k in range(args.cold_runs + 1)]

    def cut_of(period, at=now):
        return min(datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min,
                                             tzinfo=SHANGHAI), at)  # fmt: skip

    def qparams(period, at=now):
        from assessments.facts import month_index

        return {"s": period.start, "e": period.end, "cut": cut_of(period, at),
                "start_at": datetime.datetime.combine(period.start, datetime.time.min, tzinfo=SHANGHAI),
                "ms": month_index(period.start), "me": month_index(period.end)}  # fmt: skip

    def hand(*statements, **params):
        def run():
            with connection.cursor() as cursor:
                for sql, p in statements:
                    cursor.execute(sql, p or params)
                    cursor.fetchall()

        return run

    def hand_dashboard_trend(window, at):
        """Eleven stored months and the current one over the rollup, by hand."""
        current = Period.custom(at.date().replace(day=1), window.end)
        stored = {**qparams(window, at), "me": qparams(current, at)["ms"] - 1}
        return hand((HAND_STORED, stored), (HAND_TREND, qparams(current, at)),
                    (HAND_TREND_EVENTS, qparams(current, at)))  # fmt: skip

    measures = {
        "ranking: selectors.grid_ranking": [
            lambda q=q: grid_ranking(period=q, level="community", now=now, min_cases=10) for q in quarters
        ],
        "ranking: hand SQL over the rollup": [
            hand((HAND_RANKING, None), (HAND_RANKING_EVENTS, None), **qparams(q)) for q in quarters
        ],
        "ranking: hand SQL, cases table, 2 figures": [hand((RAW_RANKING, None), **qparams(q)) for q in quarters],
        "trend, 12 months over: selectors.trend": [lambda w=w: trend(period=w, now=now) for w in windows],
        "trend, 12 months over: hand SQL, stored months": [hand((HAND_STORED, None), **qparams(w)) for w in windows],
        "trend, 12 months over: hand SQL, freshness check + stored months": [
            hand((HAND_FRESHNESS, None), (HAND_STORED, None), **qparams(w)) for w in windows
        ],
        "trend, current month open: selectors.trend": [
            lambda w=w, at=at: trend(period=w, now=at) for w, at in zip(windows, mid_now, strict=True)
        ],
        "trend, current month open: hand SQL": [
            hand_dashboard_trend(w, at) for w, at in zip(windows, mid_now, strict=True)
        ],
        "trend, a year from the rollup: selectors.monthly_figures": [
            lambda w=w: monthly_figures(period=w, now=now) for w in windows
        ],
        "trend, a year from the rollup: hand SQL": [
            hand((HAND_TREND, None), (HAND_TREND_EVENTS, None), **qparams(w)) for w in windows
        ],
    }
    # The selector and its hand-written counterparts are measured in turns (ours, hand, ours, hand …)
    # so that the other jobs on the machine weigh on both alike.
    groups: dict[str, list[str]] = {}
    for name in measures:
        groups.setdefault(name.split(":")[0], []).append(name)
    results = {}
    for names in groups.values():
        load_before = os.getloadavg()[0]
        cold = {name: [] for name in names}
        buffers = {name: [] for name in names}
        for i in range(1, len(measures[names[0]])):
            for name in names:
                buffers[name].append(in_shared_buffers())
                # cold: a new connection, i.e. a new backend process with nothing cached in the session
                # (more than DISCARD ALL clears), and a period not read before in the run
                connection.close()
                connection.ensure_connection()
                cold[name].append(timed(measures[name][i]))
        for name in names:
            measures[name][0]()  # untimed first read of the warm period
        warm = {name: [] for name in names}
        for _ in range(args.runs):
            for name in names:
                warm[name].append(timed(measures[name][0]))
        load_after = os.getloadavg()[0]
        for name in names:
            results[name] = {"cold": summary(cold[name]), "warm": summary(warm[name]),
                             "rollup_in_shared_buffers_before_cold": buffers[name],
                             "load_average": [load_before, load_after]}  # fmt: skip
            r = results[name]
            print(f"{name:66} cold {r['cold']['median_ms']:>8} / {r['cold']['p95_ms']:>8}   "
                  f"warm {r['warm']['median_ms']:>8} / {r['warm']['p95_ms']:>8}   "
                  f"load {load_before:.1f}→{load_after:.1f}", flush=True)  # fmt: skip

    def ratio(ours: str, theirs: str) -> float:
        return round(results[ours]["warm"]["median_ms"] / results[theirs]["warm"]["median_ms"], 2)

    ratios = {
        "ranking": ratio("ranking: selectors.grid_ranking", "ranking: hand SQL over the rollup"),
        "trend, 12 months over": ratio(
            "trend, 12 months over: selectors.trend", "trend, 12 months over: hand SQL, stored months"
        ),  # fmt: skip
        "trend, 12 months over (hand SQL with the freshness check)": ratio(
            "trend, 12 months over: selectors.trend", "trend, 12 months over: hand SQL, freshness check + stored months"
        ),  # fmt: skip
        "trend, current month open": ratio(
            "trend, current month open: selectors.trend", "trend, current month open: hand SQL"
        ),  # fmt: skip
        "trend, a year from the rollup": ratio(
            "trend, a year from the rollup: selectors.monthly_figures", "trend, a year from the rollup: hand SQL"
        ),  # fmt: skip
    }
    report = {
        "cases": args.cases,
        "years": args.years,
        "load": load,
        "results": results,
        "ratios_warm_median": ratios,
        "targets": {"warm_ms": TARGET_WARM_MS, "cold_ms": TARGET_COLD_MS, "ratio": TARGET_RATIO},
        "machine": machine_facts("postgresql"),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "assessments_dashboard.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"{'measure (ms: median / p95)':66} {'cold':>19} {'warm':>19}")
    for name, r in results.items():
        print(f"{name:66} {r['cold']['median_ms']:>8} / {r['cold']['p95_ms']:>8} "
              f"{r['warm']['median_ms']:>8} / {r['warm']['p95_ms']:>8}")  # fmt: skip
    print("selectors / hand SQL (warm medians): " + ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
