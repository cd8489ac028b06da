import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assets.services import AssetImportError, asset_import
from audit.services import audit_record


class Command(BaseCommand):
    help = "Import assets (部件) from a GeoJSON FeatureCollection or a CSV file (all or nothing; upsert by code)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file; '-' reads standard input")
        parser.add_argument("--format", choices=["geojson", "csv"], help="default: csv for a .csv file, else geojson")

    def handle(self, *args, path: str, format: str | None, **options):
        fmt = format or ("csv" if path.lower().endswith(".csv") else "geojson")
        if path == "-":
            data = sys.stdin.read()
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"No such file: {path}")
            data = file.read_bytes()
        last = {"percent": -1}

        def progress(done: int, total: int, stage: str) -> None:
            percent = 100 * done // total if total else 100
            if percent != last["percent"] and (percent % 10 == 0 or done == total):
                last["percent"] = percent
                self.stdout.write(f"  {stage} {done}/{total} ({percent}%)")

        try:
            summary = asset_import(data=data, fmt=fmt, progress=progress)
        except AssetImportError as exc:
            audit_record(action="assets.imported", result="failed", details={"file": str(path), "format": fmt, "problems": len(exc.problems)})  # fmt: skip
            raise CommandError(f"Nothing was imported. {len(exc.problems)} problem(s):\n{exc}") from None
        audit_record(action="assets.imported", details={"file": str(path), "format": fmt, **summary.as_dict()})
        self.stdout.write(
            self.style.SUCCESS("Imported: {created} assets created, {updated} updated.".format(**summary.as_dict()))
        )
