"""Small tables kept in each process (config.memo): read once, again when they change, here at
once and in other processes through a stamp in the shared cache."""

import datetime

import pytest
from django.core.cache import cache

from cases.catalogue import catalogue_load, departments_load
from cases.models import CalendarDay, Category
from cases.selectors import category_active, work_calendar
from config import memo

pytestmark = pytest.mark.django_db
NATIONAL_DAY = datetime.date(2026, 10, 1)


@pytest.fixture
def clock(monkeypatch):
    """The memo's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: now[0])
    return now


def test_it_reads_the_calendar_once(django_assert_num_queries):
    work_calendar()
    with django_assert_num_queries(0):
        work_calendar()


def test_it_sees_a_change_made_in_this_process_at_once(django_capture_on_commit_callbacks):
    assert not work_calendar().is_workday(NATIONAL_DAY)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=NATIONAL_DAY, is_workday=True, note="调休")
    assert work_calendar().is_workday(NATIONAL_DAY)


def test_it_sees_another_processes_change_within_a_second(clock, django_assert_num_queries):
    work_calendar()
    CalendarDay.objects.bulk_create([CalendarDay(date=NATIONAL_DAY, is_workday=True)])  # no signal: "elsewhere"
    cache.set("memo:cases.calendar", "another process committed a change")
    with django_assert_num_queries(0):
        assert not work_calendar().is_workday(NATIONAL_DAY)  # checked less than a second ago
    clock[0] += memo.CHECK_EVERY_S
    assert work_calendar().is_workday(NATIONAL_DAY)


def test_it_publishes_a_change_only_once_it_commits(django_capture_on_commit_callbacks):
    work_calendar()
    before = cache.get("memo:cases.calendar")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        CalendarDay.objects.create(date=NATIONAL_DAY, is_workday=True)
    assert cache.get("memo:cases.calendar") == before
    for callback in callbacks:
        callback()
    assert cache.get("memo:cases.calendar") != before


def test_it_trusts_what_it_has_for_its_ttl_when_the_cache_is_away(clock, monkeypatch, django_assert_num_queries):
    work_calendar()

    def away(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", away)
    clock[0] += 30
    with django_assert_num_queries(0):
        work_calendar()
    clock[0] += 60
    with django_assert_num_queries(1):
        work_calendar()


def test_it_keeps_the_catalogue_and_forgets_a_category_turned_off(django_capture_on_commit_callbacks):
    departments_load()
    catalogue_load()
    garbage = Category.objects.get(major__kind="event", code="0102")
    assert category_active(category_id=garbage.pk).pk == garbage.pk
    garbage.active = False
    with django_capture_on_commit_callbacks(execute=True):
        garbage.save()
    assert category_active(category_id=garbage.pk) is None
    assert category_active(category_id=Category.objects.order_by("-pk").first().pk + 1) is None
