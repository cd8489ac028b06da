"""Load the demo county and one demo login per role (development and demo machines only).

demo.services.demo_county_load writes the territory (through grids.services.grid_import,
the same path as an uploaded GeoJSON file), the logins and the catalogue: upserts by code,
so running the command again changes nothing. Then load_demo_history gives the county its
case history, once. The demo users get the one published demo password, which is why the
command refuses to run with DEBUG off.
"""

from __future__ import annotations

import time
import unicodedata

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.security import DEMO_PASSWORD
from cases.catalogue import CatalogueError
from demo.logins import logins_list
from demo.services import demo_county_load, demo_extras_load
from gazetteer.services import GazetteerImportError
from grids.models import Grid
from grids.services import GridImportError


class Command(BaseCommand):
    help = (
        "Load the demo county (Linshu's county seat, 371329: 8 large, 17 community and 410 micro grids, "
        "~690 streets, shops and lanes, a chief for each) and a demo login per role, all with one demo "
        "password. Safe to run again. Refuses to run with DEBUG off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="if any grid exists already, seed nothing and only list the logins"
        )
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help=f"password of every demo login (default {DEMO_PASSWORD})"
        )
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off; never do this on a production system"
        )

    def handle(self, *args, if_empty: bool, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts (admin and one per role) with a published password, so it does not "
                "run with DEBUG off: a production system must have no default accounts. On a development or demo "
                "machine set DEBUG=1, or pass --force if this really is a throwaway system."
            )
        if not password:
            raise CommandError("--password must not be empty.")
        if if_empty and Grid.objects.exists():
            self.stdout.write("Grids exist already; the demo county was not loaded again (--if-empty).")
            self._print_logins(password, seeded=False)
            return

        started = time.monotonic()
        self.stdout.write("Building the demo county (临沭县, 371329)…")
        try:
            loaded = demo_county_load(password=password, progress=self._progress())
        except (GridImportError, CatalogueError, GazetteerImportError) as exc:
            raise CommandError(f"The demo county could not be loaded; nothing was changed.\n{exc}") from None
        self.stdout.write(
            f"Departments: {loaded.departments.created} created, {loaded.departments.updated} updated. "
            f"Categories: {loaded.categories.created} created, {loaded.categories.updated} updated. "
            f"Assets: {loaded.assets.created} created, {loaded.assets.updated} updated. "
            f"Gazetteer: {loaded.gazetteer.created} entries created, {loaded.gazetteer.updated} updated."
        )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo county loaded in {seconds:.1f} s: {grids_created} grids created, {grids_updated} updated; "
                "{places_created} places created, {places_updated} updated; {people_created} people added.".format(
                    seconds=time.monotonic() - started, **loaded.grids.as_dict()
                )
            )
        )
        call_command("load_demo_history", stdout=self.stdout)  # a few months of cases, once
        started = time.monotonic()
        extras = demo_extras_load()
        self.stdout.write(
            f"Devices, alerts, the 12345 hotline's and the higher platform's orders, the campaign “{extras.campaign}”, the census “{extras.census}” and "
            f"{extras.asset_reports} reports about assets in {time.monotonic() - started:.1f} s."
        )
        for holder, key in extras.keys.items():
            self.stdout.write(f"Device key of {holder} (shown once): {key}")
        for holder, key in extras.system_keys.items():
            self.stdout.write(f"Upstream system key of {holder} (shown once): {key}")
        self._print_logins(password, seeded=True)

    def _progress(self):
        last = {"percent": -1}

        def progress(done: int, total: int, stage: str) -> None:
            if stage == "check":
                self.stdout.write(f"Checking {total} grids and places…")
                return
            percent = 100 * done // total if total else 100
            if percent != last["percent"]:
                last["percent"] = percent
                self.stdout.write(f"  written {done}/{total} ({percent}%)")

        return progress

    def _print_logins(self, password: str, *, seeded: bool) -> None:
        logins = logins_list()
        if not logins:
            self.stdout.write("No demo logins exist.")
            return
        rows = [("用户名 username", "姓名 name", "角色 role", "密码 password")]
        rows += [(login.username, name, role, password) for login, name, role in logins]
        widths = [max(_width(row[column]) for row in rows) for column in range(4)]
        note = "" if seeded else " (unless changed since the demo was loaded)"
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins, all with the password {password}{note}:"))
        for n, row in enumerate(rows):
            self.stdout.write(
                ("  " + "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True))).rstrip()
            )
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
