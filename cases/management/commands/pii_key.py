"""Print a new key for PII_KEYS (config.pii): put it first in the list to rotate."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new encryption key for PII_KEYS (reporters' contact details)."

    def handle(self, *args, **options):
        self.stdout.write(Fernet.generate_key().decode())
