"""Benchmark: intake, the case lists and queue, one case, and the dashboard, at a county's size and
at a megacity's, each against what it is measured by: a bare Django + DRF one-model create
endpoint built beside the project, the same list at 10,000 cases, a peer project's case detail.

    .venv/bin/python bench/intake.py                       # load everything, then measure
    .venv/bin/python bench/intake.py --reuse               # measure the databases loaded before
    .venv/bin/python bench/intake.py --reuse --only intake,lists --rounds 5 --duration 10
    .venv/bin/python bench/intake.py --reuse --peer /path/to/6aika/issue-reporting   # the detail's peer

PostgreSQL + PostGIS at 127.0.0.1:5432 (user postgres), each database dropped and recreated
unless --reuse (their names end in "_bench"):

  citydispatch_scale_county_bench  the demo county (seed_demo: 410 micro grids, ~690 places, the
                                   catalogue, the logins, four months of cases through the service,
                                   with events and photos) and SQL-written cases up to --county-cases
  citydispatch_scale_bare_bench    the bare baseline: one model, a DRF create endpoint, token auth
  citydispatch_scale_10k_bench     40,000 micro grids (bench/grid_lookup.py's lattice) and 10,000 cases
  citydispatch_scale_1m_bench      the same grids and --big cases (1,000,000): the loader of
                                   bench/assessments_dashboard.py, rollup rows and stored months included
  citydispatch_scale_peer_bench    with --peer: the peer's own database and its random issues

Every server is gunicorn with 2 sync workers on 127.0.0.1, DEBUG off, CONN_MAX_AGE=60, Redis as
the cache (the memo stamps); load is wrk -t2 -c8 for --duration seconds, the variants of one
measure interleaved round after round (ours, theirs, ours, theirs …) so that the other jobs of
this shared 2-core machine weigh on both alike, medians of the rounds; the load average is
recorded with every measure. Statement counts come from the project's code run in-process on the
same databases, with BEGIN and COMMIT counted and every SELECT explained (a sequential scan of a
large table is named). Results: a table on stdout and bench/out/intake.json.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "bench"))
PY = sys.executable
PG = "postgis://postgres@127.0.0.1:5432/"
DATABASES = {
    "county": "citydispatch_scale_county_bench",
    "bare": "citydispatch_scale_bare_bench",
    "10k": "citydispatch_scale_10k_bench",
    "1m": "citydispatch_scale_1m_bench",
    "peer": "citydispatch_scale_peer_bench",
}
REDIS_CACHE = "redis://127.0.0.1:6379/11"
OPEN = "reported,verifying,filed,pending_approval,dispatched,returned,suspended,handled,checking,checked"
NOW = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)  # the loaders' cases end here (three years)
TARGETS = {
    "intake_ratio": 0.40,
    "intake_p95_half_ms": 30.0,
    "intake_statements": 9,
    "list_flat_ratio": 0.8,
    "queue_ttfb_ms": 300.0,
    "detail_ratio": 1.0,
    "dashboard_statements": 30,
    "dashboard_warm_ms": 300.0,
    "dashboard_cold_ms": 2000.0,
}


SQLITE = {"sqlite": OUT / "county.sqlite3", "bare-sqlite": OUT / "bare.sqlite3"}


def db_url(key: str) -> str:
    if key in SQLITE:
        return f"spatialite:///{SQLITE[key]}"
    return PG + DATABASES[key]


# ---- databases (each loaded in a process of its own: Django is set up once per process) ----


def stage(name: str, *args: str) -> dict:
    """Run `bench/intake.py _<name> …` in a child process; what it prints last is its JSON answer."""
    done = subprocess.run([PY, __file__, f"_{name}", *args], capture_output=True, text=True)
    sys.stderr.write(done.stderr[-4000:])
    done.check_returncode()
    return json.loads(done.stdout.strip().splitlines()[-1])


def _django(url: str, *, debug: bool = False) -> None:
    from grid_lookup import setup_django

    os.environ.setdefault("MEDIA_ROOT", str(OUT / "media"))
    os.environ.setdefault("CACHE_URL", REDIS_CACHE)
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY  # the servers' own: their sessions are signed with it
    setup_django(url)
    from django.conf import settings

    settings.DEBUG = debug


def _users(roles: dict[str, str], *, tokens: int = 0) -> dict:
    """Users with these roles (name → role), API tokens for the first `tokens` clerks, and a
    session for each (the cookie of its pages)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.tokens import api_token_create

    made = {"tokens": {}, "sessions": {}}
    for name, role in roles.items():
        user, _created = get_user_model().objects.get_or_create(username=name)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        made["tokens"][name] = api_token_create(user=user, name="bench")[1]
        client = Client()
        client.force_login(user)
        made["sessions"][name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    for n in range(tokens):
        user, _created = get_user_model().objects.get_or_create(username=f"clerk{n}")
        user.groups.add(Group.objects.get_or_create(name="intake_clerk")[0])
        made["tokens"][f"clerk{n}"] = api_token_create(user=user, name="bench")[1]
    return made


def load_county(url: str, cases: int) -> dict:
    """The demo county through seed_demo, more cases by SQL, the people the measures act as."""
    _django(url)
    from assessments_dashboard import load_cases
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from assessments.months import months_refresh
    from cases.models import Case

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    settings.DEBUG = True  # seed_demo's own guard; the data is the demo's
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
    settings.DEBUG = False
    seeded = Case.objects.count()
    if cases > seeded:
        load_cases(n=cases - seeded, start=NOW - datetime.timedelta(days=3 * 365), end=NOW)
    months_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would do soon after a load: the visibility map too
    people = _users({"bench_supervisor": "supervisor", "bench_dispatcher": "dispatcher"}, tokens=8)
    return {
        "seeded": seeded,
        "cases": Case.objects.count(),
        "load_s": round(time.perf_counter() - started, 1),
        **people,
    }


def load_lattice(url: str, cases: int) -> dict:
    """40,000 micro grids (1,600 community, 100 large, one district) and `cases` cases by SQL."""
    _django(url)
    from assessments_dashboard import load_cases
    from django.core.management import call_command
    from django.db import connection
    from grid_lookup import Lattice

    from assessments.months import months_refresh
    from cases.catalogue import catalogue_load, departments_load
    from cases.models import Case
    from grids.services import grid_import

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    grid_import(data=Lattice(200).feature_collection())
    departments_load()
    catalogue_load()
    load_cases(n=cases, start=NOW - datetime.timedelta(days=3 * 365), end=NOW)
    months_refresh(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum would do soon after a load: the visibility map too
    people = _users({"bench_supervisor": "supervisor", "bench_dispatcher": "dispatcher"})
    return {"cases": Case.objects.count(), "load_s": round(time.perf_counter() - started, 1), **people}


def _recreate(url: str) -> None:
    from grid_lookup import recreate_database

    recreate_database("postgis", url)


# ---- the bare baseline: Django + DRF, one model, one create endpoint, token auth -------------------

BARE_FILES = {
    "bare/__init__.py": "",
    "bare/models.py": """
        from django.db import models

        class Report(models.Model):
            source = models.CharField(max_length=20)
            lon = models.FloatField()
            lat = models.FloatField()
            address = models.CharField(max_length=200, blank=True)
            category = models.IntegerField(null=True)
            description = models.TextField(blank=True)
            reporter_name = models.CharField(max_length=50, blank=True)
            reporter_phone = models.CharField(max_length=30, blank=True)
            request_id = models.CharField(max_length=64, null=True, unique=True)
            created_at = models.DateTimeField(auto_now_add=True)
        """,
    "bare/views.py": """
        from rest_framework import generics, serializers
        from rest_framework.permissions import IsAuthenticated

        from bare.models import Report

        class ReportSerializer(serializers.ModelSerializer):
            class Meta:
                model = Report
                fields = "__all__"

        class Reports(generics.CreateAPIView):
            serializer_class = ReportSerializer
            permission_classes = [IsAuthenticated]
        """,
    "bare/urls.py": """
        from django.urls import path

        from bare.views import Reports

        urlpatterns = [path("api/reports/", Reports.as_view())]
        """,
    "bare/settings.py": """
        import os

        SECRET_KEY = os.environ["SECRET_KEY"]
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1"]
        INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework",
                          "rest_framework.authtoken", "bare"]
        MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
        ROOT_URLCONF = "bare.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["BARE_DB"],
                                 "USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432, "CONN_MAX_AGE": 60}}
        if os.environ.get("BARE_SQLITE"):  # beside the project on SQLite: the same settings it has there
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BARE_SQLITE"],
                                     "CONN_MAX_AGE": 60, "OPTIONS": {"timeout": 20,
                                     "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}}}
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        USE_TZ = True
        REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
                          "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
                          "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"]}
        """,
    "bare/wsgi.py": """
        import os

        from django.core.wsgi import get_wsgi_application

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bare.settings")
        application = get_wsgi_application()
        """,
}
BARE_DIR = OUT / "bare-project"


def bare_build() -> Path:
    for name, text in BARE_FILES.items():
        path = BARE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return BARE_DIR


def bare_env(sqlite: bool = False) -> dict:
    return {"PYTHONPATH": str(BARE_DIR), "DJANGO_SETTINGS_MODULE": "bare.settings",
            "BARE_DB": DATABASES["bare"], "SECRET_KEY": "bare-" + "x" * 40,
            **({"BARE_SQLITE": str(SQLITE["bare-sqlite"])} if sqlite else {})}  # fmt: skip


def load_bare(rows: int, *, sqlite: bool = False) -> dict:
    """Its tables (syncdb: the app has no migrations), `rows` rows like the county's cases, a token."""
    bare_build()
    env = {**os.environ, **bare_env(sqlite)}
    subprocess.run([PY, "-m", "django", "migrate", "--run-syncdb", "-v", "0"], env=env, check=True, cwd=BARE_DIR)
    script = f"""
import django; django.setup()
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from bare.models import Report
Report.objects.bulk_create([Report(source="hotline", lon=118.6, lat=34.9, description="x" * 40) for _ in range({rows})],
                           batch_size=2000)
user, _ = User.objects.get_or_create(username="clerk")
print(Token.objects.get_or_create(user=user)[0].key)
"""
    done = subprocess.run([PY, "-c", script], env=env, check=True, cwd=BARE_DIR, capture_output=True, text=True)
    return {"rows": rows, "token": done.stdout.strip().splitlines()[-1]}


# ---- the peer: 6aika/issue-reporting (Helsinki's Open311 server), for the case detail ------------

PEER_VENV = OUT / "peer-venv"


def peer_env() -> dict:
    return {"DATABASE_URL": db_url("peer"), "SECRET_KEY": "peer-" + "p" * 40, "DEBUG": "0",
            "PYTHONPATH": "", "DJANGO_SETTINGS_MODULE": "cfh.settings"}  # fmt: skip


def load_peer(path: Path, issues: int) -> dict:
    """Its own virtual environment (its pinned requirements: Django 3.2, DRF 3.13; psycopg2 and
    gunicorn added), its own database, `issues` random issues made by its own command."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["/usr/bin/python3.11", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(path / "requirements.txt"),
                        "psycopg2-binary==2.9.10", "gunicorn==23.0.0"], check=True)  # fmt: skip
    env = {**os.environ, **peer_env()}
    subprocess.run([str(python), "manage.py", "migrate", "-v", "0"], env=env, check=True, cwd=path)
    script = f"""
import django; django.setup()
from django.core.management import call_command
from issues.models import Issue, Service
service = Service(service_code="litter")
service.set_current_language("en")
service.service_name = "Litter"
service.save()
call_command("cfh_generate_random_issues", count={issues}, service="litter", min_lat=60.1, max_lat=60.3,
             min_lon=24.8, max_lon=25.1, stdout=open("/dev/null", "w"))
print(",".join(Issue.objects.order_by("?").values_list("identifier", flat=True)[:20]))
"""
    done = subprocess.run([str(python), "-c", script], env=env, check=True, cwd=path, capture_output=True, text=True)
    return {"issues": issues, "identifiers": done.stdout.strip().splitlines()[-1].split(","), "path": str(path)}


# ---- servers and load -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn, 2 sync workers, on a free port of 127.0.0.1; its log in bench/out/."""

    def __init__(self, name: str, *, app: str, env: dict, cwd: Path = ROOT, python: str = PY) -> None:
        self.name, self.app, self.env, self.cwd, self.python = name, app, env, cwd, python
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        log = open(OUT / f"server-{self.name}.log", "ab")  # noqa: SIM115 (the server writes it while it runs)
        self.process = subprocess.Popen(
            [self.python, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--bind",
             f"127.0.0.1:{self.port}", "--timeout", "120", "--log-level", "warning", self.app],
            env={**os.environ, **self.env}, cwd=self.cwd, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; see {OUT}/server-{self.name}.log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()


BENCH_SECRET_KEY = "bench-" + "k" * 40
BENCH_PII_KEYS = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()  # reporters' contacts (config.pii)


def project_env(key: str) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "0", "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": db_url(key), "CONN_MAX_AGE": "60", "CACHE_URL": REDIS_CACHE,
        "MEDIA_ROOT": str(OUT / "media"), "STATIC_ROOT": str(OUT / "static"), "LOG_LEVEL": "WARNING",
        "PII_KEYS": BENCH_PII_KEYS,
    }  # fmt: skip


LUA = {
    # A JSON POST with a new request id each time, the points and tokens given, in turns.
    "post": """
        local points, tokens, path, extra, run = {POINTS}, {TOKENS}, "{PATH}", '{EXTRA}', "{RUN}"
        local threads, n = 0, 0  -- `me`: set in each thread by setup()
        setup = function(thread)
          threads = threads + 1
          thread:set("me", threads)
        end
        request = function()
          n = n + 1
          local p = points[(n % #points) + 1]
          -- a request id never sent before: this run's own prefix, the thread, a counter
          local id = string.format("%s-%d-%d", run, me or 0, n)
          local body = string.format('{"lon": %.6f, "lat": %.6f, "request_id": "%s"%s}', p[1], p[2], id, extra)
          return wrk.format("POST", path, {["Content-Type"] = "application/json",
            ["Authorization"] = "Token " .. tokens[(n % #tokens) + 1]}, body)
        end
        """,
    # A GET of the paths given, in turns, with a header (token or session cookie).
    "get": """
        local paths, header, value = {PATHS}, "{HEADER}", "{VALUE}"
        local n = 0
        request = function()
          n = n + 1
          local headers = {}
          if header ~= "" then headers[header] = value end
          return wrk.format("GET", paths[(n % #paths) + 1], headers)
        end
        """,
    "delay": """
        delay = function() return {DELAY} end
        """,
    "report": """
        local statuses = {}
        response = function(status, headers, body)
          statuses[status] = (statuses[status] or 0) + 1
        end
        done = function(summary, latency, requests)
          local out = {requests = summary.requests, duration_us = summary.duration,
            errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
            non2xx = summary.errors.status, p50 = latency:percentile(50), p90 = latency:percentile(90),
            p95 = latency:percentile(95), p99 = latency:percentile(99), max = latency.max}
          io.write("WRK_JSON " .. string.format(
            '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p90_us": %d, ' ..
            '"p95_us": %d, "p99_us": %d, "max_us": %d}\\n', out.requests, out.duration_us, out.errors, out.non2xx,
            out.p50, out.p90, out.p95, out.p99, out.max))
        end
        """,
}


def lua_table(values) -> str:
    def item(v):
        if isinstance(v, list | tuple):
            return "{" + ", ".join(item(x) for x in v) + "}"
        if isinstance(v, str):
            return json.dumps(v)
        return repr(v)

    return item(list(values))


def wrk(url: str, script: str, *, duration: int, connections: int = 8, threads: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=OUT, delete=False) as f:
        f.write(script.replace("{RUN}", secrets.token_hex(8)) + LUA["report"])
    load = os.getloadavg()[0]
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", f.name, url],
        capture_output=True, text=True, timeout=duration + 60,
    )  # fmt: skip
    os.unlink(f.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    r = json.loads(line.removeprefix("WRK_JSON "))
    seconds = r["duration_us"] / 1e6
    return {
        "rps": round(r["requests"] / seconds, 1),
        "p50_ms": r["p50_us"] / 1000, "p90_ms": r["p90_us"] / 1000, "p95_ms": r["p95_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000, "max_ms": r["max_us"] / 1000,
        "requests": r["requests"], "errors": r["errors"], "non2xx": r["non2xx"],
        "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def interleaved(variants: dict, *, rounds: int) -> dict:
    """Each variant (name → a function answering one wrk result) once per round, in turns, after one
    untimed run of each (new server processes: connections, the process's memos, prepared statements)."""
    for run in variants.values():
        run()
    runs = {name: [] for name in variants}
    for _round in range(rounds):
        for name, run in variants.items():
            runs[name].append(run())
            print(f"    {name:44} {runs[name][-1]['rps']:>8} req/s  p95 {runs[name][-1]['p95_ms']:8.1f} ms  "
                  f"load {runs[name][-1]['load_after']}", flush=True)  # fmt: skip
    return {name: summarise(results) for name, results in runs.items()}


def summarise(results: list[dict]) -> dict:
    failed = sum(r["errors"] + r["non2xx"] for r in results)
    if failed:
        print(f"    !! {failed} requests failed or were answered with an error status", flush=True)
    return {
        "rps_median": round(statistics.median(r["rps"] for r in results), 1),
        "p50_ms_median": round(statistics.median(r["p50_ms"] for r in results), 2),
        "p95_ms_median": round(statistics.median(r["p95_ms"] for r in results), 2),
        "p99_ms_median": round(statistics.median(r["p99_ms"] for r in results), 2),
        "errors": sum(r["errors"] + r["non2xx"] for r in results),
        "load": [min(r["load_before"] for r in results), max(r["load_after"] for r in results)],
        "rounds": results,
    }


def get_ms(url: str, headers: dict) -> tuple[float, int]:
    """Time to the first byte of the answer, and its status (127.0.0.1 only)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
    response = connection.getresponse()
    response.read(1)
    first = time.perf_counter()
    response.read()
    connection.close()
    return (first - started) * 1000, response.status


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 1)


# ---- statements, counted in-process on the same databases ------------------------------------


def count_statements(key: str) -> dict:
    """What intake, a list, the queue, one case and the dashboard send to the database: counted
    with the project's code in this process on database `key`, BEGIN and COMMIT included (psycopg
    sends them around a transaction; Django's query log does not show them), every SELECT
    explained, and a sequential scan of a table of more than 10,000 rows named."""
    _django(db_url(key))
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    loaded = json.loads((OUT / ("intake-loaded-sqlite.json" if key == "sqlite" else "intake-loaded.json")).read_text())[
        key
    ]
    loaded["sessions"] = _users({"bench_supervisor": "supervisor", "bench_dispatcher": "dispatcher"})["sessions"]
    sent: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    commits = [0]
    commit = connection.commit

    def counted_commit():
        commits[0] += 1
        return commit()

    connection.commit = counted_commit
    token = {"HTTP_AUTHORIZATION": f"Token {loaded['tokens']['bench_dispatcher']}"}
    api = Client(**token)
    page = Client()
    page.cookies[settings.SESSION_COOKIE_NAME] = loaded["sessions"]["bench_dispatcher"]
    boss = Client()
    boss.cookies[settings.SESSION_COOKIE_NAME] = loaded["sessions"]["bench_supervisor"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_case ORDER BY id DESC LIMIT 1")
        newest = cursor.fetchone()[0]
        cursor.execute("SELECT case_id FROM cases_caseevent GROUP BY case_id ORDER BY count(*) DESC, case_id LIMIT 1")
        rich = (cursor.fetchone() or [newest])[0]
    requests = {
        "list of 100 open cases (API)": (api.get, f"/api/cases/?status={OPEN}&page_size=100", {}),
        "queue page": (page.get, "/cases/", {}),
        "queue page, one status": (page.get, "/cases/?status=dispatched", {}),
        "one case (API)": (api.get, f"/api/cases/{rich}/", {}),
        "dashboard, a quarter": (boss.get, "/assessments/?period=quarter&day=2026-08-15", {}),
    }
    if key in ("county", "sqlite"):
        clerk = Client(HTTP_AUTHORIZATION=f"Token {loaded['tokens']['clerk0']}")
        from grids.models import Grid

        point = Grid.objects.filter(level="micro").order_by("id").first().boundary.point_on_surface
        lon, lat = point.x, point.y
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM cases_category WHERE active ORDER BY id LIMIT 1")
            category = cursor.fetchone()[0]

        def report(_path, **_kw):
            body = {"lon": lon, "lat": lat, "source": "hotline", "category": category, "description": "路边暴露垃圾",
                    "request_id": secrets.token_hex(16)}  # fmt: skip
            return clerk.post("/api/cases/", body, content_type="application/json")

        requests = {"intake (API, token, JSON)": (report, "", {}), **requests}
    found = {}
    for name, (call, path, extra) in requests.items():
        call(path, **extra)  # the process's memos; the connection's first use
        sent.clear()
        commits[0] = 0
        with connection.execute_wrapper(record):
            response = call(path, **extra)
        statements = [sql for sql, _params in sent]
        scans = _sequential_scans(connection, sent)
        begun = sum(sql.startswith("BEGIN") for sql in statements)  # SQLite's BEGIN IMMEDIATE is in the log
        found[name] = {
            "status": response.status_code,
            "statements": len(statements) + commits[0] + max(0, commits[0] - begun),
            "transactions": commits[0],
            "sequential_scans_of_large_tables": scans,
            "sql": [sql[:160] for sql in statements],
        }
    return found


def _sequential_scans(connection, sent) -> list[str]:
    scans = []
    if connection.vendor == "sqlite":
        return _sqlite_scans(connection, sent)
    with connection.cursor() as cursor:
        for sql, params in sent:
            text = sql.split(" FOR SELECT ", 1)[-1] if sql.startswith("DECLARE") else sql
            if not text.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + text, params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            for node in _nodes(plan[0]["Plan"]):
                if node["Node Type"] == "Seq Scan":
                    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [node["Relation Name"]])
                    rows = cursor.fetchone()[0]
                    if rows > 10_000:
                        scans.append(f"{node['Relation Name']} ({rows:.0f} rows)")
    return scans


def _sqlite_scans(connection, sent) -> list[str]:
    """SQLite: a plan step "SCAN <table>" (no index) of a table of more than 10,000 rows."""
    scans = []
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for sql, params in sent:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            for row in cursor.fetchall():
                detail = row[-1]
                if detail.startswith("SCAN ") and " USING " not in detail:
                    table = detail.split()[1]
                    if table not in tables:  # a subquery, a constant row
                        continue
                    cursor.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 10001)')
                    if cursor.fetchone()[0] > 10_000:
                        scans.append(detail)
    return scans


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


# ---- main -------------------------------------------------------------------------------------


def load_sqlite(args) -> dict:
    """The county on SpatiaLite (seed_demo, then cases written with the ORM up to --county-cases: the
    SQL loader is PostgreSQL's) and the bare baseline on SQLite beside it."""
    for path in SQLITE.values():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    loaded = {
        "sqlite": stage("load_sqlite", str(args.county_cases)),
        "bare-sqlite": load_bare(args.county_cases, sqlite=True),
    }
    (OUT / "intake-loaded-sqlite.json").write_text(json.dumps(loaded, indent=2))
    return loaded


def load_sqlite_county(cases: int) -> dict:
    _django(db_url("sqlite"))
    import random

    from django.conf import settings
    from django.core.management import call_command

    from cases.models import Case, Category, Source, Status
    from grids.models import Grid

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    settings.DEBUG = True
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
    settings.DEBUG = False
    seeded = Case.objects.count()
    rng = random.Random(2026)
    micro = list(Grid.objects.filter(level="micro").select_related("parent__parent").only(
        "id", "boundary", "parent__id", "parent__parent__id", "parent__parent__parent_id"))  # fmt: skip
    categories = list(Category.objects.filter(active=True))
    statuses = [Status.CLOSED] * 80 + [Status.HANDLED] * 9 + [Status.DISPATCHED] * 3 + [Status.REJECTED] * 5 + [
        Status.CANCELLED] * 3  # fmt: skip
    start = NOW - datetime.timedelta(days=3 * 365)
    rows = []
    for n in range(cases - seeded):
        grid = rng.choice(micro)
        category = rng.choice(categories)
        at = start + datetime.timedelta(seconds=rng.uniform(0, 3 * 365 * 86400))
        rows.append(Case(
            tracking_number=f"S{n:011d}", source=rng.choice(Source.values), status=rng.choice(statuses),
            location=grid.boundary.point_on_surface, micro_grid_id=grid.pk, community_grid_id=grid.parent_id,
            large_grid_id=grid.parent.parent_id, district_grid_id=grid.parent.parent.parent_id, category=category,
            department_id=category.default_department_id, reported_at=at, description="（基准数据）",
        ))  # fmt: skip
    Case.objects.bulk_create(sorted(rows, key=lambda c: c.reported_at), batch_size=2000)
    people = _users({"bench_supervisor": "supervisor", "bench_dispatcher": "dispatcher"}, tokens=8)
    return {
        "seeded": seeded,
        "cases": Case.objects.count(),
        "load_s": round(time.perf_counter() - started, 1),
        **people,
    }


def load_all(args) -> dict:
    loaded = {}
    for key in ("county", "bare", "10k", "1m"):
        if key == "1m" and args.big <= 0:
            continue
        started = time.perf_counter()
        print(f"loading {DATABASES[key]} …", flush=True)
        _recreate(db_url(key))
        if key == "county":
            loaded[key] = stage("load_county", str(args.county_cases))
        elif key == "bare":
            loaded[key] = load_bare(args.county_cases)
        else:
            loaded[key] = stage("load_lattice", db_url(key), str(10_000 if key == "10k" else args.big))
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    (OUT / "intake-loaded.json").write_text(json.dumps(loaded, indent=2))
    return loaded


STAGES = {
    "_load_county": lambda n: print(json.dumps(load_county(db_url("county"), int(n)))),
    "_load_lattice": lambda url, n: print(json.dumps(load_lattice(url, int(n)))),
    "_statements": lambda key: print(json.dumps(count_statements(key))),
    "_fixtures": lambda key: print(json.dumps(fixtures(key))),
    "_load_sqlite": lambda n: print(json.dumps(load_sqlite_county(int(n)))),
}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in STAGES:
        STAGES[sys.argv[1]](*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="measure the databases loaded before")
    parser.add_argument("--load-only", action="store_true", help="load the databases, measure nothing")
    parser.add_argument("--only", default="intake,statements,lists,queue,detail,dashboard")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--county-cases", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="cases of the megacity database (0: none)")
    parser.add_argument("--peer", type=Path, help="a checkout of 6aika/issue-reporting: the case detail's peer")
    parser.add_argument(
        "--spatialite", action="store_true", help="the county on SpatiaLite, the bare baseline on SQLite"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.spatialite:
        loaded = json.loads((OUT / "intake-loaded-sqlite.json").read_text()) if args.reuse else load_sqlite(args)
        if not args.load_only:
            measure(args, loaded)
        return
    if not args.reuse:
        load_all(args)
    if args.peer and (not args.reuse or not (OUT / "intake-peer.json").exists()):
        _recreate(db_url("peer"))
        (OUT / "intake-peer.json").write_text(json.dumps(load_peer(args.peer.resolve(), args.county_cases)))
    if args.load_only:
        return
    measure(args, json.loads((OUT / "intake-loaded.json").read_text()))


def fixtures(key: str) -> dict:
    """What the load needs from database `key`: points inside its micro grids, a category, the
    service-made cases with the most events, the cursor of the 10th page of the open cases (a depth
    both the 10,000 cases, 1,200 of them open, and the million have)."""
    _django(db_url(key))
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.selectors import case_list, case_page
    from grids.models import Grid

    micro = Grid.objects.filter(level="micro").order_by("id").only("boundary")[:200]
    points = [[round(p.x, 6), round(p.y, 6)] for p in (g.boundary.point_on_surface for g in micro)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_category WHERE active ORDER BY id LIMIT 1")
        category = cursor.fetchone()[0]
        cursor.execute("SELECT case_id FROM cases_caseevent GROUP BY case_id ORDER BY count(*) DESC, case_id LIMIT 20")
        rich = [row[0] for row in cursor.fetchall()]
    user = get_user_model().objects.get(username="bench_dispatcher")
    cases = case_list(user=user, statuses=OPEN.split(","))
    cursor_10 = None
    page = case_page(cases=cases, size=100)
    for _ in range(9):
        if page.next is None:
            break
        cursor_10 = page.next
        page = case_page(cases=cases, cursor=page.next, size=100)
    rows_10 = len(page.rows)
    people = _users({"bench_supervisor": "supervisor", "bench_dispatcher": "dispatcher"})  # fresh sessions
    return {"points": points, "category": category, "rich_cases": rich, "cursor_10": cursor_10, "rows_10": rows_10,
            **people}  # fmt: skip


def measure(args, loaded: dict) -> None:
    only = set(args.only.split(","))
    report: dict = {"args": vars(args) | {"peer": str(args.peer) if args.peer else None}, "targets": TARGETS}
    report["machine"] = {"load_average_start": os.getloadavg(), "cpus": os.cpu_count()}
    out = OUT / ("intake-sqlite.json" if args.spatialite else "intake.json")
    if out.exists():  # measures not run this time keep their last figures
        report = {**json.loads(out.read_text()), **report}
    keys = ["sqlite"] if args.spatialite else ["county", "10k"] + (["1m"] if "1m" in loaded else [])
    # DEBUG off: the pages name their static files from the manifest collectstatic writes.
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], check=True, cwd=ROOT,
                   env={**os.environ, **project_env(keys[0])})  # fmt: skip
    for key in keys:  # the code measured may have migrations the databases loaded before do not
        subprocess.run([PY, "manage.py", "migrate", "-v", "0"], check=True, cwd=ROOT,
                       env={**os.environ, **project_env(key)})  # fmt: skip
    if "statements" in only:
        report["statements"] = {key: stage("statements", key) for key in keys}
        print(json.dumps({k: {n: v["statements"] for n, v in r.items()} for k, r in report["statements"].items()}))
    fixture = {key: stage("fixtures", key) for key in keys}
    servers: dict[str, Server] = {}
    try:
        if "intake" in only:
            report["intake"] = measure_intake(args, loaded, fixture[keys[0]], servers, keys[0])
        if "lists" in only:
            report["lists"] = measure_lists(args, loaded, fixture, servers, keys)
        if "queue" in only:
            report["queue"] = measure_ttfb(args, fixture, servers, keys, "bench_dispatcher",
                                           ["/cases/", "/cases/?status=dispatched"], warm=3, runs=20)  # fmt: skip
        if "detail" in only:
            report["detail"] = measure_detail(args, loaded, fixture[keys[0]], servers, keys[0])
        if "dashboard" in only:
            report["dashboard"] = measure_dashboard(args, fixture, servers, keys)
    finally:
        for server in servers.values():
            server.stop()
    report["machine"]["load_average_end"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=2, default=str))
    print_report(report)


def server(servers: dict, key: str) -> Server:
    if key not in servers:
        if key in ("bare", "bare-sqlite"):
            servers[key] = Server(key, app="bare.wsgi", env=bare_env(key == "bare-sqlite"), cwd=BARE_DIR).start()
        elif key == "peer":
            env = peer_env()
            servers[key] = Server(
                "peer",
                app="cfh.wsgi",
                env=env,
                cwd=Path(json.loads((OUT / "intake-peer.json").read_text())["path"]),
                python=str(PEER_VENV / "bin" / "python"),
            ).start()
        else:
            servers[key] = Server(key, app="config.wsgi", env=project_env(key)).start()
    return servers[key]


def measure_intake(args, loaded, fixture, servers, key="county") -> dict:
    extra = (f', "source": "hotline", "category": {fixture["category"]}, "description": "路边暴露垃圾", '
             '"reporter_name": "王小明", "reporter_phone": "13812341234"')  # fmt: skip
    bare_key = "bare-sqlite" if key == "sqlite" else "bare"
    ours, bare = server(servers, key), server(servers, bare_key)
    tokens = [v for k, v in loaded[key]["tokens"].items() if k.startswith("clerk")]

    def script(path, tokens_):
        return (LUA["post"].replace("{POINTS}", lua_table(fixture["points"])).replace("{TOKENS}", lua_table(tokens_))
                .replace("{PATH}", path).replace("{EXTRA}", extra))  # fmt: skip

    ours_script, bare_script = script("/api/cases/", tokens), script("/api/reports/", [loaded[bare_key]["token"]])
    print("intake: the project and the bare baseline, in turns", flush=True)
    result = interleaved({
        "project: POST /api/cases/": lambda: wrk(ours.base, ours_script, duration=args.duration),
        "bare Django + DRF: POST /api/reports/": lambda: wrk(bare.base, bare_script, duration=args.duration),
    }, rounds=args.rounds)  # fmt: skip
    mine, theirs = result["project: POST /api/cases/"], result["bare Django + DRF: POST /api/reports/"]
    result["ratio"] = round(mine["rps_median"] / theirs["rps_median"], 3)
    # Half the load: each connection waits between its requests so that together they send
    # about half the project's saturated rate.
    target = mine["rps_median"] / 2
    delay = max(1, round(8 * 1000 / target - mine["p50_ms_median"] / 2))
    half = []
    for _round in range(args.rounds):
        run = wrk(ours.base, ours_script + LUA["delay"].replace("{DELAY}", str(delay)), duration=args.duration)
        half.append(run)
        if run["rps"] > target * 1.15:
            delay = round(delay * run["rps"] / target)
        elif run["rps"] < target * 0.85:
            delay = max(1, round(delay * run["rps"] / target))
        print(f"    half load: {run['rps']} req/s (aim {target:.0f}), p95 {run['p95_ms']} ms", flush=True)
    result["half_load"] = {"aim_rps": round(target, 1), **summarise(half)}
    return result


def measure_lists(args, loaded, fixture, servers, keys) -> dict:
    result = {}
    for label, query in (("first page", ""), ("10th page", "cursor_10")):
        variants = {}
        for key in [k for k in ("10k", "1m", "sqlite") if k in keys]:
            path = f"/api/cases/?status={OPEN}&page_size=100"
            if query:
                if not fixture[key].get(query):
                    continue
                path += f"&cursor={fixture[key][query]}"
            lua = (LUA["get"].replace("{PATHS}", lua_table([path])).replace("{HEADER}", "Authorization")
                   .replace("{VALUE}", "Token " + loaded[key]["tokens"]["bench_dispatcher"]))  # fmt: skip
            base = server(servers, key).base
            variants[f"{key}: {label}"] = lambda base=base, lua=lua: wrk(base, lua, duration=args.duration)
        print(f"list of 100 open cases, {label}: 10k and 1M in turns", flush=True)
        result[label] = interleaved(variants, rounds=args.rounds)
        if len(variants) == 2:
            names = list(variants)
            result[label]["ratio_1m_to_10k"] = round(
                result[label][names[1]]["rps_median"] / result[label][names[0]]["rps_median"], 3
            )
    return result


def measure_ttfb(args, loaded, servers, keys, user, paths, *, warm: int, runs: int) -> dict:
    """Time to the first byte of pages read one after the other (a person, not a crowd)."""
    result = {}
    cookie = {key: f"sessionid={loaded[key]['sessions'][user]}" for key in keys}
    for path in paths:
        print(f"TTFB {path}", flush=True)
        times = {key: [] for key in keys}
        for key in keys:
            for _ in range(warm):
                get_ms(server(servers, key).base + path, {"Cookie": cookie[key]})
        load = os.getloadavg()[0]
        for _ in range(runs):
            for key in keys:
                ms, status = get_ms(server(servers, key).base + path, {"Cookie": cookie[key]})
                assert status == 200, (key, path, status)
                times[key].append(ms)
        result[path] = {key: {"median_ms": round(statistics.median(v), 1), "p95_ms": pct(v, 95), "n": len(v)}
                        for key, v in times.items()} | {"load": [round(load, 2), round(os.getloadavg()[0], 2)]}  # fmt: skip
        print("   ", result[path], flush=True)
    return result


def measure_detail(args, loaded, fixture, servers, key="county") -> dict:
    ours = server(servers, key)
    paths = [f"/api/cases/{pk}/" for pk in fixture["rich_cases"]]
    lua = (LUA["get"].replace("{PATHS}", lua_table(paths)).replace("{HEADER}", "Authorization")
           .replace("{VALUE}", "Token " + loaded[key]["tokens"]["bench_dispatcher"]))  # fmt: skip
    variants = {"project: GET /api/cases/<id>/ (dispatcher)": lambda: wrk(ours.base, lua, duration=args.duration)}
    if args.peer and key == "county":
        peer_info = json.loads((OUT / "intake-peer.json").read_text())
        peer = server(servers, "peer")
        peer_paths = [f"/api/georeport/v2/requests/{i}.json" for i in peer_info["identifiers"]]
        peer_lua = LUA["get"].replace("{PATHS}", lua_table(peer_paths)).replace("{HEADER}", "").replace("{VALUE}", "")
        variants["peer (6aika/issue-reporting): GET /api/georeport/v2/requests/<id>.json"] = lambda: wrk(
            peer.base, peer_lua, duration=args.duration
        )
    print("case detail: the project and the peer, in turns", flush=True)
    result = interleaved(variants, rounds=args.rounds)
    if len(variants) == 2:
        names = list(variants)
        result["ratio"] = round(result[names[0]]["rps_median"] / result[names[1]]["rps_median"], 3)
    return result


QUARTERS = ["2026-08-15", "2026-05-15", "2026-02-15", "2025-11-15", "2025-08-15", "2025-05-15"]


def measure_dashboard(args, loaded, servers, keys) -> dict:
    """Warm: one quarter read once untimed, then 15 times. Cold: a quarter not read before, through
    a new database connection (a server of its own with CONN_MAX_AGE=0: a new PostgreSQL backend,
    nothing cached in the session), its processes warmed first on a page of another year; five
    quarters. "First after a restart": the same, the very first request of new processes."""
    result = {}
    url = "/assessments/?period=quarter&day="
    for key in keys:
        cookie = {"Cookie": f"sessionid={loaded[key]['sessions']['bench_supervisor']}"}
        base = server(servers, key).base
        load = os.getloadavg()[0]
        get_ms(base + url + QUARTERS[0], cookie)
        warm = [get_ms(base + url + QUARTERS[0], cookie)[0] for _ in range(15)]
        fresh = Server(f"{key}-cold", app="config.wsgi", env={**project_env(key), "CONN_MAX_AGE": "0"}).start()
        try:
            for _ in range(4):  # both workers past their first request, on rows of another year
                get_ms(fresh.base + url + "2024-02-15", cookie)
            cold = []
            for day in QUARTERS[1:]:
                ms, status = get_ms(fresh.base + url + day, cookie)
                assert status == 200, (key, status)
                cold.append(ms)
            fresh.restart()
            first, _status = get_ms(fresh.base + url + "2023-11-15", cookie)
        finally:
            fresh.stop()
        result[key] = {
            "warm": {"median_ms": round(statistics.median(warm), 1), "p95_ms": pct(warm, 95)},
            "cold": {"median_ms": round(statistics.median(cold), 1), "max_ms": round(max(cold), 1)},
            "first_after_restart_ms": round(first, 1),
            "load": [round(load, 2), round(os.getloadavg()[0], 2)],
        }
        print(f"dashboard {key}: {result[key]}", flush=True)
    return result


def print_report(report: dict) -> None:
    print("\n=== results (medians of the rounds) ===")
    if "statements" in report:
        for key, found in report["statements"].items():
            for name, r in found.items():
                print(
                    f"statements {key:7} {name:36} {r['statements']:>3}  seq scans: {r['sequential_scans_of_large_tables']}"
                )
    if "intake" in report:
        i = report["intake"]
        for name, r in i.items():
            if isinstance(r, dict) and "rps_median" in r:
                print(f"intake {name:48} {r['rps_median']:>8} req/s  p95 {r['p95_ms_median']} ms  load {r['load']}")
        print(
            f"intake ratio {i['ratio']} (target ≥ {TARGETS['intake_ratio']}); at half load "
            f"{i['half_load']['rps_median']} req/s p95 {i['half_load']['p95_ms_median']} ms (target < 30)"
        )
    for label, r in report.get("lists", {}).items():
        for name, v in r.items():
            if isinstance(v, dict):
                print(f"list {name:48} {v['rps_median']:>8} req/s  p50 {v['p50_ms_median']} ms  load {v['load']}")
        if "ratio_1m_to_10k" in r:
            print(f"list {label}: 1M / 10k = {r['ratio_1m_to_10k']} (target ≥ {TARGETS['list_flat_ratio']})")
    for path, r in report.get("queue", {}).items():
        print(f"queue TTFB {path}: {r}")
    if "detail" in report:
        for name, v in report["detail"].items():
            if isinstance(v, dict):
                print(f"detail {name:60} {v['rps_median']:>8} req/s  p95 {v['p95_ms_median']} ms")
        if "ratio" in report["detail"]:
            print(f"detail ratio {report['detail']['ratio']} (target ≥ 1)")
    for key, r in report.get("dashboard", {}).items():
        print(f"dashboard {key}: {r}")


if __name__ == "__main__":
    main()
