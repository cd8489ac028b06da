from django.core.management.base import BaseCommand

from assessments.facts import facts_rebuild_all


class Command(BaseCommand):
    help = "Derive the assessment rollup (one row per case and per counted event) from the case history again."

    def handle(self, *args, **options):
        count = facts_rebuild_all()
        self.stdout.write(f"Rollup rebuilt for {count} cases.")
