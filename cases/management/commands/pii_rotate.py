"""Re-encrypt every stored contact with the first key of PII_KEYS, and hash phones under it."""

from django.core.management.base import BaseCommand

from cases.privacy import pii_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt reporters' names and phones and Open311 e-mails with the first key of PII_KEYS "
        "(after putting a new key first); then the old key can be dropped from the list."
    )

    def handle(self, *args, **options):
        count = pii_rotate()
        self.stdout.write(f"{count} rows re-encrypted with the first key of PII_KEYS.")
