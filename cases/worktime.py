"""Working-time arithmetic for case time limits (处置时限): deadlines, elapsed time, traffic lights.

Pure Python, no database: the caller passes the administrator's calendar entries
(``CalendarDay`` rows) as ``overrides``, e.g. ``dict(CalendarDay.objects.values_list("date", "is_workday"))``.

Units (the values of ``cases.models.LimitUnit``):

- ``hours``: natural hours, a plain duration.
- ``working_hours``: only time inside office periods on workdays counts.
- ``working_days``: N workdays; see ``WorkCalendar.add`` for the exact rule.

Which days are workdays: an administrator's override first, then the official
calendar with its adjusted workdays (调休) from the ``chinesecalendar`` package,
and for a year the package does not cover yet (it only knows years the State
Council has announced), Monday to Friday. ``missing_years`` names the years
where that fallback is in use without any administrator entry, so staff can be
warned that the schedule is missing.

Suspended (挂账) time is passed as ``excluded`` intervals; it stops the clock in
``add`` and ``elapsed`` alike.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

HOURS = "hours"
WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
UNITS = (HOURS, WORKING_HOURS, WORKING_DAYS)

DEFAULT_WORK_HOURS = (("08:30", "12:00"), ("13:30", "17:30"))
DEFAULT_TIME_ZONE = "Asia/Shanghai"

# Traffic light (DESIGN §3.4): green below 80 % of the limit, yellow 80–100 %, red above 100 %.
YELLOW_FROM = 0.8

Light = Literal["green", "yellow", "red"]
Interval = tuple[dt.datetime, dt.datetime]
PeriodSpec = tuple[dt.time | str, dt.time | str]

UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
# "Forever" for natural time: far enough for any limit, still safe to subtract from.
_END_OF_TIME = dt.datetime(9999, 12, 30, tzinfo=UTC)


def traffic_light(elapsed_fraction: float) -> Light:
    """``green`` below 0.8 of the limit, ``yellow`` from 0.8 up to and including 1.0, ``red`` above 1.0."""
    if elapsed_fraction < YELLOW_FROM:
        return "green"
    if elapsed_fraction <= 1.0:
        return "yellow"
    return "red"


def default_calendar(overrides: Mapping[dt.date, bool] | None = None) -> WorkCalendar:
    """The calendar configured for this site.

    Office periods come from the ``WORK_HOURS`` setting, a list of ``("HH:MM", "HH:MM")``
    pairs (default 08:30–12:00 and 13:30–17:30), the time zone from ``TIME_ZONE``.
    """
    return WorkCalendar(
        periods=getattr(settings, "WORK_HOURS", DEFAULT_WORK_HOURS),
        overrides=overrides,
        tz=getattr(settings, "TIME_ZONE", None) or DEFAULT_TIME_ZONE,
    )


class WorkCalendar:
    """Workdays, office hours and time-limit arithmetic in one local time zone.

    ``periods``: the office periods of every workday, in local time, as ``datetime.time``
    or ``"HH:MM"`` pairs, in order and not overlapping.
    ``overrides``: administrator entries, date → True (workday) or False (holiday);
    they win over the package and over the Monday–Friday fallback.
    ``tz``: the local time zone (a ``ZoneInfo`` or its name).

    Every datetime given must be timezone-aware; results come back in the time zone of
    the ``start`` argument. Decisions per day are cached on the instance, so build a new
    instance when the administrator's entries change.
    """

    def __init__(
        self,
        periods: Sequence[PeriodSpec] = DEFAULT_WORK_HOURS,
        overrides: Mapping[dt.date, bool] | None = None,
        tz: dt.tzinfo | str = DEFAULT_TIME_ZONE,
    ) -> None:
        self.periods = _parse_periods(periods)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.overrides = _parse_overrides(overrides or {})
        self._override_years = frozenset(day.year for day in self.overrides)
        self._workdays: dict[dt.date, bool] = {}
        self._package_years: dict[int, bool] = {}
        self.hours_per_day = sum(
            (
                dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
                for start, end in self.periods
            ),
            dt.timedelta(),
        )

    def __repr__(self) -> str:
        periods = ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in self.periods)
        return f"<WorkCalendar {periods} {self.tz} {len(self.overrides)} overrides>"

    # Days

    def package_covers(self, year: int) -> bool:
        """Whether the ``chinesecalendar`` package knows the official schedule of ``year``."""
        if year not in self._package_years:
            try:
                chinese_calendar.is_workday(dt.date(year, 1, 1))
                chinese_calendar.is_workday(dt.date(year, 12, 31))
            except NotImplementedError:
                self._package_years[year] = False
            else:
                self._package_years[year] = True
        return self._package_years[year]

    def is_workday(self, day: dt.date | dt.datetime) -> bool:
        """Override, else the official calendar (with 调休), else Monday–Friday for an unknown year."""
        day = self._local_date(day)
        try:
            return self._workdays[day]
        except KeyError:
            pass
        if day in self.overrides:
            decision = self.overrides[day]
        else:
            decision = None
            if self.package_covers(day.year):
                try:
                    decision = bool(chinese_calendar.is_workday(day))
                except NotImplementedError:
                    decision = None
            if decision is None:
                decision = day.weekday() < 5
        self._workdays[day] = decision
        return decision

    def missing_years(self, start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> list[int]:
        """Years from ``start`` to ``end`` (inclusive) that the package does not cover and that have
        no administrator entry at all: their schedule is a Monday–Friday guess, staff should be warned."""
        first, last = sorted((self._local_date(start).year, self._local_date(end).year))
        return [
            year
            for year in range(first, last + 1)
            if not self.package_covers(year) and year not in self._override_years
        ]

    # Time

    def add(
        self,
        start: dt.datetime,
        amount: float | int | Decimal,
        unit: str,
        excluded: Iterable[Interval] = (),
    ) -> dt.datetime:
        """The deadline of a limit of ``amount`` ``unit`` that starts at ``start``.

        - ``hours``: ``start`` plus that many real hours.
        - ``working_hours``: the first instant at which that much office time on workdays
          has passed. The clock stands still outside office periods, so a deadline that
          falls exactly at a period's end is that end (17:00 + 4 working hours with office
          hours to 17:30 → 0.5 h that day + 3.5 h from 08:30 = 12:00 the next workday).
        - ``working_days``: the same clock time N workdays later. A start outside office
          hours (evening, lunch break, weekend, holiday) counts from the next office
          opening: Friday 18:00 + 1 working day → Tuesday 08:30 (Monday being a
          workday). No clamping is needed, as every workday has the same office periods.
          Equivalently, and this is how fractions (1.5 working days) and ``excluded``
          are handled: the last instant before more than N × ``hours_per_day`` of
          office time has passed.

        ``excluded``: suspended (挂账) intervals; time inside them does not count, so
        each one moves the deadline by the part of it that the clock would have counted.
        """
        unit = _check_unit(unit)
        _check_aware(start, "start")
        target = _duration(amount, unit, self.hours_per_day)
        since = start.astimezone(UTC)
        pieces = _subtract(self._pieces(since, unit), _merge(excluded))
        # Working days: the deadline stays at the end of counted time until the clock runs again.
        latest = unit == WORKING_DAYS
        if not target and not latest:
            return start
        remaining = target
        for piece_start, piece_end in pieces:
            if latest and not remaining:
                return piece_start.astimezone(start.tzinfo)
            available = piece_end - piece_start
            if available > remaining or (available == remaining and not latest):
                return (piece_start + remaining).astimezone(start.tzinfo)
            remaining -= available
        raise OverflowError("The deadline is beyond the end of the calendar.")  # pragma: no cover

    def elapsed(
        self,
        start: dt.datetime,
        end: dt.datetime,
        unit: str,
        excluded: Iterable[Interval] = (),
    ) -> float:
        """Time counted from ``start`` to ``end`` in ``unit``: natural hours, working hours, or
        working days (working hours / ``hours_per_day``). Excluded intervals do not count;
        an ``end`` before ``start`` gives 0."""
        unit = _check_unit(unit)
        counted = self._counted(start, end, unit, excluded)
        if unit == WORKING_DAYS:
            return counted / self.hours_per_day
        return counted / dt.timedelta(hours=1)

    def elapsed_fraction(
        self,
        start: dt.datetime,
        end: dt.datetime,
        amount: float | int | Decimal,
        unit: str,
        excluded: Iterable[Interval] = (),
    ) -> float:
        """The part of a limit of ``amount`` ``unit`` used up by ``end``, for ``traffic_light``."""
        unit = _check_unit(unit)
        limit = _duration(amount, unit, self.hours_per_day)
        if not limit:
            raise ValueError("A time limit must be greater than zero to measure against it.")
        return self._counted(start, end, unit, excluded) / limit

    def working_hours_between(self, start: dt.datetime, end: dt.datetime, excluded: Iterable[Interval] = ()) -> float:
        """Office hours on workdays between ``start`` and ``end``, less any excluded intervals."""
        return self.elapsed(start, end, WORKING_HOURS, excluded)

    # Internals

    def _counted(self, start: dt.datetime, end: dt.datetime, unit: str, excluded: Iterable[Interval]) -> dt.timedelta:
        _check_aware(start, "start")
        _check_aware(end, "end")
        gaps = _merge(excluded)
        since, until = start.astimezone(UTC), end.astimezone(UTC)
        total = dt.timedelta()
        if until <= since:
            return total
        for piece_start, piece_end in _subtract(self._pieces(since, unit), gaps):
            if piece_start >= until:
                break
            total += min(piece_end, until) - piece_start
        return total

    def _pieces(self, since: dt.datetime, unit: str) -> Iterator[Interval]:
        """The intervals (UTC) in which the clock runs, from ``since`` on, in order."""
        if unit == HOURS:
            yield since, _END_OF_TIME
            return
        day = since.astimezone(self.tz).date()
        while True:
            if self.is_workday(day):
                for opens, closes in self._office(day):
                    if closes > since:
                        yield max(opens, since), closes
            day += ONE_DAY

    def _office(self, day: dt.date) -> list[Interval]:
        return [
            (
                dt.datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC),
                dt.datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC),
            )
            for opens, closes in self.periods
        ]

    def _local_date(self, value: dt.date | dt.datetime) -> dt.date:
        if isinstance(value, dt.datetime):
            _check_aware(value, "day")
            return value.astimezone(self.tz).date()
        return value


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValueError(f"Unknown time-limit unit {unit!r}; expected one of {', '.join(UNITS)}.")
    return unit


def _check_aware(value: dt.datetime, name: str) -> None:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value.isoformat()}.")


def _duration(amount: float | int | Decimal, unit: str, hours_per_day: dt.timedelta) -> dt.timedelta:
    """The limit as counted time: hours, or working days × office hours per day."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise TypeError(f"A time limit must be a number, not {amount!r}.")
    if (isinstance(amount, float) and not math.isfinite(amount)) or (
        isinstance(amount, Decimal) and not amount.is_finite()
    ):
        raise ValueError(f"A time limit must be finite, not {amount!r}.")
    if amount < 0:
        raise ValueError(f"A time limit cannot be negative: {amount!r}.")
    unit_length = hours_per_day if unit == WORKING_DAYS else dt.timedelta(hours=1)
    # Whole microseconds from Decimal, so 1.5 working days is exact.
    microseconds = Decimal(amount) * (unit_length // dt.timedelta(microseconds=1))
    return dt.timedelta(microseconds=int(microseconds.to_integral_value()))


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Excluded intervals in UTC, sorted, overlapping ones joined, empty ones dropped."""
    cleaned = []
    for interval_start, interval_end in intervals:
        _check_aware(interval_start, "excluded interval start")
        _check_aware(interval_end, "excluded interval end")
        if interval_end < interval_start:
            raise ValueError(f"Excluded interval ends before it starts: {interval_start} – {interval_end}.")
        if interval_end > interval_start:
            cleaned.append((interval_start.astimezone(UTC), interval_end.astimezone(UTC)))
    cleaned.sort()
    merged: list[Interval] = []
    for interval_start, interval_end in cleaned:
        if merged and interval_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], interval_end))
        else:
            merged.append((interval_start, interval_end))
    return merged


def _subtract(pieces: Iterable[Interval], excluded: list[Interval]) -> Iterator[Interval]:
    """``pieces`` (in order) without the time inside ``excluded`` (merged, in order)."""
    index = 0
    for piece_start, piece_end in pieces:
        while index < len(excluded) and excluded[index][1] <= piece_start:
            index += 1
        cursor = piece_start
        position = index
        while position < len(excluded) and excluded[position][0] < piece_end:
            gap_start, gap_end = excluded[position]
            if gap_start > cursor:
                yield cursor, gap_start
            cursor = max(cursor, gap_end)
            if cursor >= piece_end:
                break
            position += 1
        if cursor < piece_end:
            yield cursor, piece_end


def _parse_time(value: dt.time | str) -> dt.time:
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ValueError(f"Office hours are local times, without a time zone: {value}.")
        return value
    try:
        return dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"Office hours need times like '08:30', not {value!r}.") from None


def _parse_periods(periods: Sequence[PeriodSpec]) -> tuple[tuple[dt.time, dt.time], ...]:
    parsed = []
    for period in periods:
        try:
            opens, closes = period
        except (TypeError, ValueError):
            raise ValueError(f"An office period is a (start, end) pair, not {period!r}.") from None
        parsed.append((_parse_time(opens), _parse_time(closes)))
    if not parsed:
        raise ValueError("Office hours need at least one period.")
    for index, (opens, closes) in enumerate(parsed):
        if opens >= closes:
            raise ValueError(f"Office period {opens:%H:%M}–{closes:%H:%M} does not end after it starts.")
        if index and opens < parsed[index - 1][1]:
            raise ValueError(f"Office period {opens:%H:%M}–{closes:%H:%M} overlaps or precedes the one before it.")
    return tuple(parsed)


def _parse_overrides(overrides: Mapping[dt.date, bool]) -> dict[dt.date, bool]:
    parsed = {}
    for day, is_workday in overrides.items():
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise ValueError(f"Calendar entries are keyed by date, not {day!r}.")
        parsed[day] = bool(is_workday)
    return parsed
