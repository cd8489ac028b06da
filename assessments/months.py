"""The stored figures of the months that are over (MonthFigures), kept in step with the rollup.

A month's figures no longer change once it is over, except through a late change to one of its
cases (cancelled months later, a report filed late, a closure back-dated by a test): every such
change goes through `facts.facts_rebuild_cases`, which deletes the stored rows of every month
the changed cases and events belong to, before and after the change, in the same transaction.
`months_refresh` then computes the months that have no rows: on the beat schedule (with the
facts), after `manage.py assessments_rebuild`, and never on a page read; a month without rows
is read from the rollup, so a page is never wrong, only slower.

The figures are computed by the selectors' own monthly query (`selectors.monthly_figures`),
grouped by each dimension a slice can have, so a stored month is by construction what the
selectors give when they compute it from the rollup.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from assessments.facts import month_index, month_start, rollup_lock
from assessments.models import CaseFact, MonthFigures

# Which fact columns give a dimension's keys (a grid of any level is a "grid").
DIMENSIONS: dict[str, tuple[str | None, ...]] = {
    MonthFigures.Dim.ALL: (None,),
    MonthFigures.Dim.GRID: ("district_grid_id", "large_grid_id", "community_grid_id", "micro_grid_id"),
    MonthFigures.Dim.DEPARTMENT: ("department_id",),
    MonthFigures.Dim.CATEGORY: ("category_id",),
    MonthFigures.Dim.SOURCE: ("source",),
    MonthFigures.Dim.CHIEF: ("responsible_id",),
}
BATCH = 6  # months computed per transaction (the rollup is locked meanwhile)


def _runs(months: list[int]) -> Iterable[list[int]]:
    """Consecutive months, at most BATCH at a time."""
    run: list[int] = []
    for month in months:
        if run and (month != run[-1] + 1 or len(run) == BATCH):
            yield run
            run = []
        run.append(month)
    if run:
        yield run


def months_missing(*, now: datetime.datetime | None = None) -> list[int]:
    """The months that are over, hold cases, and have no stored figures."""
    now = now or timezone.now()
    last = month_index(timezone.localtime(now).date()) - 1
    earliest = CaseFact.objects.aggregate(earliest=Min("reported_on"))["earliest"]  # on its index
    if earliest is None or month_index(earliest) > last:
        return []
    first = month_index(earliest)
    done = set(
        MonthFigures.objects.filter(dim=MonthFigures.Dim.ALL, month__gte=first, month__lte=last).values_list(
            "month", flat=True
        )
    )
    return [month for month in range(first, last + 1) if month not in done]


def months_refresh(*, now: datetime.datetime | None = None, limit: int | None = None) -> int:
    """Compute the stored figures of the months that are over and have none (oldest first, at
    most `limit` months). Returns how many months were computed."""
    from assessments.selectors import COUNTS, Period, monthly_figures

    now = now or timezone.now()
    todo = months_missing(now=now)[:limit]
    for run in _runs(todo):
        span = Period.custom(month_start(run[0]), month_start(run[-1] + 1) - datetime.timedelta(days=1))
        with transaction.atomic():
            rollup_lock()  # no fact row changes while these months are read and stored
            already = set(
                MonthFigures.objects.filter(dim=MonthFigures.Dim.ALL, month__in=run).values_list("month", flat=True)
            )
            months = [month for month in run if month not in already]
            rows = []
            for dim, columns in DIMENSIONS.items():
                for column in columns:
                    results = monthly_figures(period=span, where=Q(), group=column, now=now, weights={})
                    for (month, key), figures in results.items():
                        if month in months and (key is not None or dim == MonthFigures.Dim.ALL):
                            rows.append(MonthFigures(month=month, dim=dim, key="" if key is None else str(key),
                                                     counts=figures.counts,
                                                     handling_hours=figures.handling_hours_sum))  # fmt: skip
            found = {row.month for row in rows if row.dim == MonthFigures.Dim.ALL}
            rows += [
                MonthFigures(month=month, dim=MonthFigures.Dim.ALL, key="", counts=dict.fromkeys(COUNTS, 0))
                for month in months
                if month not in found
            ]  # a month without any case is computed too: all zero
            MonthFigures.objects.bulk_create(rows, batch_size=2000)
    return len(todo)
