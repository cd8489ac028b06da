import time

from django.core.management.base import BaseCommand

from demo.history import demo_history_load


class Command(BaseCommand):
    help = "Give the demo county a few months of case history through the real case service (only if no case exists)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--per-day", type=float, default=4.5)

    def handle(self, *args, days: int, per_day: float, **options):
        started = time.monotonic()
        count = demo_history_load(days=days, per_day=per_day, log=self.stdout.write)
        if count:
            self.stdout.write(f"Case history: {count} cases in {time.monotonic() - started:.1f} s.")
        else:
            self.stdout.write("Case history: cases exist already (or no catalogue); none added.")
