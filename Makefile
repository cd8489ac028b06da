# The two commands of the README, and a few more for developers.
#   make run          set up everything on the embedded default, load the demo county, serve on :8000
#   make test         the whole test suite on SpatiaLite
#   make test DB=postgis   the same suite on PostgreSQL + PostGIS (see README)
#   make e2e          the journeys in a real browser (Chromium; screenshots in e2e-artifacts/)
#   make drills       the reliability drills only (tests/drills; DB=postgis for the PostGIS ones)

SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
POSTGIS_URL ?= postgis://postgres@127.0.0.1:5432/citydispatch
PYTEST_ARGS ?=
E2E_TESTS ?= tests/e2e

ifeq ($(DB),postgis)
# The reliability drills (tests/drills, about a minute) run with the PostGIS suite: CI runs them there.
TEST_ENV := DATABASE_URL=$(POSTGIS_URL) DRILLS=1
TEST_PREP := bash scripts/postgis.sh
else
TEST_ENV :=
TEST_PREP := :
endif

.PHONY: run setup setup-dev test drills e2e lint bench-grids messages clean

setup:
	@bash scripts/bootstrap.sh

setup-dev:
	@bash scripts/bootstrap.sh dev

run: setup
	@DEBUG=1 $(PY) manage.py migrate --noinput
	@DEBUG=1 $(PY) manage.py seed_demo --if-empty
	@echo "==> Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@DEBUG=1 $(PY) manage.py serve $(HOST):$(PORT)

test: setup-dev
	@$(TEST_PREP)
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

drills: setup-dev
	@$(TEST_PREP)
	$(TEST_ENV) DRILLS=1 $(PY) -m pytest -m drill tests/drills $(PYTEST_ARGS)

e2e:
	@bash scripts/e2e.sh
	E2E=1 $(PY) -m pytest $(E2E_TESTS) $(PYTEST_ARGS)

lint: setup-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

messages: setup-dev
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=bench --ignore=tests
	$(PY) scripts/po_fill.py locale/sources/*.json
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

bench-grids: setup-dev
	$(PY) bench/grid_lookup.py

clean:
	rm -rf .venv db.sqlite3 .test-db*.sqlite3 media staticfiles e2e-artifacts backups
