from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.catalogue import CatalogueError, catalogue_load, departments_load


class Command(BaseCommand):
    help = "Load departments and the case catalogue from CSV (the shipped ones by default). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--departments", help="departments CSV (code, short_name, name)")
        parser.add_argument("--catalogue", help="catalogue CSV (see cases/data/README.md)")

    def handle(self, *args, departments=None, catalogue=None, **options):
        def read(path):
            if path is None:
                return None
            if not Path(path).is_file():
                raise CommandError(f"No such file: {path}")
            return Path(path).read_text(encoding="utf-8")

        try:
            with transaction.atomic():
                deps = departments_load(text=read(departments))
                cats = catalogue_load(text=read(catalogue))
        except CatalogueError as exc:
            raise CommandError(f"Nothing was loaded: {exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Departments: {deps.created} created, {deps.updated} updated. "
                f"Categories: {cats.created} created, {cats.updated} updated."
            )
        )
