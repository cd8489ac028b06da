from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump on PostGIS, SQLite's online backup on SpatiaLite) and the media "
        "files into one dated archive with a .sha256 beside it (docs/OPERATIONS.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None, help="folder (default: BACKUP_DIR)")

    def handle(self, *args, output: Path | None, **options):
        try:
            archive = backup_create(directory=output or Path(settings.BACKUP_DIR))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(archive))
