from django.core.management.base import BaseCommand, CommandError

from assessments.facts import facts_check, facts_rebuild_cases, facts_refresh


class Command(BaseCommand):
    help = (
        "Compare the assessment rollup with a derivation of every case from its events, and list the "
        "differences. Exits 1 if a row is wrong. --fix derives the differing cases again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="derive the wrong and the lagging cases again")
        parser.add_argument("--show", type=int, default=20, help="how many differing cases to list (default 20)")

    def handle(self, *args, fix: bool, show: int, **options):
        facts_refresh(force=True)  # fold in what is due first: what remains behind is news, or a fault
        result = facts_check()
        self.stdout.write(
            f"{result.checked} cases checked: {len(result.wrong)} wrong, {len(result.behind)} behind "
            "(events not folded in yet; a refresh folds them in)."
        )
        for case_id, columns in list(result.wrong.items())[:show]:
            self.stdout.write(f"  case {case_id}: {', '.join(columns)}")
        if result.behind:
            self.stdout.write(f"  behind: {', '.join(map(str, result.behind[:show]))}")
        if fix and (result.wrong or result.behind):
            count = facts_rebuild_cases([*result.wrong, *result.behind])
            self.stdout.write(f"Derived {count} cases again.")
            return
        if result.wrong:
            raise CommandError(f"{len(result.wrong)} rollup rows are wrong: run with --fix (or assessments_rebuild).")
