from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.services import audit_record
from grids.services import GridImportError, grid_import


class Command(BaseCommand):
    help = "Import grids and places from a GeoJSON FeatureCollection (all or nothing; upsert by code)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON file; '-' reads standard input")

    def handle(self, *args, path: str, **options):
        if path == "-":
            import sys

            data = sys.stdin.read()
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(_("No such file: %(path)s") % {"path": path})
            data = file.read_bytes()
        last = {"percent": -1}

        def progress(done: int, total: int, stage: str) -> None:
            percent = 100 * done // total if total else 100
            if stage == "write" and percent != last["percent"] and (percent % 5 == 0 or done == total):
                last["percent"] = percent
                self.stdout.write(f"  {done}/{total} ({percent}%)")
            elif stage == "check":
                self.stdout.write(_("Checking %(total)d features…") % {"total": total})

        try:
            summary = grid_import(data=data, progress=progress)
        except GridImportError as exc:
            audit_record(action="grids.imported", result="failed", details={"file": str(path), "problems": len(exc.problems)})  # fmt: skip
            raise CommandError(
                _("Nothing was imported. %(count)d problem(s):") % {"count": len(exc.problems)} + f"\n{exc}"
            ) from None
        audit_record(action="grids.imported", details={"file": str(path), **summary.as_dict()})
        for warning in summary.warnings:
            self.stdout.write(self.style.WARNING(warning))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported: {grids_created} grids created, {grids_updated} updated; "
                    "{places_created} places created, {places_updated} updated; "
                    "{people_created} people added."
                ).format(**summary.as_dict())
            )
        )
