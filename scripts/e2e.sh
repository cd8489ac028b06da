#!/usr/bin/env bash
# Prepare this machine for the browser journeys (make e2e): what scripts/bootstrap.sh dev
# prepares, plus Debian's Chromium, Chinese fonts for readable screenshots, and Playwright
# (the Python package only: it drives the system's Chromium; `playwright install`, which
# downloads a browser, is never needed and fails on a closed network).
#
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}
PACKAGES="chromium fonts-wqy-microhei"

say() { printf '==> %s\n' "$*"; }

bash scripts/bootstrap.sh dev

if [ ! -x "$CHROMIUM" ] || ! fc-list 2>/dev/null | grep -qi 'wqy'; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      cat >&2 <<MSG
The browser journeys need Chromium (and Chinese fonts for the screenshots), and this script
cannot install them without root. Please run:

    sudo apt-get update && sudo apt-get install -y $PACKAGES

(or point E2E_CHROMIUM at another Chromium or Chrome binary) then run this command again.
MSG
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "No apt-get here. Install Chromium with your package manager and set E2E_CHROMIUM to its path." >&2
    exit 1
  fi
  say "Installing $PACKAGES"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
fi

stamp="$VENV/.installed-e2e"
if [ ! -f "$stamp" ] || [ requirements-e2e.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ] ||
  [ requirements.txt -nt "$stamp" ]; then
  say "Installing requirements-e2e.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-e2e.txt
  touch "$stamp"
fi
