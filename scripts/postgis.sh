#!/usr/bin/env bash
# Make a local PostgreSQL ready for the PostGIS test run (and for production
# trials): server running, PostGIS installed, the database and extension there.
#   POSTGIS_URL=postgis://postgres@127.0.0.1:5432/citydispatch (default)
set -euo pipefail
url=${POSTGIS_URL:-postgis://postgres@127.0.0.1:5432/citydispatch}
db=${url##*/}
hostport=${url#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}
user=${url#postgis://}; user=${user%%@*}
psql_() { psql -v ON_ERROR_STOP=1 -qAt -h "$host" -p "$port" -U "$user" "$@"; }

sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo -n"

if ! psql_ -d postgres -c 'select 1' >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "==> Starting PostgreSQL"
    $sudo pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
    sleep 2
  fi
  psql_ -d postgres -c 'select 1' >/dev/null || { echo "PostgreSQL is not reachable at $host:$port as $user" >&2; exit 1; }
fi

major=$(psql_ -d postgres -c 'show server_version_num' | cut -c1-2)
if [ -z "$(psql_ -d postgres -c "select 1 from pg_available_extensions where name='postgis'")" ]; then
  echo "==> Installing PostGIS for PostgreSQL $major"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
fi

if [ -z "$(psql_ -d postgres -c "select 1 from pg_database where datname='$db'")" ]; then
  echo "==> Creating database $db"
  psql_ -d postgres -c "create database \"$db\""
fi
psql_ -d "$db" -c 'create extension if not exists postgis' >/dev/null
# Test databases are copies of template1: give it PostGIS so they inherit it.
psql_ -d template1 -c 'create extension if not exists postgis' >/dev/null
echo "==> PostGIS ready in $db"
