"""Working-time arithmetic: workdays with 调休, office hours, deadlines, elapsed time, traffic lights.

The 2026 holiday dates below are what chinesecalendar 1.11.0 says (queried with is_workday and
get_holiday_detail). 2027 is not covered by that version, so 2027 dates use the fallback.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from cases.worktime import WorkCalendar, default_calendar, traffic_light

SH = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=0, minute=0, tz=SH):
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture
def cal():
    return WorkCalendar()


# Days


def test_it_treats_weekends_as_days_off(cal):
    # 2026-11-16 is a Monday, with no holiday that week.
    week = [cal.is_workday(dt.date(2026, 11, 16) + dt.timedelta(days=n)) for n in range(7)]
    assert week == [True, True, True, True, True, False, False]


def test_it_follows_the_2026_spring_festival(cal):
    # Package: holiday Sun 02-15 to Mon 02-23; adjusted workdays (调休) Sat 02-14 and Sat 02-28.
    for day in range(15, 24):
        assert not cal.is_workday(dt.date(2026, 2, day)), day
    assert cal.is_workday(dt.date(2026, 2, 14))
    assert cal.is_workday(dt.date(2026, 2, 28))
    assert cal.is_workday(dt.date(2026, 2, 24))
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 2, 14)) == (False, "Spring Festival")


def test_it_follows_the_2026_national_day_and_mid_autumn(cal):
    # Package: Mid-Autumn is Fri 09-25 on its own; National Day holiday Thu 10-01 to Wed 10-07;
    # adjusted workdays Sun 09-20 and Sat 10-10.
    assert not cal.is_workday(dt.date(2026, 9, 25))
    assert cal.is_workday(dt.date(2026, 9, 20))
    for day in range(1, 8):
        assert not cal.is_workday(dt.date(2026, 10, day)), day
    assert cal.is_workday(dt.date(2026, 10, 8))
    assert cal.is_workday(dt.date(2026, 10, 9))
    assert cal.is_workday(dt.date(2026, 10, 10))
    assert not cal.is_workday(dt.date(2026, 10, 11))
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, 10)) == (False, "National Day")
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 9, 25)) == (True, "Mid-autumn Festival")


def test_it_takes_the_local_date_of_an_aware_datetime(cal):
    # 2026-10-07 17:00 UTC is already 10-08 01:00 in Shanghai, a workday.
    assert cal.is_workday(at(2026, 10, 7, 17, tz=dt.UTC))
    assert not cal.is_workday(at(2026, 10, 7, 15, tz=dt.UTC))


def test_it_lets_administrator_entries_win_over_the_package():
    cal = WorkCalendar(overrides={dt.date(2026, 10, 8): False, dt.date(2026, 10, 3): True})
    assert not cal.is_workday(dt.date(2026, 10, 8))
    assert cal.is_workday(dt.date(2026, 10, 3))


def test_it_caches_the_decision_for_each_day(cal, monkeypatch):
    calls = []
    real = chinese_calendar.is_workday

    def counting(day):
        calls.append(day)
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    for _ in range(3):
        cal.add(at(2026, 11, 2, 10), 15, "working_days")
    days = [call for call in calls if call not in (dt.date(2026, 1, 1), dt.date(2026, 12, 31))]
    assert len(days) == len(set(days))


# Deadlines in working hours


def test_it_adds_working_hours_across_the_evening(cal):
    # Thu 2026-11-19 17:00 + 4 working hours: 0.5 h to 17:30, then 3.5 h from Friday 08:30 is 12:00.
    assert cal.add(at(2026, 11, 19, 17), 4, "working_hours") == at(2026, 11, 20, 12)


def test_it_adds_working_hours_across_lunch(cal):
    assert cal.add(at(2026, 11, 19, 11), 2, "working_hours") == at(2026, 11, 19, 14, 30)


def test_it_ends_working_hours_when_the_time_is_used_up(cal):
    # Exactly used up at 12:00: the deadline is 12:00, not 13:30 when the office reopens.
    assert cal.add(at(2026, 11, 19, 8, 30), 3.5, "working_hours") == at(2026, 11, 19, 12)


def test_it_adds_working_hours_across_a_weekend(cal):
    # Fri 16:00: 1.5 h that day, 2.5 h on Monday from 08:30.
    assert cal.add(at(2026, 11, 20, 16), 4, "working_hours") == at(2026, 11, 23, 11)


def test_it_adds_working_hours_across_a_holiday(cal):
    # Wed 2026-09-30 16:30: 1 h that day, Oct 1–7 off, then 3 h from Thu Oct 8 08:30.
    assert cal.add(at(2026, 9, 30, 16, 30), 4, "working_hours") == at(2026, 10, 8, 11, 30)


def test_it_counts_working_hours_on_an_adjusted_workday(cal):
    # Fri 2026-10-09 17:00: 0.5 h, then Saturday 10-10 is a workday.
    assert cal.add(at(2026, 10, 9, 17), 1, "working_hours") == at(2026, 10, 10, 9)


def test_it_adds_working_hours_from_outside_office_hours(cal):
    assert cal.add(at(2026, 11, 22, 10), 1, "working_hours") == at(2026, 11, 23, 9, 30)  # Sunday
    assert cal.add(at(2026, 11, 19, 12, 15), 1, "working_hours") == at(2026, 11, 19, 14, 30)  # lunch
    assert cal.add(at(2026, 11, 19, 6), 1, "working_hours") == at(2026, 11, 19, 9, 30)  # early morning


def test_it_returns_the_start_for_a_zero_limit(cal):
    start = at(2026, 11, 22, 10)
    assert cal.add(start, 0, "working_hours") == start
    assert cal.add(start, 0, "hours") == start


# Deadlines in working days


def test_it_adds_working_days_at_the_same_clock_time(cal):
    assert cal.add(at(2026, 11, 16, 10), 1, "working_days") == at(2026, 11, 17, 10)
    assert cal.add(at(2026, 11, 16, 10), 5, "working_days") == at(2026, 11, 23, 10)
    assert cal.add(at(2026, 11, 16, 17, 29), 1, "working_days") == at(2026, 11, 17, 17, 29)
    # From an opening: the same clock time, not the close of the day before.
    assert cal.add(at(2026, 11, 16, 8, 30), 1, "working_days") == at(2026, 11, 17, 8, 30)


def test_it_counts_working_days_from_the_next_opening_outside_office_hours(cal):
    # Friday evening → counts from Monday 08:30 → Tuesday 08:30.
    assert cal.add(at(2026, 11, 20, 18), 1, "working_days") == at(2026, 11, 24, 8, 30)
    # At closing time exactly: counts from the next morning.
    assert cal.add(at(2026, 11, 16, 17, 30), 1, "working_days") == at(2026, 11, 18, 8, 30)
    # Lunch break: counts from 13:30.
    assert cal.add(at(2026, 11, 16, 12, 30), 1, "working_days") == at(2026, 11, 17, 13, 30)
    # Sunday: counts from Monday's opening.
    assert cal.add(at(2026, 11, 22, 15), 2, "working_days") == at(2026, 11, 25, 8, 30)


def test_it_adds_working_days_across_a_holiday_week(cal):
    # Wed 2026-09-30: Oct 1–7 off; Thu 10-08, Fri 10-09 and the adjusted Sat 10-10 count.
    assert cal.add(at(2026, 9, 30, 10), 3, "working_days") == at(2026, 10, 10, 10)
    assert cal.add(at(2026, 9, 30, 10), 4, "working_days") == at(2026, 10, 12, 10)


def test_it_adds_working_days_across_the_spring_festival(cal):
    # Fri 2026-02-13: Sat 02-14 is a workday, 02-15 to 02-23 off.
    assert cal.add(at(2026, 2, 13, 9), 1, "working_days") == at(2026, 2, 14, 9)
    assert cal.add(at(2026, 2, 13, 9), 2, "working_days") == at(2026, 2, 24, 9)


def test_it_adds_fractional_working_days(cal):
    # Half a day is 3.75 working hours: 08:30 → 12:00 is 3.5 h, then 15 minutes after 13:30.
    assert cal.add(at(2026, 11, 16, 8, 30), 0.5, "working_days") == at(2026, 11, 16, 13, 45)
    # 1.5 days from Mon 10:00: Tue 10:00, then 3.75 h: 2 h to 12:00 and 1.75 h from 13:30.
    assert cal.add(at(2026, 11, 16, 10), Decimal("1.5"), "working_days") == at(2026, 11, 17, 15, 15)


def test_it_runs_into_2027_on_the_weekday_fallback(cal):
    # 15 working days from Tue 2026-12-15: 12 left in December 2026, then Fri 2027-01-01 (a
    # weekday the package does not know), Mon 01-04 and Tue 01-05.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 4))
    assert cal.add(at(2026, 12, 15, 10), 15, "working_days") == at(2027, 1, 5, 10)
    assert cal.is_workday(dt.date(2027, 1, 1))
    assert not cal.is_workday(dt.date(2027, 1, 2))
    assert cal.missing_years(at(2026, 12, 15, 10), at(2027, 1, 5, 10)) == [2027]
    assert cal.elapsed(at(2026, 12, 15, 10), at(2027, 1, 5, 10), "working_days") == 15


def test_it_uses_administrator_entries_for_2027():
    start = at(2026, 12, 15, 10)
    holiday = WorkCalendar(overrides={dt.date(2027, 1, 1): False})
    assert holiday.add(start, 15, "working_days") == at(2027, 1, 6, 10)
    assert holiday.missing_years(start, at(2027, 1, 6)) == []

    with_adjusted_saturday = WorkCalendar(overrides={dt.date(2027, 1, 1): False, dt.date(2027, 1, 2): True})
    assert with_adjusted_saturday.add(start, 15, "working_days") == at(2027, 1, 5, 10)
    assert with_adjusted_saturday.add(at(2026, 12, 31, 17), 4, "working_hours") == at(2027, 1, 2, 12)


def test_it_reports_missing_years_in_a_range(cal):
    assert cal.missing_years(dt.date(2025, 6, 1), dt.date(2028, 1, 1)) == [2027, 2028]
    assert cal.missing_years(dt.date(2028, 1, 1), dt.date(2025, 6, 1)) == [2027, 2028]
    assert cal.missing_years(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []
    assert WorkCalendar(overrides={dt.date(2028, 5, 1): False}).missing_years(
        dt.date(2026, 1, 1), dt.date(2028, 1, 1)
    ) == [2027]
    assert cal.package_covers(2026)
    assert not cal.package_covers(2027)


# Deadlines in natural hours


def test_it_adds_natural_hours_through_nights_and_holidays(cal):
    # Asia/Shanghai has no daylight saving time: 4 hours are 4 hours on the wall clock.
    assert cal.add(at(2026, 10, 1, 22), 4, "hours") == at(2026, 10, 2, 2)
    assert cal.add(at(2026, 10, 3, 23, 30), Decimal("2.5"), "hours") == at(2026, 10, 4, 2)
    assert cal.add(at(2026, 12, 31, 23), 2, "hours") == at(2027, 1, 1, 1)


def test_it_keeps_the_time_zone_of_the_start(cal):
    # 2026-11-19 09:00 UTC is 17:00 in Shanghai; 4 working hours later is 12:00 Shanghai = 04:00 UTC.
    deadline = cal.add(at(2026, 11, 19, 9, tz=dt.UTC), 4, "working_hours")
    assert deadline == at(2026, 11, 20, 4, tz=dt.UTC)
    assert deadline.tzinfo is dt.UTC


# Elapsed time


def test_it_measures_elapsed_time_in_each_unit(cal):
    start, end = at(2026, 11, 16, 10), at(2026, 11, 17, 10)
    assert cal.elapsed(start, end, "hours") == 24
    assert cal.elapsed(start, end, "working_hours") == 7.5
    assert cal.elapsed(start, end, "working_days") == 1
    assert cal.working_hours_between(start, end) == 7.5


def test_it_counts_working_hours_across_weekend_and_holiday(cal):
    # Fri 2026-11-20 16:00 → Mon 11-23 11:00: 1.5 h + 2.5 h.
    assert cal.working_hours_between(at(2026, 11, 20, 16), at(2026, 11, 23, 11)) == 4
    # The whole National Day week counts nothing.
    assert cal.working_hours_between(at(2026, 9, 30, 17, 30), at(2026, 10, 8, 8, 30)) == 0
    # A fortnight with the holiday: 09-28 to 10-11 has workdays 28, 29, 30 Sep and 8, 9, 10 Oct.
    assert cal.working_hours_between(at(2026, 9, 28), at(2026, 10, 12)) == 6 * 7.5


def test_it_gives_zero_when_the_end_precedes_the_start(cal):
    assert cal.elapsed(at(2026, 11, 17, 10), at(2026, 11, 16, 10), "hours") == 0
    assert cal.working_hours_between(at(2026, 11, 17, 10), at(2026, 11, 16, 10)) == 0


def test_it_excludes_suspended_time_from_elapsed(cal):
    start, end = at(2026, 11, 16, 8, 30), at(2026, 11, 16, 17, 30)
    # Suspended 09:00–10:00 and again 09:30–11:00 (overlapping entries count once): 2 h off.
    suspended = [(at(2026, 11, 16, 9, 30), at(2026, 11, 16, 11)), (at(2026, 11, 16, 9), at(2026, 11, 16, 10))]
    assert cal.elapsed(start, end, "working_hours", excluded=suspended) == 5.5
    assert cal.elapsed(start, end, "hours", excluded=suspended) == 7
    # Suspended over lunch and the evening: only the office part counted would have been removed.
    overnight = [(at(2026, 11, 16, 11), at(2026, 11, 17, 9))]
    assert cal.working_hours_between(start, at(2026, 11, 17, 12), excluded=overnight) == 2.5 + 3
    # A suspension beyond the range changes nothing.
    later = [(at(2026, 11, 18, 9), at(2026, 11, 18, 10))]
    assert cal.elapsed(start, end, "working_hours", excluded=later) == 7.5


def test_it_extends_the_deadline_by_suspended_time(cal):
    # 4 working hours from Mon 09:00, suspended 10:00–11:00: 1 h, 1 h to 12:00, 2 h from 13:30.
    suspended = [(at(2026, 11, 16, 10), at(2026, 11, 16, 11))]
    assert cal.add(at(2026, 11, 16, 9), 4, "working_hours", excluded=suspended) == at(2026, 11, 16, 15, 30)
    assert cal.add(at(2026, 11, 16, 9), 4, "hours", excluded=suspended) == at(2026, 11, 16, 14)
    # Suspended over a whole working day: the working-day deadline moves by one day.
    whole_day = [(at(2026, 11, 17, 0), at(2026, 11, 18, 0))]
    assert cal.add(at(2026, 11, 16, 10), 1, "working_days", excluded=whole_day) == at(2026, 11, 18, 10)
    # Suspended until 10:00 on the day it would fall due at 08:30: due when the clock runs again.
    morning = [(at(2026, 11, 17, 8), at(2026, 11, 17, 10))]
    assert cal.add(at(2026, 11, 16, 8, 30), 1, "working_days", excluded=morning) == at(2026, 11, 17, 10)


def test_it_reaches_exactly_the_limit_at_the_deadline(cal):
    for start, amount, unit in [
        (at(2026, 11, 19, 17), 4, "working_hours"),
        (at(2026, 12, 15, 10), 15, "working_days"),
        (at(2026, 11, 20, 18), Decimal("1.5"), "working_days"),
        (at(2026, 9, 30, 22), 2, "hours"),
    ]:
        deadline = cal.add(start, amount, unit)
        assert cal.elapsed_fraction(start, deadline, amount, unit) == 1.0, (start, unit)
        assert traffic_light(cal.elapsed_fraction(start, deadline, amount, unit)) == "yellow"
    # A working-day deadline is the last instant at the limit: a minute later is red.
    start = at(2026, 11, 16, 10)
    deadline = cal.add(start, 1, "working_days")
    later = deadline + dt.timedelta(minutes=1)
    assert traffic_light(cal.elapsed_fraction(start, later, 1, "working_days")) == "red"


def test_it_rejects_a_zero_limit_for_a_fraction(cal):
    with pytest.raises(ValueError, match="greater than zero"):
        cal.elapsed_fraction(at(2026, 11, 16, 10), at(2026, 11, 16, 11), 0, "hours")


# Traffic light


def test_it_colours_the_traffic_light_at_the_boundaries():
    assert traffic_light(0) == "green"
    assert traffic_light(0.79) == "green"
    assert traffic_light(0.8) == "yellow"
    assert traffic_light(1.0) == "yellow"
    assert traffic_light(1.01) == "red"


# Bad input


def test_it_rejects_naive_datetimes(cal):
    naive = dt.datetime(2026, 11, 16, 10)
    aware = at(2026, 11, 16, 10)
    with pytest.raises(ValueError, match="start must be a timezone-aware datetime"):
        cal.add(naive, 1, "hours")
    with pytest.raises(ValueError, match="end must be a timezone-aware datetime"):
        cal.elapsed(aware, naive, "working_hours")
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.elapsed(aware, aware, "hours", excluded=[(naive, naive)])
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_workday(naive)


def test_it_rejects_unknown_units(cal):
    with pytest.raises(ValueError, match="'fortnights'"):
        cal.add(at(2026, 11, 16, 10), 1, "fortnights")
    with pytest.raises(ValueError, match="'days'"):
        cal.elapsed(at(2026, 11, 16, 10), at(2026, 11, 17, 10), "days")


def test_it_rejects_bad_limits(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 11, 16, 10), -1, "hours")
    with pytest.raises(ValueError, match="finite"):
        cal.add(at(2026, 11, 16, 10), float("nan"), "hours")
    with pytest.raises(TypeError):
        cal.add(at(2026, 11, 16, 10), "4", "hours")


def test_it_rejects_an_excluded_interval_that_ends_before_it_starts(cal):
    with pytest.raises(ValueError, match="ends before it starts"):
        cal.elapsed(
            at(2026, 11, 16), at(2026, 11, 17), "hours", excluded=[(at(2026, 11, 16, 12), at(2026, 11, 16, 11))]
        )


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [("12:00", "08:30")],
        [("08:30", "12:00"), ("11:00", "17:30")],
        [("13:30", "17:30"), ("08:30", "12:00")],
        [("8h30", "12:00")],
        [("08:30",)],
    ],
)
def test_it_rejects_bad_office_hours(periods):
    with pytest.raises(ValueError):
        WorkCalendar(periods=periods)


def test_it_rejects_calendar_entries_not_keyed_by_date():
    with pytest.raises(ValueError, match="keyed by date"):
        WorkCalendar(overrides={at(2027, 1, 1): False})


# Configuration


def test_it_reads_office_hours_from_settings(settings):
    settings.WORK_HOURS = [("09:00", "12:00"), ("14:00", "18:00")]
    cal = default_calendar(overrides={dt.date(2026, 11, 17): False})
    assert cal.hours_per_day == dt.timedelta(hours=7)
    assert str(cal.tz) == "Asia/Shanghai"
    # Mon 17:00 + 2 working hours: 1 h to 18:00, Tuesday off, 1 h from Wednesday 09:00.
    assert cal.add(at(2026, 11, 16, 17), 2, "working_hours") == at(2026, 11, 18, 10)


def test_it_defaults_to_the_standard_office_hours(settings):
    del settings.WORK_HOURS
    cal = default_calendar()
    assert [(f"{a:%H:%M}", f"{b:%H:%M}") for a, b in cal.periods] == [("08:30", "12:00"), ("13:30", "17:30")]
    assert cal.hours_per_day == dt.timedelta(hours=7.5)
