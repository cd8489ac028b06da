"""Personas and a filed-case helper for the lifecycle tests.

The territory is tests.grids.factories.build_tree (M1 and M2 side by side in
C1, under L1 and D1, each with a chief); the catalogue is the shipped one.
"""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from accounts.roles import Role
from cases.catalogue import catalogue_load, departments_load
from cases.models import Category, Department, Source
from cases.services import case_report
from tests.grids.factories import GridFactory, PersonFactory, build_tree, square

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning in office hours, far from any holiday.
NOW = datetime.datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)
IN_M1 = Point(118.605, 34.905, srid=4326)


@pytest.fixture
def city(db, make_user):
    departments_load()
    catalogue_load()
    tree = build_tree()
    # a neighbouring community with its own chief, outside C1's subtree
    other = GridFactory(level="community", code="C9", parent=tree["large"], boundary=square(118.60, 34.91, 0.01))
    other.chief = PersonFactory(name="邻居网格长")
    other.save()
    users = {
        "clerk": make_user("clerk", Role.INTAKE_CLERK),
        "leader": make_user("leader", Role.SHIFT_LEADER),
        "dispatcher": make_user("dispatcher", Role.DISPATCHER),
        "chief": make_user("chief", Role.GRID_CHIEF),
        "neighbour": make_user("neighbour", Role.GRID_CHIEF),
        "handler": make_user("handler", Role.DEPARTMENT_HANDLER),
        "other_handler": make_user("other_handler", Role.DEPARTMENT_HANDLER),
        "inspector": make_user("inspector", Role.INSPECTOR),
        "supervisor": make_user("supervisor", Role.SUPERVISOR),
        "outsider": make_user("outsider"),
    }
    for key, person in (("chief", tree["a"].chief), ("neighbour", other.chief)):
        person.user = users[key]
        person.save()
    Department.objects.get(code="sanitation").members.add(users["handler"])
    Department.objects.get(code="enforcement").members.add(users["other_handler"])
    return {
        **tree,
        **users,
        "other_community": other,
        "garbage": Category.objects.get(major__kind="event", code="0102"),
    }


@pytest.fixture
def report(city):
    def make(**extra):
        return case_report(source=Source.INSPECTOR, point=IN_M1, description="路边暴露垃圾", now=NOW, **extra)

    return make


@pytest.fixture
def media(settings, tmp_path, monkeypatch) -> Path:
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))  # for a real worker started after this
    return tmp_path


from tests.photos import noise_jpeg  # noqa: E402,F401  (the tests of this folder import it from here)
