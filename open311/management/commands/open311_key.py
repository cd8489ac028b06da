"""manage.py open311_key "12345 hotline" --source hotline: make an Open311 API key and print it once."""

from django.core.management.base import BaseCommand, CommandError

from cases.models import Source
from open311.services import api_key_create


class Command(BaseCommand):
    help = "Create an Open311 API key for a client system and print it (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who uses the key, e.g. '12345 hotline system'")
        parser.add_argument("--source", default="hotline", choices=Source.values, help="source of the cases it posts")

    def handle(self, *args, name: str, source: str, **options):
        if not name.strip():
            raise CommandError("Give the key a name.")
        row, key = api_key_create(name=name.strip(), source=source)
        self.stdout.write(key)
        self.stderr.write(f"API key {row.prefix}… for {row.name} (source {row.source}); it is not shown again.")
