"""Backup, then restore into a fresh database and media folder: the same row in every table, and a
case photo that still opens. On SpatiaLite (SQLite's online backup) and on PostGIS (pg_dump)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import CasePhoto
from ops.backup import table_counts
from tests.cases.conftest import city, report  # noqa: F401 (fixtures)
from tests.photos import noise_jpeg

ROOT = Path(settings.BASE_DIR)


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def fresh_database(tmp_path):
    """A database URL nobody uses yet (a new PostGIS database, or a new SpatiaLite file)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("spatialite"):
        yield f"spatialite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"{db['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = dict(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None
    )
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # from template1, which has PostGIS (scripts/postgis.sh)
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    yield f"postgis://{auth}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_row_and_a_photo_that_opens(
    city, report, tmp_path, fresh_database
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = report(photos=[SimpleUploadedFile("before.jpg", noise_jpeg(), "image/jpeg")])
    photo = CasePhoto.objects.get(case=case)
    before = table_counts()
    assert before["cases_case"] == 1 and before["cases_casephoto"] == 1

    call_command("backup", output=tmp_path / "backups")
    [archive] = (tmp_path / "backups").glob("citydispatch-*.tar")
    assert (tmp_path / "backups" / f"{archive.name}.sha256").exists()

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": fresh_database,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    summary = json.loads(_manage(env, "restore", str(archive)).strip().splitlines()[-1])
    assert summary["mismatched"] == {} and summary["media_files"] >= 1

    check = (
        "import json\n"
        "from PIL import Image\n"
        "from ops.backup import table_counts\n"
        "from cases.models import CasePhoto\n"
        "photo = CasePhoto.objects.get()\n"
        "Image.open(photo.original.path).verify()\n"
        "print(json.dumps({'counts': table_counts(), 'photo': photo.original.name}))\n"
    )
    after = json.loads(_manage(env, "shell", "--no-imports", "-c", check).strip().splitlines()[-1])
    assert after["counts"] == before
    assert after["photo"] == photo.original.name


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_damaged_archive_and_a_database_that_holds_cases(city, report, tmp_path):
    report()
    call_command("backup", output=tmp_path)
    [archive] = tmp_path.glob("citydispatch-*.tar")
    with pytest.raises(CommandError, match="already holds cases"):
        call_command("restore", str(archive))
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(archive), "--force")
