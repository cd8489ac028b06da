from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.services import audit_record
from gazetteer.services import GazetteerImportError, gazetteer_import


class Command(BaseCommand):
    help = "Import gazetteer entries (streets, buildings, places) from GeoJSON or CSV; all or nothing, upsert by code."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .geojson/.json or .csv file")
        parser.add_argument("--format", choices=["geojson", "csv"], help="default: from the file's extension")

    def handle(self, *args, path: str, format: str | None = None, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        format = format or ("csv" if file.suffix.lower() == ".csv" else "geojson")
        try:
            summary = gazetteer_import(data=file.read_bytes(), format=format)
        except GazetteerImportError as exc:
            audit_record(action="gazetteer.imported", result="failed", details={"file": str(path), "format": format, "problems": len(exc.problems)})  # fmt: skip
            raise CommandError(exc.message) from None
        audit_record(action="gazetteer.imported", details={"file": str(path), "format": format, **summary.as_dict()})
        self.stdout.write(
            self.style.SUCCESS(
                _("Gazetteer imported: %(created)d entries added, %(updated)d updated.") % summary.as_dict()
            )
        )
