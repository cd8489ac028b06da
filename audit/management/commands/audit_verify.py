"""Check the whole audit log: every row's hash, their order, nothing missing at either end."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of the security audit log from the first row to the last. "
        "Exits non-zero naming the first row that was edited, removed or put out of order."
    )

    def handle(self, *args, **options):
        report = audit_verify()
        if report.broken is not None:
            raise CommandError(
                f"The audit log is broken at {report.broken} ({report.checked} rows before it are intact)."
            )
        if report.checked == 0:
            self.stdout.write("The audit log is empty.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"The audit log is intact: {report.checked} rows, {report.first_id}–{report.last_id}.")
        )
