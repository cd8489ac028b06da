"""Region classes (一类/二类/三类): time limits per subcategory × urgency × class, falling back to
the class-less limit; read in cases.clocks, loaded from the catalogue's class columns."""

import datetime

import pytest
from django.utils import translation

from accounts.roles import Role
from cases.catalogue import CatalogueError, catalogue_load
from cases.clocks import time_limit
from cases.models import Category, CategoryClassLimit, LimitUnit, Urgency
from cases.services import case_report, case_transition
from demo.regions import demo_catalogue_text, demo_region_classes_ensure
from grids.models import RegionClass
from grids.services import region_classes_ensure
from tests.cases.conftest import IN_M1, NOW, SHANGHAI

pytestmark = pytest.mark.django_db
IN_M2 = IN_M1.clone()
IN_M2.x += 0.01


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def classes(city, make_user):
    """M1 (the old town) is class 1, M2 is class 3; the demo's class columns loaded."""
    city["b"].chief.user = make_user("m2chief", Role.GRID_CHIEF)
    city["b"].chief.save()
    demo_region_classes_ensure()  # the demo's catalogue columns name the rural class too
    made = region_classes_ensure()
    catalogue_load(text=demo_catalogue_text())
    city["a"].region_class = made["1"]
    city["a"].save(update_fields=["region_class"])
    city["b"].region_class = made["3"]
    city["b"].save(update_fields=["region_class"])
    return made


def dispatched(city, point, urgency=Urgency.NORMAL, category=None):
    case = case_report(source="inspector", point=point, urgency=urgency, now=NOW)
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=category or city["garbage"], now=NOW)
    case = case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"], now=NOW)
    if case.status == "pending_approval":
        case = case_transition(case_id=case.pk, action="approve", actor=case.approver.user, now=NOW)
    return case


def test_it_loads_the_class_columns_of_the_catalogue(classes):
    garbage = Category.objects.get(major__kind="event", code="0102")
    rows = {row.region_class.code: row for row in CategoryClassLimit.objects.filter(category=garbage)}
    assert set(rows) == {"1", "3", "rural"}
    assert (rows["1"].limit, rows["1"].limit_unit) == (2, LimitUnit.WORKING_HOURS)
    assert (rows["3"].limit, rows["3"].limit_unit) == (8, LimitUnit.WORKING_HOURS)
    assert rows["1"].urgent_limit is None
    # The shipped file has no class columns: loading it leaves the class limits alone …
    catalogue_load()
    assert CategoryClassLimit.objects.filter(category=garbage).count() == 3
    # … and a file whose class-1 columns are blank on the row takes that class's limit away.
    text = demo_catalogue_text().replace(
        ",2,working_hours,8,working_hours,2,working_days\n", ",,,8,working_hours,2,working_days\n", 1
    )
    catalogue_load(text=text)
    assert set(CategoryClassLimit.objects.filter(category=garbage).values_list("region_class__code", flat=True)) == {
        "3",
        "rural",
    }


def test_it_refuses_a_column_of_a_class_that_does_not_exist(classes):
    text = demo_catalogue_text().replace("limit[3]", "limit[9]", 1)
    with pytest.raises(CatalogueError, match=r"unknown region class 9"):
        catalogue_load(text=text)


def test_it_refuses_a_bad_unit_in_a_class_column(classes):
    text = demo_catalogue_text().replace(",2,working_hours,8,", ",2,fortnights,8,", 1)
    with pytest.raises(CatalogueError, match=r"unknown time unit 'fortnights' in limit_unit\[1\]"):
        catalogue_load(text=text)


def test_it_picks_the_class_limit_and_falls_back_to_the_class_less_one(classes):
    garbage = Category.objects.get(major__kind="event", code="0102")  # 4 working hours, no urgent limit
    streets = Category.objects.get(major__kind="event", code="0104")  # 5 working hours, urgent 2
    one, two, three = (classes[code].pk for code in ("1", "2", "3"))
    assert time_limit(category=garbage, urgent=False, region_class_id=one) == (2, LimitUnit.WORKING_HOURS)
    assert time_limit(category=garbage, urgent=False, region_class_id=three) == (8, LimitUnit.WORKING_HOURS)
    assert time_limit(category=garbage, urgent=False, region_class_id=two) == (4, LimitUnit.WORKING_HOURS)
    assert time_limit(category=garbage, urgent=False, region_class_id=None) == (4, LimitUnit.WORKING_HOURS)
    # Urgent, no urgent limit anywhere ("same as normal"): the class's normal limit.
    assert time_limit(category=garbage, urgent=True, region_class_id=one) == (2, LimitUnit.WORKING_HOURS)
    # Urgent, the subcategory has an urgent limit and the class none: the class-less urgent one.
    assert time_limit(category=streets, urgent=True, region_class_id=one) == (2, LimitUnit.WORKING_HOURS)
    assert time_limit(category=streets, urgent=False, region_class_id=one) == (3, LimitUnit.WORKING_HOURS)
    # The class's own urgent limit wins over both (saved as the admin saves it: the catalogue is told).
    row = CategoryClassLimit.objects.get(category=streets, region_class_id=one)
    row.urgent_limit, row.urgent_unit = 1, LimitUnit.HOURS
    row.save()
    assert time_limit(category=streets, urgent=True, region_class_id=one) == (1, LimitUnit.HOURS)


def test_region_class_limits_pick_the_right_deadline(city, classes):
    # Wednesday 09:00: class 1 (M1) gets 2 working hours, class 3 (M2) 8 working hours.
    in_class_one = dispatched(city, IN_M1)
    assert in_class_one.handling_deadline == datetime.datetime(2026, 11, 18, 11, 0, tzinfo=SHANGHAI)
    in_class_three = dispatched(city, IN_M2)
    # 7.5 working hours on Wednesday (09:00–12:00, 13:30–18:00), the last half hour on Thursday
    assert in_class_three.handling_deadline == datetime.datetime(2026, 11, 19, 9, 30, tzinfo=SHANGHAI)
    # M2 without a class: the class-less 4 working hours (lunch break 12:00–13:30).
    city["b"].region_class = None
    city["b"].save(update_fields=["region_class"])
    unclassed = dispatched(city, IN_M2)
    assert unclassed.handling_deadline == datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)


def test_a_class_without_limits_of_its_own_takes_the_class_less_limit(city, classes):
    city["a"].region_class = classes["2"]
    city["a"].save(update_fields=["region_class"])
    case = dispatched(city, IN_M1)
    assert case.handling_deadline == datetime.datetime(2026, 11, 18, 14, 30, tzinfo=SHANGHAI)


def test_the_case_page_and_the_api_show_the_class_and_its_limit(city, classes, client):
    case = dispatched(city, IN_M1)
    client.force_login(city["leader"])
    client.cookies["django_language"] = "en"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "2 working hours" in page and "(一类区域: its own limit)" in page
    body = client.get(f"/api/cases/{case.pk}/").json()
    assert (body["limit"], body["region_class"], body["limit_by_class"]) == ("2 working hours", "一类区域", True)
    renamed = RegionClass.objects.get(code="1")
    renamed.name = "核心区"
    renamed.save()
    other = dispatched(city, IN_M1, category=Category.objects.get(major__kind="event", code="0101"))
    body = client.get(f"/api/cases/{other.pk}/").json()
    assert (body["region_class"], body["limit_by_class"]) == ("核心区", False)
    assert "(核心区: the general limit)" in client.get(f"/cases/{other.pk}/").content.decode()
