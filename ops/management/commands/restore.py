import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive made by `backup` into the configured database and MEDIA_ROOT (stop the web, the "
        "workers and the beat first). Checks the checksum first and every table's row count last."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--force", action="store_true", help="restore over a database that holds cases")

    def handle(self, *args, archive: Path, force: bool, **options):
        try:
            restored = backup_restore(archive=archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "archive": str(restored.archive),
            "created_at": restored.manifest["created_at"],
            "rows": sum(restored.counts.values()),
            "media_files": restored.manifest["media_files"],
            "mismatched": restored.mismatched,
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if restored.mismatched:
            raise CommandError(f"Row counts differ from the backup's: {restored.mismatched}")
