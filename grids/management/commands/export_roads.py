import json
from pathlib import Path

from django.core.management.base import BaseCommand

from grids.roads import road_export


class Command(BaseCommand):
    help = "Export all roads and their segments (路长制) as a GeoJSON FeatureCollection that import_roads reads back."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="output file; '-' (default) writes to standard output")

    def handle(self, *args, path: str, **options):
        data = road_export()
        text = json.dumps(data, ensure_ascii=False)
        if path == "-":
            self.stdout.write(text)
        else:
            Path(path).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {len(data['features'])} features to {path}")
