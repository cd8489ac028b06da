import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config.periodic import start_in_background


class Command(BaseCommand):
    help = (
        "Serve the product on the embedded default (runserver), running the periodic jobs "
        "(CELERY_BEAT_SCHEDULE) in the same process when no broker is configured."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true")

    def handle(self, *args, addrport: str, noreload: bool, **options):
        # With the autoreloader the command runs twice: in the watcher and in the
        # server process (RUN_MAIN=true). Only the server process runs the jobs.
        serving = noreload or os.environ.get("RUN_MAIN") == "true"
        if settings.CELERY_EMBEDDED and serving:
            start_in_background(settings.CELERY_BEAT_SCHEDULE)
            self.stdout.write(f"Periodic jobs running in this process: {', '.join(settings.CELERY_BEAT_SCHEDULE)}")
        elif not settings.CELERY_EMBEDDED and serving:
            self.stdout.write("CELERY_BROKER_URL is set: periodic jobs are Celery beat's, not this command's.")
        call_command("runserver", addrport, use_reloader=not noreload)
