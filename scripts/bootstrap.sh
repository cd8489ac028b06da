#!/usr/bin/env bash
# Prepare this machine to run the product: system libraries for GeoDjango and
# SpatiaLite, a virtual environment made with an interpreter that can load
# SQLite extensions, and the pinned requirements.
#
#   scripts/bootstrap.sh            runtime requirements
#   scripts/bootstrap.sh dev        plus test and lint tools
#
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-runtime}
VENV=${VENV:-.venv}
SYSTEM_PACKAGES="binutils libproj-dev gdal-bin libsqlite3-mod-spatialite python3-venv"

say() { printf '==> %s\n' "$*"; }

have_system_libs() {
  # GDAL, GEOS and PROJ for GeoDjango; mod_spatialite for the embedded database.
  # (Read the cache once: `ldconfig -p | grep -q` dies of SIGPIPE under pipefail.)
  local libs
  libs=$( { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } ; ls /usr/lib/*/mod_spatialite.so* 2>/dev/null)
  grep -q 'libgdal\.so' <<<"$libs" && grep -q 'libgeos_c\.so' <<<"$libs" &&
    grep -q 'libproj\.so' <<<"$libs" && grep -q 'mod_spatialite\.so' <<<"$libs"
}

install_system_libs() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      cat >&2 <<MSG
The system libraries for GeoDjango and SpatiaLite are missing, and this script
cannot install them without root. Please run:

    sudo apt-get update && sudo apt-get install -y $SYSTEM_PACKAGES

(on Fedora/RHEL: sudo dnf install gdal proj geos libspatialite python3)
then run this command again.
MSG
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "No apt-get here. Install GDAL, GEOS, PROJ and mod_spatialite with your package manager, then run again." >&2
    exit 1
  fi
  say "Installing system libraries: $SYSTEM_PACKAGES"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $SYSTEM_PACKAGES >/dev/null
}

can_load_extensions() {
  "$1" -c "import sqlite3, sys; sqlite3.connect(':memory:').enable_load_extension(True); assert sys.version_info >= (3, 11)" 2>/dev/null
}

pick_python() {
  # pyenv and some other builds disable SQLite extension loading; Debian's does not.
  for candidate in /usr/bin/python3.11 /usr/bin/python3.12 /usr/bin/python3 python3.11 python3.12 python3; do
    local path
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if can_load_extensions "$path"; then echo "$path"; return 0; fi
  done
  return 1
}

if ! have_system_libs; then
  install_system_libs
fi

if [ -x "$VENV/bin/python" ] && ! can_load_extensions "$VENV/bin/python"; then
  say "$VENV was made with a Python that cannot load SQLite extensions; making it again"
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  python=$(pick_python) || {
    echo "No Python 3.11+ that can load SQLite extensions was found. On Debian/Ubuntu: apt-get install -y python3 python3-venv" >&2
    exit 1
  }
  say "Creating $VENV with $python"
  if ! "$python" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    install_system_libs  # python3-venv provides ensurepip
    "$python" -m venv "$VENV"
  fi
fi

requirements=requirements.txt
[ "$want" = dev ] && requirements=requirements-dev.txt
stamp="$VENV/.installed-$want"
if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  say "Installing $requirements"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi
