"""Backups: the database and the media files (case photos, bulletin PDFs) in one dated archive,
with a checksum beside it; and restoring one (docs/OPERATIONS.md "Backup and restore").

- PostGIS: `pg_dump --format=custom` (a consistent snapshot while the site runs), restored with
  `pg_restore --clean --if-exists --no-owner`.
- SpatiaLite: SQLite's online backup API, which copies the database as one consistent snapshot,
  including what is still in the write-ahead log (a plain copy of the file loses that).
- Media: every file under MEDIA_ROOT, added after the database: a photo uploaded meanwhile may be
  in the archive without its row (harmless), never a row without its file.

The archive holds `manifest.json` (when, which engine, the row count of every table, the media
files), `database.dump` or `database.sqlite3`, and `media/`. `<archive>.sha256` is in the format
`sha256sum -c` reads. A restore checks the checksum first and the row counts last.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

FORMAT = 1


class BackupError(Exception):
    pass


def _engine() -> str:
    return "postgis" if settings.DATABASES["default"]["ENGINE"].endswith("postgis") else "spatialite"


def _pg_env() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def table_counts() -> dict[str, int]:
    """Rows in every table of the product (each model's table, many-to-many tables included)."""
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed}
        & set(connection.introspection.table_names())
    )
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _media_files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_create(*, directory: Path) -> Path:
    """Write `citydispatch-<engine>-<YYYYmmdd-HHMMSS>.tar` (and its .sha256) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = directory / f"citydispatch-{engine}-{stamp}.tar"
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        work = Path(work)
        counts = table_counts()  # before the dump: a row added meanwhile shows as one more, never fewer
        if engine == "postgis":
            dump = work / "database.dump"
            args, env = _pg_env()
            name = settings.DATABASES["default"]["NAME"]
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args, "-f", str(dump), name], env)
        else:
            dump = work / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            target = sqlite3.connect(dump)
            try:
                source.backup(target)  # one consistent snapshot, the write-ahead log included
            finally:
                target.close()
                source.close()
        media_root = Path(settings.MEDIA_ROOT)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": engine,
            "database": dump.name,
            "database_sha256": sha256_of(dump),
            "tables": counts,
            "media_files": len(_media_files(media_root)),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        partial = archive.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(dump, arcname=dump.name)
            if media_root.exists():
                tar.add(media_root, arcname="media")
        partial.rename(archive)  # a backup that stopped halfway never looks complete
    (archive.parent / f"{archive.name}.sha256").write_text(f"{sha256_of(archive)}  {archive.name}\n")
    return archive


@dataclass
class Restored:
    archive: Path
    manifest: dict
    counts: dict[str, int]
    mismatched: dict[str, tuple[int, int | None]]  # table → (in the backup, now)


def _verify_checksum(archive: Path) -> None:
    sidecar = archive.parent / f"{archive.name}.sha256"
    if not sidecar.exists():
        raise BackupError(f"{sidecar.name} is missing: the archive cannot be checked.")
    expected = sidecar.read_text().split()[0]
    if sha256_of(archive) != expected:
        raise BackupError(f"{archive.name} does not match its checksum: it is damaged or incomplete.")


def backup_restore(*, archive: Path, force: bool = False) -> Restored:
    """Restore an archive into the configured database and MEDIA_ROOT (stop the web and the workers
    first). Refused into a database that already holds cases, unless `force`."""
    _verify_checksum(archive)
    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="citydispatch-restore-") as work:
        work = Path(work)
        _extract(archive, work)
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("engine") != engine:
            raise BackupError(f"This is a {manifest.get('engine')} backup; the configured database is {engine}.")
        dump = work / manifest["database"]
        if sha256_of(dump) != manifest["database_sha256"]:
            raise BackupError("The database inside the archive does not match the manifest.")
        if not force and _holds_cases():
            raise BackupError("The database already holds cases: restore into a new one, or pass --force.")
        connections.close_all()
        if engine == "postgis":
            args, env = _pg_env()
            name = settings.DATABASES["default"]["NAME"]
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
                  *args, "-d", name, str(dump)], env)  # fmt: skip
        else:
            source = sqlite3.connect(dump)
            target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        media = work / "media"
        if media.exists():
            shutil.copytree(media, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    connections.close_all()
    counts = table_counts()
    mismatched = {
        table: (count, counts.get(table)) for table, count in manifest["tables"].items() if counts.get(table) != count
    }
    return Restored(archive=archive, manifest=manifest, counts=counts, mismatched=mismatched)


def _extract(archive: Path, folder: Path) -> None:
    """Only plain files and folders, each inside `folder` (this Python's tarfile has no "data" filter)."""
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            target = (folder / member.name).resolve()
            if not (member.isfile() or member.isdir()) or not target.is_relative_to(folder.resolve()):
                raise BackupError(f"The archive holds an entry that is not allowed: {member.name!r}.")
        tar.extractall(folder, members=members)  # noqa: S202 - every member checked above


def _holds_cases() -> bool:
    if "cases_case" not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM cases_case LIMIT 1")
        return cursor.fetchone() is not None
