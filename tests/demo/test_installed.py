"""The demo app exists only on development machines (DEBUG) and in a `manage.py seed_demo`
process: a production process never has its commands, and seed_demo still refuses to run
there without --force. Each case starts the real settings in a fresh interpreter."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {"SECRET_KEY": "k" * 40, "ALLOWED_HOSTS": "city.example"}


def run(args: list[str], tmp_path, **values) -> subprocess.CompletedProcess:
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={
            **keep,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": f"spatialite:///{tmp_path / 'unused.sqlite3'}",  # never opened
            **values,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def installed(tmp_path, **values) -> bool:
    code = "import django; django.setup(); from django.apps import apps; print(apps.is_installed('demo'))"
    result = run(["-c", code], tmp_path, **values)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "True"


def test_it_is_installed_with_debug_on(tmp_path):
    assert installed(tmp_path, DEBUG="1")


def test_it_is_not_installed_with_debug_off(tmp_path):
    assert not installed(tmp_path, **PRODUCTION)


def test_it_has_no_commands_in_production(tmp_path):
    result = run(["manage.py", "load_demo_history"], tmp_path, **PRODUCTION)

    assert result.returncode != 0
    assert "Unknown command: 'load_demo_history'" in result.stderr


def test_it_is_installed_when_seed_demo_is_asked_for_and_still_refuses_without_force(tmp_path):
    # --skip-checks: with DEBUG off the system checks want collectstatic's manifest first.
    result = run(["manage.py", "seed_demo", "--skip-checks"], tmp_path, **PRODUCTION)

    assert result.returncode != 0
    assert "seed_demo creates accounts" in result.stderr
    assert "pass --force" in result.stderr
    assert not (tmp_path / "unused.sqlite3").exists()
