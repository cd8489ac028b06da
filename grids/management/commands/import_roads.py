import json
import sys
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.services import audit_record
from grids.roads import RoadImportError, road_import


class Command(BaseCommand):
    help = "Import roads and their segments (路长制) from a GeoJSON FeatureCollection (all or nothing; upsert by code)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="GeoJSON file; '-' reads standard input")

    def handle(self, *args, path: str, **options):
        if path == "-":
            text = sys.stdin.read()
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(_("No such file: %(path)s") % {"path": path})
            text = file.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CommandError(_("Not JSON: %(error)s") % {"error": exc}) from None
        try:
            summary = road_import(data=data)
        except RoadImportError as exc:
            audit_record(action="grids.imported", result="failed", details={"file": str(path), "roads": True,
                                                                            "problems": len(exc.problems)})  # fmt: skip
            raise CommandError(
                _("Nothing was imported. %(count)d problem(s):") % {"count": len(exc.problems)} + f"\n{exc}"
            ) from None
        audit_record(action="grids.imported", details={"file": str(path), "roads": True, **asdict(summary)})
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported: %(roads_created)d roads created, %(roads_updated)d updated; %(segments_created)d "
                    "segments created, %(segments_updated)d updated; %(people_created)d people added."
                )
                % asdict(summary)
            )
        )
