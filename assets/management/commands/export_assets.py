import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from assets.services import asset_export, asset_export_csv


class Command(BaseCommand):
    help = "Export every asset as GeoJSON or CSV, in the format import_assets reads back."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to write; '-' writes to standard output")
        parser.add_argument("--format", choices=["geojson", "csv"], help="default: csv for a .csv file, else geojson")

    def handle(self, *args, path: str, format: str | None, **options):
        fmt = format or ("csv" if path.lower().endswith(".csv") else "geojson")
        text = asset_export_csv() if fmt == "csv" else json.dumps(asset_export(), ensure_ascii=False)
        if path == "-":
            sys.stdout.write(text)
            return
        Path(path).write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Written: {path}"))
