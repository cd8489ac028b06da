"""Delete audit rows older than a date, on behalf of the audit administrator."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.services import PruneRefused, audit_prune


class Command(BaseCommand):
    help = (
        "Delete the security audit rows written before DATE (local date, YYYY-MM-DD). Refuses any "
        "date later than AUDIT_RETENTION_DAYS (at least 180) days ago. The deletion is itself recorded "
        "in the log, in the name of the audit administrator given with --by."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="delete rows written before this date (YYYY-MM-DD)")
        parser.add_argument("--by", required=True, help="username of the audit administrator who asked for it")
        parser.add_argument("--dry-run", action="store_true", help="only count the rows that would go")

    def handle(self, *args, before: str, by: str, dry_run: bool, **options):
        try:
            day = dt.date.fromisoformat(before)
        except ValueError:
            raise CommandError(f"--before must be a date like 2026-01-31, got {before!r}.") from None
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        actor = get_user_model().objects.filter(username=by, is_active=True).first()
        if actor is None or not has_role(actor, Role.AUDIT_ADMIN):
            raise CommandError(f"--by must name an active audit administrator; {by!r} is not one.")
        try:
            count = audit_prune(before=moment, actor=actor, dry_run=dry_run)
        except PruneRefused as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            self.stdout.write(f"{count} audit rows were written before {day}; nothing deleted (--dry-run).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {count} audit rows written before {day}."))
