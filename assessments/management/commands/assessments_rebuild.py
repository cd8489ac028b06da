from django.core.management.base import BaseCommand

from assessments.facts import facts_rebuild_all
from assessments.months import months_refresh


class Command(BaseCommand):
    help = (
        "Derive the assessment rollup (one row per case and per counted event) from the case history again, "
        "and the stored figures of the months that are over."
    )

    def handle(self, *args, **options):
        count = facts_rebuild_all()
        self.stdout.write(f"Rollup rebuilt for {count} cases.")
        months = months_refresh()
        self.stdout.write(f"Figures stored for {months} months that are over.")
