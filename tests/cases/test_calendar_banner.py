"""The calendar's warning: a year that deadlines reach has no official schedule yet (the package
stops at 2026 and no administrator entered its holidays)."""

import datetime

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import Role
from cases.context_processors import calendar_missing_years
from cases.models import CalendarDay, Case
from tests.cases.conftest import NOW, SHANGHAI

pytestmark = pytest.mark.django_db
DECEMBER = datetime.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def late_case(city, report):
    case = report()
    Case.objects.filter(pk=case.pk).update(handling_deadline=datetime.datetime(2027, 1, 5, 17, 0, tzinfo=SHANGHAI))
    return case


def test_it_names_a_year_deadlines_reach_without_a_schedule(city):
    assert calendar_missing_years(now=NOW - datetime.timedelta(days=120)) == []  # July: 60 days stay in 2026
    assert calendar_missing_years(now=DECEMBER) == [2027]


def test_a_deadline_set_far_ahead_counts_too(city, late_case):
    assert calendar_missing_years(now=NOW - datetime.timedelta(days=200)) == [2027]


def test_an_administrators_entry_for_the_year_ends_the_warning(city, late_case):
    CalendarDay.objects.create(date=datetime.date(2027, 1, 1), is_workday=False, note="元旦")
    assert calendar_missing_years(now=DECEMBER) == []


def test_shift_leaders_see_the_banner_and_administrators_the_link(city, client, make_user, late_case):
    client.force_login(city["leader"])
    page = client.get("/").content.decode()
    assert 'id="calendar-banner"' in page and "2027" in page and "/admin/cases/calendarday/" not in page
    sysadmin = make_user("sysadmin", Role.SYSTEM_ADMIN)
    sysadmin.user_permissions.add(Permission.objects.get(codename="add_calendarday"))
    client.force_login(sysadmin)
    page = client.get("/").content.decode()
    assert 'id="calendar-banner"' in page and "/admin/cases/calendarday/" in page
    for who in ("clerk", "handler", "supervisor"):
        client.force_login(city[who])
        assert 'id="calendar-banner"' not in client.get("/").content.decode(), who
    CalendarDay.objects.create(date=datetime.date(2027, 1, 1), is_workday=False, note="元旦")
    from django.core.cache import cache

    cache.clear()
    client.force_login(city["leader"])
    assert 'id="calendar-banner"' not in client.get("/").content.decode()
