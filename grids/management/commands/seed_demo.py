"""Load the demo county and one demo login per role (development and demo machines only).

The territory is built by grids.demo and goes through grids.services.grid_import,
the same path as an uploaded GeoJSON file: upserts by code, so running the
command again changes nothing. The demo users get the one published demo
password, which is why the command refuses to run with DEBUG off.
"""

from __future__ import annotations

import time
import unicodedata

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.roles import Role
from grids.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoCounty, DemoLogin, build_demo_county
from grids.models import Grid, Person
from grids.services import GridImportError, grid_import

User = get_user_model()


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
        county = build_demo_county()
        try:
            with transaction.atomic():
                summary = grid_import(data=county.geojson, progress=self._progress())
                self._save_logins(county, password)
                self._load_catalogue()
        except GridImportError as exc:
            raise CommandError(f"The demo county could not be imported; nothing was changed.\n{exc}") from None
        self.stdout.write(
            self.style.SUCCESS(
                "Demo county loaded in {seconds:.1f} s: {grids_created} grids created, {grids_updated} updated; "
                "{places_created} places created, {places_updated} updated; {people_created} people added.".format(
                    seconds=time.monotonic() - started, **summary.as_dict()
                )
            )
        )
        call_command("load_demo_history", stdout=self.stdout)  # assessments: a few months of cases, once
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

    def _load_catalogue(self) -> None:
        """The case catalogue and the departments, once the cases app exists; the
        demo handler works for the sanitation department (环卫)."""
        if not apps.is_installed("cases"):
            return
        call_command("load_catalogue", stdout=self.stdout)
        department = apps.get_model("cases", "Department").objects.get(code="sanitation")
        department.members.add(User.objects.get(username="handler"))

    def _save_logins(self, county: DemoCounty, password: str) -> None:
        # One hash for all: the demo accounts share one password anyway, and hashing
        # it ten times would take longer than loading the whole county.
        hashed = make_password(password)
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        chief_grids = {
            level: Grid.objects.select_related("chief").get(code=code) for level, code in county.chiefs.items()
        }
        for login in DEMO_LOGINS:
            grid = chief_grids.get(login.grid_level)
            superuser = login.role is None
            user, _created = User.objects.update_or_create(
                username=login.username,
                defaults={
                    "first_name": grid.chief.name if grid else county.staff_names[login.username],
                    "last_name": "",
                    "password": hashed,
                    "is_active": True,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            user.groups.set([groups[login.role]] if login.role else [])
            if grid:
                Person.objects.filter(user=user).exclude(pk=grid.chief.pk).update(user=None)
                Person.objects.filter(pk=grid.chief.pk).update(user=user)

    def _print_logins(self, password: str, *, seeded: bool) -> None:
        users = {user.username: user for user in User.objects.filter(username__in=[x.username for x in DEMO_LOGINS])}
        if not users:
            self.stdout.write("No demo logins exist.")
            return
        grids = Grid.objects.filter(chief__user__in=users.values()).select_related("chief").defer("boundary")
        chiefs = {grid.chief.user_id: grid for grid in grids.order_by("-code")}
        rows = [("用户名 username", "姓名 name", "角色 role", "密码 password")]
        for login in DEMO_LOGINS:
            user = users.get(login.username)
            if user:
                rows.append((login.username, user.first_name, _role(login, chiefs.get(user.pk)), password))
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


def _role(login: DemoLogin, grid: Grid | None) -> str:
    return f"{login.label}（{grid.name}）" if login.grid_level and grid else login.label


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
