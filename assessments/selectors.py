"""Every assessment figure, computed in one place (DESIGN.md §4).

Pages, the API, the CSV/Excel exports and the bulletin all read from here, so
their numbers cannot disagree. Each figure is defined once below as a filter on
the rollup rows (assessments.models): the same filter counts it, and lists the
cases behind it (`metric_cases`).

Cohorts (Asia/Shanghai dates):
- reports: cases reported in the period; filing rate: of those, filed by the cut-off.
- everything else about cases: the cases filed (立案) in the period, and what had
  happened to them by the cut-off: the end of the period, or now for a period not
  over yet. Cancelled or merged cases (by the cut-off) leave every rate.
- dispatches, send-backs, extensions, reworks as events: counted by the event's date.

Selectors only read what the rollup holds. Bringing it up to date writes (and takes the
rollup's lock), so it is done explicitly by whoever serves the figures: once at the start
of each page or API request that reads them (assessments.facts.with_fresh_facts), at the
start of a bulletin PDF job, and every minute by the beat (assessments.refresh_facts).

Longer than most modules (~750 lines) on purpose: the periods, the slices, the figure
declarations and the queries that count them are one definition of "a figure", read together.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Case as CaseWhen
from django.db.models import Count, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.machines import MACHINE_ACCOUNTS
from accounts.roles import Role
from assessments.facts import month_index
from assessments.models import AssessmentSettings, CaseFact, EventFact, MonthFigures, PostFact
from campaigns.models import Campaign, CampaignTarget
from campaigns.selectors import campaign_case_ids
from cases.models import Case, Category, Department, Source, Status
from cases.selectors import catalogue_all
from config.memo import Memo
from devices.models import Alert, Device, EventType, Outcome
from grids.models import CommandCenter, Grid, Level, Person, Road, RoadSegment
from grids.selectors import centers_known

# ---- periods -----------------------------------------------------------------

PERIOD_KINDS = ("day", "week", "month", "quarter", "year", "custom")
PERIOD_LABELS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "custom": _("Custom range"),
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    """A range of local days, both ends included."""

    kind: str
    start: datetime.date
    end: datetime.date

    @classmethod
    def containing(cls, kind: str, day: datetime.date) -> Period:
        if kind == "day":
            return cls(kind, day, day)
        if kind == "week":
            start = day - datetime.timedelta(days=day.weekday())
            return cls(kind, start, start + datetime.timedelta(days=6))
        if kind == "month":
            start = day.replace(day=1)
        elif kind == "quarter":
            start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        elif kind == "year":
            return cls(kind, datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))
        else:
            raise ValueError(f"unknown period kind {kind!r}")
        months = 1 if kind == "month" else 3
        return cls(kind, start, _add_months(start, months) - datetime.timedelta(days=1))

    @classmethod
    def custom(cls, start: datetime.date, end: datetime.date) -> Period:
        if end < start:
            raise ValueError("the period ends before it starts")
        return cls("custom", start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before (环比): the previous day, week, month, quarter, year, or as many days."""
        if self.kind == "custom":
            end = self.start - datetime.timedelta(days=1)
            return Period("custom", end - datetime.timedelta(days=self.days - 1), end)
        return Period.containing(self.kind, self.start - datetime.timedelta(days=1))

    def year_earlier(self) -> Period:
        """The same period a year earlier (同比)."""
        if self.kind in ("custom", "day"):
            return Period(self.kind, _year_earlier(self.start), _year_earlier(self.end))
        if self.kind == "week":  # the same ISO week number a year earlier
            year, week, _day = self.start.isocalendar()
            try:
                start = datetime.date.fromisocalendar(year - 1, week, 1)
            except ValueError:
                start = datetime.date.fromisocalendar(year - 1, 52, 1)
            return Period.containing("week", start)
        return Period.containing(self.kind, _year_earlier(self.start))

    def months(self) -> list[Period]:
        """The calendar months the period touches, clipped to it (the monthly trend)."""
        months, start = [], self.start.replace(day=1)
        while start <= self.end:
            month = Period.containing("month", start)
            months.append(Period("month", max(month.start, self.start), min(month.end, self.end)))
            start = _add_months(start, 1)
        return months

    def cut(self, now: datetime.datetime | None = None) -> datetime.datetime:
        """What counts as "by now" for this period: the end of its last day, or now if earlier."""
        end = local_midnight(self.end + datetime.timedelta(days=1))
        return min(end, now or timezone.now())

    def is_current(self, now: datetime.datetime | None = None) -> bool:
        return self.cut(now) < local_midnight(self.end + datetime.timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start:%Y-%m-%d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def as_params(self) -> dict[str, str]:
        return {"period": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}


# ---- slices --------------------------------------------------------------------

GRID_FIELD = {
    Level.DISTRICT: "district_grid_id",
    Level.LARGE: "large_grid_id",
    Level.COMMUNITY: "community_grid_id",
    Level.MICRO: "micro_grid_id",
}
CHILD_LEVEL = {Level.DISTRICT: Level.LARGE, Level.LARGE: Level.COMMUNITY, Level.COMMUNITY: Level.MICRO}


@dataclass(frozen=True)
class Slice:
    """Which cases: a grid with its whole subtree, a department, a responsible chief, a
    category (or a major category), a source, the cases a campaign counts (专项整治), the
    territory of a command center (镇街三级: its grids' subtrees); any combination, all optional."""

    grid: Grid | None = None
    department: Department | None = None
    chief: Person | None = None
    category: Category | None = None
    major_id: int | None = None
    source: str | None = None
    campaign: Campaign | None = None
    # Not which cases but how the closure-type figures count them: "filed" or "due"; None: as the
    # city's assessment settings say (resolved by `basis_of`).
    basis: str | None = None
    center: CommandCenter | None = None

    @property
    def center_tops(self) -> tuple[int, ...]:
        """The grids whose subtrees the slice's center covers (none: no center in the slice)."""
        return centers_known().tops.get(self.center.pk, ()) if self.center is not None else ()

    def q(self) -> Q:
        """The filter on CaseFact or EventFact (they share these columns)."""
        q = Q()
        if self.grid is not None:
            q &= Q(**{GRID_FIELD[self.grid.level]: self.grid.pk})
        if self.center is not None:
            tops = list(self.center_tops)  # a grid id is one grid's, at whatever level: any column may hold it
            q &= functools.reduce(operator.or_, (Q(**{f"{c}__in": tops}) for c in GRID_FIELD.values()))
        if self.department is not None:
            q &= Q(department_id=self.department.pk)
        if self.chief is not None:
            q &= Q(responsible_id=self.chief.pk)
        if self.category is not None:
            q &= Q(category_id=self.category.pk)
        if self.major_id is not None:
            q &= Q(category_id__in=Category.objects.filter(major_id=self.major_id).values("pk"))
        if self.source:
            q &= Q(source=self.source)
        if self.campaign is not None:
            q &= Q(case_id__in=campaign_case_ids(campaign=self.campaign))
        return q

    def dimension(self) -> tuple[str, str] | None:
        """The stored month figures that answer this slice (MonthFigures dim and key): the whole
        city or one dimension; None for a combination or a major category."""
        values = {
            MonthFigures.Dim.GRID: self.grid.pk if self.grid is not None else None,
            MonthFigures.Dim.DEPARTMENT: self.department.pk if self.department is not None else None,
            MonthFigures.Dim.CHIEF: self.chief.pk if self.chief is not None else None,
            MonthFigures.Dim.CATEGORY: self.category.pk if self.category is not None else None,
            MonthFigures.Dim.SOURCE: self.source or None,
        }
        given = [(dim, str(value)) for dim, value in values.items() if value is not None]
        if self.major_id is not None or self.campaign is not None or self.center is not None or len(given) > 1:
            return None
        return given[0] if given else (MonthFigures.Dim.ALL, "")

    def as_params(self) -> dict[str, str]:
        params = {}
        if self.grid is not None:
            params["grid"] = str(self.grid.pk)
        if self.department is not None:
            params["department"] = str(self.department.pk)
        if self.chief is not None:
            params["chief"] = str(self.chief.pk)
        if self.category is not None:
            params["category"] = str(self.category.pk)
        if self.major_id is not None:
            params["major"] = str(self.major_id)
        if self.source:
            params["source"] = self.source
        if self.campaign is not None:
            params["campaign"] = str(self.campaign.pk)
        if self.basis:
            params["basis"] = self.basis
        if self.center is not None:
            params["center"] = str(self.center.pk)
        return params


ALL = Slice()  # the whole city


# ---- the figures, each defined once ------------------------------------------


@dataclass(frozen=True)
class Count_:
    """A count of rollup rows (case facts or event facts), declared once and read two ways.

    A row counts when it belongs to the cohort of the period (cases reported in it, cases filed
    in it, or events of `cohort`'s kind dated in it) and, by the cut-off, every moment in `by`
    had happened and none in `not_by`. `cancelled`: False leaves cancelled and merged cases
    out, True counts only them, None both.

    `where` is that filter for one period and its cut-off. `where_monthly` is the same filter
    for every month of a period at once, each row measured against the end of its own cohort
    month (the monthly trend): for a month m of the period, "happened by m's cut-off" is
    "happened before the period's cut-off, in month m or earlier", which the rows' `*_month`
    columns answer without any date arithmetic in the query.
    """

    name: str
    label: str
    cohort: str  # "reported", "filed", "due" (the handling deadline's date), or an EventFact.Kind
    by: tuple[str, ...] = ()
    not_by: tuple[str, ...] = ()
    cancelled: bool | None = False

    @property
    def table(self) -> str:
        return "case" if self.cohort in ("reported", "filed", "due") else "event"

    @property
    def month_field(self) -> str:
        """The column holding the row's cohort month."""
        return f"{self.cohort}_month" if self.table == "case" else "month"

    def _cohort_q(self, p: Period, cut: datetime.datetime) -> Q:
        if self.table == "event":
            return Q(kind=self.cohort, on__gte=p.start, on__lte=p.end, at__lt=cut)
        q = Q(**{f"{self.cohort}_on__gte": p.start, f"{self.cohort}_on__lte": p.end, f"{self.cohort}_at__lt": cut})
        if self.table == "case" and self.cohort in ("filed", "due") and self.cancelled is not None:
            # A cancelled (作废) or merged case was never a case to assess: it leaves every
            # period, even when it was cancelled after the period ended.
            q &= Q(cancelled_at__isnull=not self.cancelled)
        return q

    def where(self, p: Period, cut: datetime.datetime) -> Q:
        q = self._cohort_q(p, cut)
        for moment in self.by:
            q &= Q(**{f"{moment}_at__lt": cut})
        for moment in self.not_by:
            q &= Q(**{f"{moment}_at__isnull": True}) | Q(**{f"{moment}_at__gte": cut})
        return q

    def where_monthly(self, p: Period, cut: datetime.datetime) -> Q:
        """`where` for each month of `p` at once (`cut`: the cut-off of the whole of `p`)."""
        q = self._cohort_q(p, cut)
        own = F(self.month_field)
        for moment in self.by:
            q &= Q(**{f"{moment}_at__lt": cut, f"{moment}_month__lte": own})
        for moment in self.not_by:
            q &= (
                Q(**{f"{moment}_at__isnull": True})
                | Q(**{f"{moment}_at__gte": cut})
                | Q(**{f"{moment}_month__gt": own})
            )
        return q


COUNTS: dict[str, Count_] = {
    c.name: c
    for c in [
        Count_("reports", _("Reports"), "reported"),
        Count_("reports_filed", _("Reports filed"), "reported", by=("filed",)),
        Count_("filed", _("Filed"), "filed", cancelled=None),
        Count_("cancelled", _("Cancelled or merged"), "filed", cancelled=True),
        Count_("assessed", _("Filed, less cancelled or merged"), "filed"),
        Count_("closed", _("Closed"), "filed", by=("closed",)),
        Count_("on_time_base", _("Filed, less cancelled, merged or suspended"), "filed", not_by=("suspended",)),
        Count_("closed_on_time", _("Closed on time"), "filed", by=("closed",), not_by=("suspended", "late")),
        Count_("overdue", _("Overdue"), "filed", by=("late",)),
        Count_("dispatched", _("Dispatched"), "filed", by=("dispatched",)),
        Count_("handled", _("Handled"), "filed", by=("handled",)),
        Count_("reworked", _("Reworked"), "filed", by=("reworked",)),
        Count_("extended", _("Extended"), "filed", by=("extended",)),
        Count_("suspended", _("Suspended"), "filed", by=("suspended",)),
        # The due basis (应结案): cases whose handling deadline (after extensions) falls in the period.
        Count_("due", _("Due in the period (not cancelled)"), "due"),
        Count_("due_closed", _("Due in the period and closed"), "due", by=("closed",)),
        Count_("due_on_time_base", _("Due in the period, not suspended"), "due", not_by=("suspended",)),
        Count_(
            "due_closed_on_time",
            _("Due in the period, closed on time"),
            "due",
            by=("closed",),
            not_by=("suspended", "late"),
        ),  # fmt: skip
        # 按时处置率 (the departments' post figure, and the composite score's on-time term)
        Count_("handled_base", _("Handled, not suspended"), "filed", by=("handled",), not_by=("suspended",)),
        Count_(
            "handled_on_time",
            _("Handled on time"),
            "filed",
            by=("handled",),
            not_by=("suspended", "late"),
        ),  # fmt: skip
        Count_("dispatches", _("Dispatches"), EventFact.Kind.DISPATCH),
        Count_("send_backs", _("Send-backs"), EventFact.Kind.SEND_BACK),
        Count_("extensions", _("Extensions approved"), EventFact.Kind.EXTENSION),
        Count_("reworks", _("Reworks"), EventFact.Kind.REWORK),
        # Satisfaction (回访 and citizens' ratings): the first evaluation of each case, by the cut-off.
        Count_("evaluated", _("Evaluated (rated or called back)"), "filed", by=("evaluated",)),
        Count_("contacted", _("Contacted (by the reporter's account)"), "filed", by=("contacted",)),
        Count_("solved", _("Solved (by the reporter's account)"), "filed", by=("solved",)),
        Count_("satisfied", _("Satisfied or basically satisfied"), "filed", by=("satisfied",)),
        Count_("dissatisfied", _("Dissatisfied"), "filed", by=("evaluated",), not_by=("satisfied",)),
        Count_("reopened", _("Reopened"), "filed", by=("reopened",)),
    ]
}


@dataclass(frozen=True)
class Rate:
    name: str
    label: str
    numerator: str
    denominator: str
    subtract: str | None = None  # numerator is `numerator − subtract` (dispatch accuracy)
    # On the due basis (应结案), the closure-type rates count these instead (numerator, denominator).
    due: tuple[str, str] | None = None

    def parts(self, basis: str = "filed") -> tuple[str, str]:
        """The counts the rate divides on `basis`."""
        return self.due if basis == "due" and self.due else (self.numerator, self.denominator)


RATES: dict[str, Rate] = {
    r.name: r
    for r in [
        Rate("filing_rate", _("Filing rate"), "reports_filed", "reports"),
        Rate("closure_rate", _("Closure rate"), "closed", "assessed", due=("due_closed", "due")),
        Rate(
            "on_time_rate",
            _("On-time closure rate"),
            "closed_on_time",
            "on_time_base",
            due=("due_closed_on_time", "due_on_time_base"),
        ),  # fmt: skip
        Rate("overdue_rate", _("Overdue rate"), "overdue", "assessed"),
        Rate("on_time_handling_rate", _("On-time handling rate"), "handled_on_time", "handled_base"),
        Rate("handling_rate", _("Handling rate"), "handled", "dispatched"),
        Rate("rework_rate", _("Rework rate"), "reworked", "handled"),
        Rate("extension_rate", _("Extension rate"), "extended", "dispatched"),
        Rate("dispatch_accuracy", _("Dispatch accuracy"), "dispatches", "dispatches", subtract="send_backs"),
        Rate("response_rate", _("Response rate"), "contacted", "evaluated"),
        Rate("solution_rate", _("Solution rate"), "solved", "evaluated"),
        Rate("satisfaction_rate", _("Satisfaction rate"), "satisfied", "evaluated"),
    ]
}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """The rate as a fraction (exact); None when there is nothing to divide by."""
        return Decimal(self.numerator) / Decimal(self.denominator) if self.denominator else None

    @property
    def percent(self) -> Decimal | None:
        """In per cent, two decimals, half up: 17,676 / 18,294 → 96.62."""
        value = self.value
        return None if value is None else (value * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def grade(score: Decimal | None) -> str:
    """A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below (DESIGN.md §4)."""
    if score is None:
        return ""
    for letter, floor in (("A", 90), ("B", 75), ("C", 60), ("D", 40)):
        if score >= floor:
            return letter
    return "E"


@dataclass
class Figures:
    """The counts of one slice and period, and everything computed from them."""

    period: Period
    cut: datetime.datetime
    counts: dict[str, int]
    handling_hours_sum: Decimal = Decimal(0)
    weights: dict[str, Decimal] = field(default_factory=dict)
    basis: str = "filed"  # the closure-type rates over cases filed in the period, or due in it

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def ratio(self, name: str, *, basis: str | None = None) -> Ratio:
        """A rate on this figures' basis (or on `basis`)."""
        rate = RATES[name]
        numerator, denominator = rate.parts(basis or self.basis)
        numerator = self.counts[numerator] - (self.counts[rate.subtract] if rate.subtract else 0)
        return Ratio(numerator, self.counts[denominator])

    @property
    def base(self) -> int:
        """The cases the closure figures are counted over: filed (not cancelled), or due (应结案)."""
        return self.counts["due" if self.basis == "due" else "assessed"]

    def percent(self, name: str) -> Decimal | None:
        return self.ratio(name).percent

    @property
    def mean_handling_hours(self) -> Decimal | None:
        """Mean working hours from dispatch to handled, over the cases handled by the cut-off."""
        handled = self.counts["handled"]
        return (self.handling_hours_sum / handled).quantize(CENT, rounding=ROUND_HALF_UP) if handled else None

    @property
    def score(self) -> Decimal | None:
        """综合指标值, 0–100: the weighted mean of the handling rate, the on-time handling rate, one
        minus the rework, overdue and extension rates, and the satisfaction rate (weight 0 unless the
        city chooses). A rate with nothing to divide by counts as 0 (so a unit with nothing handled
        scores nothing for handling and loses nothing for
        rework). None for a unit without assessed cases."""
        if not self.counts["assessed"] or not self.weights:
            return None

        def rate(name: str) -> Decimal:  # the score does not change with the basis of the closure figures
            return self.ratio(name, basis="filed").value or Decimal(0)

        parts = {
            "handling": rate("handling_rate"),
            "on_time": rate("on_time_handling_rate"),  # DESIGN §4: the on-time *handling* rate
            "rework": 1 - rate("rework_rate"),
            "overdue": 1 - rate("overdue_rate"),
            "extension": 1 - rate("extension_rate"),
            "satisfaction": rate("satisfaction_rate"),
        }
        total = sum(self.weights.get(k, 0) for k in parts)
        if not total:
            return None
        score = sum(self.weights.get(k, 0) * parts[k] for k in parts) / total * HUNDRED
        return score.quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def grade(self) -> str:
        return grade(self.score)


def basis_of(slice: Slice) -> str:
    """The basis the closure-type figures of `slice` are counted on: the request's, else the city's."""
    return slice.basis or assessment_settings().basis


def _settings_load() -> AssessmentSettings:
    return AssessmentSettings.objects.filter(pk=1).first() or AssessmentSettings(pk=1)


_SETTINGS = Memo("assessments.settings", _settings_load)


def assessment_settings() -> AssessmentSettings:
    """The city's weights and minimum case count: read once per process, again when they change
    (config.memo); read-only."""
    return _SETTINGS.get()


def memos_connect() -> None:
    """Tell the settings memo when the row changes (called once, from the app's ready())."""

    def changed(**kwargs) -> None:
        _SETTINGS.changed()

    for signal in (post_save, post_delete):
        signal.connect(changed, sender=AssessmentSettings, weak=False, dispatch_uid="assessments.settings")


TABLES = (("case", CaseFact), ("event", EventFact))


def _touching(table: str, period: Period) -> Q:
    """The rows any figure of the period could count (keeps the scan on the date indexes)."""
    if table == "case":
        return (
            Q(filed_on__gte=period.start, filed_on__lte=period.end)
            | Q(reported_on__gte=period.start, reported_on__lte=period.end)
            | Q(due_on__gte=period.start, due_on__lte=period.end)
        )
    return Q(on__gte=period.start, on__lte=period.end)


# ---- counting a period: each case row's mask -----------------------------------------
#
# What a case row is to every figure of a period comes down to a few yes-or-no facts: is it one of
# the period's reports, one of its filed cases, cancelled, and has each moment happened by the
# cut-off. They are computed once per row as the bits of one integer, its mask; the rows are
# counted per mask (and per unit), and each figure adds up the masks its declaration accepts
# (Count_.accepts, read from the same fields as Count_.where). One pass over the rows with two
# aggregates, instead of one filtered aggregate per figure evaluated on every row.

REPORTED, FILED, CANCELLED = 1, 2, 4
MOMENTS = ("filed", "closed", "suspended", "late", "dispatched", "handled", "reworked", "extended",
           "evaluated", "contacted", "solved", "satisfied", "reopened")  # fmt: skip
MOMENT_BIT = {moment: 8 << n for n, moment in enumerate(MOMENTS)}
DUE = 8 << len(MOMENTS)  # one of the period's due cases (应结案: handling deadline in the period)
COHORT_BIT = {"reported": REPORTED, "filed": FILED, "due": DUE}
EVENT_COUNTS = {c.cohort: name for name, c in COUNTS.items() if c.table == "event"}


def _accepts(count: Count_, mask: int) -> bool:
    """Whether a case row with `mask` counts in `count`: Count_.where, read from the bits."""
    if not mask & COHORT_BIT[count.cohort]:
        return False
    if count.cohort != "reported" and count.cancelled is not None and bool(mask & CANCELLED) != count.cancelled:
        return False
    return all(mask & MOMENT_BIT[m] for m in count.by) and not any(mask & MOMENT_BIT[m] for m in count.not_by)


@functools.cache
def _accepted(mask: int) -> tuple[str, ...]:
    return tuple(name for name, c in COUNTS.items() if c.table == "case" and _accepts(c, mask))


def _mask(period: Period, cut: datetime.datetime):
    """A case row's mask for `period` and its cut-off, as an SQL expression."""
    bits = [
        (REPORTED, Q(reported_on__gte=period.start, reported_on__lte=period.end, reported_at__lt=cut)),
        (FILED, Q(filed_on__gte=period.start, filed_on__lte=period.end, filed_at__lt=cut)),
        (CANCELLED, Q(cancelled_at__isnull=False)),
        (DUE, Q(due_on__gte=period.start, due_on__lte=period.end, due_at__lt=cut)),
        *((bit, Q(**{f"{moment}_at__lt": cut})) for moment, bit in MOMENT_BIT.items()),
    ]
    terms = [CaseWhen(When(q, then=Value(bit)), default=Value(0), output_field=IntegerField()) for bit, q in bits]
    return functools.reduce(operator.add, terms)


def _add_case_row(figures: Figures, mask: int, n: int, hours) -> None:
    for name in _accepted(mask):
        figures.counts[name] += n
    if "handled" in _accepted(mask) and hours is not None:
        figures.handling_hours_sum += _decimal(hours)


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.0001"))


# Groups that are not columns of the rollup but reached through the case (roads, 路长制: a case's
# road segment is the case's, not copied into the facts).
JOINED_GROUPS = {"road_key": "case__road_segment__road_id", "segment_key": "case__road_segment_id"}


def _grouped_each(
    period: Period,
    where: Q,
    groups: Sequence[str],
    now: datetime.datetime | None,
    weights: dict[str, Decimal],
    basis: str = "filed",
) -> dict[str | None, dict[object, Figures]]:
    """Figures of the period for the rows of `where` per value of each column of `groups` (no
    groups: in total, under the keys None, None): one statement per table, whatever the number
    of groups and of units."""
    cut = period.cut(now)
    results: dict[str | None, dict[object, Figures]] = {group: {} for group in groups} if groups else {None: {}}

    def at(group, key) -> Figures:
        figures = results[group].get(key)
        if figures is None:
            figures = results[group][key] = Figures(period, cut, dict.fromkeys(COUNTS, 0), weights=weights, basis=basis)
        return figures

    through = {group: F(JOINED_GROUPS[group]) for group in groups if group in JOINED_GROUPS}
    cases = (
        CaseFact.objects.annotate(**through).filter(where & _touching("case", period)).annotate(mask=_mask(period, cut))
    )
    for group, key, row in _counted(cases, groups, "mask", hours=True):
        _add_case_row(at(group, key), row["mask"], row["n"], row["hours"])
    events = EventFact.objects.annotate(**through).filter(where & _touching("event", period), at__lt=cut)
    for group, key, row in _counted(events, groups, "kind"):
        at(group, key).counts[EVENT_COUNTS[row["kind"]]] += row["n"]
    if not groups and not results[None]:
        at(None, None)
    return results


def _counted(rows: QuerySet, groups: Sequence[str], by: str, *, hours: bool = False):
    """(group, key, row) for `rows` counted (`n`, and with `hours` the sum of handling_hours) per
    value of `by` and of each column of `groups` in turn (no groups: per value of `by` alone,
    group and key None). One statement: GROUPING SETS on PostgreSQL (one pass over the rows), the
    groupings as one UNION ALL over the same rows elsewhere."""
    total = ", SUM(r.handling_hours) AS hours" if hours else ""
    if not groups:
        aggs = {"n": Count("pk"), **({"hours": Sum("handling_hours")} if hours else {})}
        for row in rows.values(by).annotate(**aggs).order_by():
            yield None, None, row
        return
    qn = connection.ops.quote_name
    inner, params = rows.values(*groups, by, *(["handling_hours"] if hours else [])).query.sql_with_params()
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps the subquery whole: each row's mask is computed once, and the planner,
        # not told how few masks there are, still groups by hashing rather than by sorting.
        inner += " OFFSET 0"
        columns = ", ".join(f"r.{qn(g)}" for g in groups)
        sets = ", ".join(f"(r.{qn(g)}, r.{qn(by)})" for g in groups)
        sql = (
            f"SELECT GROUPING({columns}) AS grouping_set, {columns}, r.{qn(by)}, COUNT(*) AS n{total} "
            f"FROM ({inner}) AS r GROUP BY GROUPING SETS ({sets})"
        )
        # GROUPING(...) has a bit per column (the last is the lowest), 1 where it is not grouped.
        full = (1 << len(groups)) - 1
        which = {full - (1 << (len(groups) - 1 - n)): g for n, g in enumerate(groups)}
    else:
        branches = [
            f"SELECT {n} AS grouping_set, r.{qn(g)} AS key, r.{qn(by)}, COUNT(*) AS n{total} "
            f"FROM r GROUP BY r.{qn(g)}, r.{qn(by)}"
            for n, g in enumerate(groups)
        ]
        sql = f"WITH r AS ({inner}) " + " UNION ALL ".join(branches)
        which = dict(enumerate(groups))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        found = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in found:
        group = which[row["grouping_set"]]
        yield group, row[group] if connection.vendor == "postgresql" else row["key"], row


def _grouped(period: Period, slice: Slice, group: str | None, now: datetime.datetime | None) -> dict[object, Figures]:
    weights = assessment_settings().weights
    results = _grouped_each(period, slice.q(), [group] if group else [], now, weights, basis_of(slice))
    return results[group] if group else results[None]


def figures(*, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None) -> Figures:
    """Every figure for one slice and period."""
    results = _grouped(period, slice, None, now)
    return results[None]


def figures_by(
    *,
    period: Period,
    group: str,
    slice: Slice = ALL,
    now: datetime.datetime | None = None,
) -> dict[object, Figures]:
    """Figures per value of `group` (a fact column: community_grid_id, department_id, category_id, source …)."""
    return _grouped(period, slice, group, now)


def figures_by_each(
    *, period: Period, groups: Sequence[str], slice: Slice = ALL, now: datetime.datetime | None = None
) -> dict[str, dict[object, Figures]]:
    """figures_by for several groups at once (a dashboard's rankings and breakdowns): one statement
    per table, the rows read once on PostgreSQL (GROUPING SETS)."""
    results = _grouped_each(period, slice.q(), groups, now, assessment_settings().weights, basis_of(slice))
    return {group: results[group] for group in groups}


def empty_figures(period: Period, now: datetime.datetime | None = None, basis: str = "filed") -> Figures:
    return Figures(
        period, period.cut(now), dict.fromkeys(COUNTS, 0), weights=assessment_settings().weights, basis=basis
    )


# ---- the funnel: 上报 → 立案 → (应结案 →) 结案 → 按期结案 ----------------------------------


@dataclass(frozen=True)
class FunnelStep:
    """One step of the funnel: what is counted (`count`, a COUNTS name), how many, and the rate that
    leads to it from the step before (None for the first step and for 应结案)."""

    key: str
    label: str
    definition: str
    count: str
    value: int
    rate: str | None = None
    ratio: Ratio | None = None


FUNNEL_LABELS = {
    "reports": (_("Reports"), _("Reports received in the period.")),
    "filed": (
        _("Cases filed"),
        _("Cases filed in the period, those cancelled or merged later included."),
    ),
    "due": (
        _("Cases due"),
        _("Cases whose handling deadline (after extensions) falls in the period, cancelled ones left out."),
    ),
    ("closed", "filed"): (
        _("Cases closed"),
        _("Of the cases filed in the period (cancelled or merged left out), those closed by the end of the "
          "period (or now)."),
    ),
    ("closed", "due"): (
        _("Cases closed"),
        _("Of the cases due in the period, those closed by the end of the period (or now)."),
    ),
    ("closed_on_time", "filed"): (
        _("Closed on time"),
        _("Of the cases filed in the period (cancelled, merged or suspended left out), those closed and "
          "handled within their deadline."),
    ),
    ("closed_on_time", "due"): (
        _("Closed on time"),
        _("Of the cases due in the period (suspended left out), those closed and handled within their deadline."),
    ),
}  # fmt: skip


def funnel(f: Figures) -> list[FunnelStep]:
    """The funnel of `f` on its basis: reports → filed (filing rate) → [due →] closed (closure rate) →
    closed on time (on-time closure rate). The counts of the closure steps are the numerators of
    their rates, so a step and its rate never disagree."""
    steps = [
        FunnelStep("reports", *FUNNEL_LABELS["reports"], "reports", f["reports"]),
        FunnelStep("filed", *FUNNEL_LABELS["filed"], "filed", f["filed"], "filing_rate", f.ratio("filing_rate")),
    ]
    if f.basis == "due":
        steps.append(FunnelStep("due", *FUNNEL_LABELS["due"], "due", f["due"]))
    for key, rate in (("closed", "closure_rate"), ("closed_on_time", "on_time_rate")):
        ratio = f.ratio(rate)
        count = RATES[rate].parts(f.basis)[0]
        steps.append(FunnelStep(key, *FUNNEL_LABELS[(key, f.basis)], count, ratio.numerator, rate, ratio))
    return steps


@dataclass(frozen=True)
class Change:
    """A figure against an earlier period's (环比, 同比): the difference (in percentage points for a
    rate) and the relative change in per cent of the earlier value (None when that is 0 or missing)."""

    difference: Decimal | int | None
    relative: Decimal | None


def change(current: Decimal | int | None, earlier: Decimal | int | None) -> Change:
    if current is None or earlier is None:
        return Change(None, None)
    difference = current - earlier
    relative = None
    if earlier:
        relative = (Decimal(difference) / Decimal(earlier) * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    return Change(difference, relative)


# ---- comparisons, cards, trend ------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    current: Figures
    previous: Figures  # 环比
    year_earlier: Figures  # 同比


def comparison(
    *, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None, events: bool = True
) -> Comparison:
    """The period's figures, those of the period before (环比) and of the same period a year
    earlier (同比): one statement per table, each period's rows read once (UNION ALL). Without
    `events`, the counted events are left at 0 and their table is not read (the dashboard's cards
    show only figures of the cases)."""
    periods = [period, period.previous(), period.year_earlier()]
    weights = assessment_settings().weights
    basis = basis_of(slice)
    found = [Figures(p, p.cut(now), dict.fromkeys(COUNTS, 0), weights=weights, basis=basis) for p in periods]
    where = slice.q()
    cases = [
        CaseFact.objects.filter(where & _touching("case", p))
        .annotate(period=Value(n), mask=_mask(p, p.cut(now)))
        .values("period", "mask", "handling_hours")
        for n, p in enumerate(periods)
    ]
    event_rows = [
        EventFact.objects.filter(where & _touching("event", p), at__lt=p.cut(now))
        .annotate(period=Value(n))
        .values("period", "kind")
        for n, p in enumerate(periods)
    ]
    tables = [(cases, "mask", ", SUM(r.handling_hours)")] + ([(event_rows, "kind", "")] if events else [])
    for rows, by, total in tables:
        parts = [queryset.query.sql_with_params() for queryset in rows]
        union = " UNION ALL ".join(sql for sql, _params in parts)
        sql = f"SELECT r.period, r.{by}, COUNT(*){total} FROM ({union}) AS r GROUP BY r.period, r.{by}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [param for _sql, params in parts for param in params])
            for n, value, count, *hours in cursor.fetchall():
                if by == "mask":
                    _add_case_row(found[n], value, count, hours[0])
                else:
                    found[n].counts[EVENT_COUNTS[value]] += count
    return Comparison(*found)


def overdue_now(*, slice: Slice = ALL, now: datetime.datetime | None = None) -> int:
    """Open cases past their handling deadline right now (any filing date)."""
    now = now or timezone.now()
    return CaseFact.objects.filter(slice.q(), is_open=True, late_at__lt=now).count()


def overdue_now_cases(*, slice: Slice = ALL, now: datetime.datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    ids = CaseFact.objects.filter(slice.q(), is_open=True, late_at__lt=now).values("case_id")
    return Case.objects.filter(pk__in=ids).select_related("category", "department", "micro_grid")


def trend(*, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None) -> list[Figures]:
    """The figures of each month of `period`, each month with its own cut-off: exactly what
    `figures(period=month)` gives for every month.

    Months that are over are read from the stored month figures (MonthFigures, one row per
    month) when the slice is the whole city or one dimension; the others, in one grouped query
    over the cases and one over the events (`monthly_figures`), however many months."""
    now = now or timezone.now()
    weights = assessment_settings().weights
    months = period.months()
    stored = _stored_months(months, slice, now, weights)
    missing = [m for m in months if month_index(m.start) not in stored]
    computed: dict[tuple[int, object], Figures] = {}
    if missing:
        span = Period.custom(missing[0].start, missing[-1].end)
        computed = monthly_figures(period=span, where=slice.q(), now=now, weights=weights)
    out = [
        stored.get(i) or computed.get((i, None)) or Figures(m, m.cut(now), dict.fromkeys(COUNTS, 0), weights=weights)
        for m, i in ((m, month_index(m.start)) for m in months)
    ]
    basis = basis_of(slice)
    for f in out:
        f.basis = basis
    return out


def monthly_figures(
    *,
    period: Period,
    where: Q = Q(),  # noqa: B008 (an empty Q is immutable)
    group: str | None = None,
    now: datetime.datetime | None = None,
    weights: dict[str, Decimal] | None = None,
) -> dict[tuple[int, object], Figures]:
    """Figures per (month index, value of `group`) for every month of `period`, each month with
    its own cut-off (Count_.where_monthly): one grouped query over the case rows, one over the
    event rows. Groups without any row are left out."""
    now = now or timezone.now()
    cut = period.cut(now)
    weights = assessment_settings().weights if weights is None else weights
    spans = {month_index(m.start): m for m in period.months()}
    results: dict[tuple[int, object], Figures] = {}

    def at(month: int, key: object) -> Figures:
        figures = results.get((month, key))
        if figures is None:
            m = spans[month]
            figures = results[(month, key)] = Figures(m, m.cut(now), dict.fromkeys(COUNTS, 0), weights=weights)
        return figures

    for table, model, months in (
        ("case", CaseFact, ("reported_month", "filed_month", "due_month")),
        ("event", EventFact, ("month",)),
    ):
        counts = {name: c for name, c in COUNTS.items() if c.table == table}
        aggs = {name: Count("pk", filter=c.where_monthly(period, cut)) for name, c in counts.items()}
        if table == "case":
            aggs["hours"] = Sum("handling_hours", filter=COUNTS["handled"].where_monthly(period, cut))
        fields = (*months, group) if group else months
        rows = model.objects.filter(where & _touching(table, period)).values(*fields).order_by().annotate(**aggs)
        for row in rows:
            key = row[group] if group else None
            for name, c in counts.items():
                if row[name]:
                    at(row[c.month_field], key).counts[name] += row[name]
            if row.get("hours"):
                at(row["filed_month"], key).handling_hours_sum += row["hours"]
    return results


def _whole_months_over(months: list[Period], now: datetime.datetime) -> list[Period]:
    """The months of a trend that are whole calendar months and over by `now`."""
    return [
        m
        for m in months
        if m == Period.containing("month", m.start) and m.cut(now) == local_midnight(m.end + datetime.timedelta(days=1))
    ]


def _stored_months(
    months: list[Period], slice: Slice, now: datetime.datetime, weights: dict[str, Decimal]
) -> dict[int, Figures]:
    """The months whose figures are stored for this slice (month index → Figures)."""
    dimension = slice.dimension()
    whole = _whole_months_over(months, now) if dimension is not None else []
    if not whole:
        return {}
    dim, key = dimension
    by_index = {month_index(m.start): m for m in whole}
    rows = MonthFigures.objects.filter(month__in=list(by_index)).filter(
        Q(dim=MonthFigures.Dim.ALL) | Q(dim=dim, key=key)
    )
    computed = {
        row.month for row in rows if row.dim == MonthFigures.Dim.ALL and set(COUNTS) <= set(row.counts)
    }  # a month is computed once it has its "all" row (with every count this code knows)
    out = {i: Figures(m, m.cut(now), dict.fromkeys(COUNTS, 0), weights=weights) for i, m in by_index.items()
           if i in computed}  # fmt: skip
    for row in rows:
        if row.dim == dim and row.key == key and row.month in out:
            out[row.month].counts.update({name: row.counts[name] for name in COUNTS})
            out[row.month].handling_hours_sum = row.handling_hours
    return out


# ---- rankings ----------------------------------------------------------------


@dataclass
class RankedUnit:
    unit: object  # a Grid or a Department
    figures: Figures
    rank: int | None  # None: below the minimum case count, listed but not ranked

    @property
    def ranked(self) -> bool:
        return self.rank is not None


RANK_KEYS = ("score", "closure_rate")
# The figures a ranking orders by, in turn: the ranking's own figure, then the next, then the count
# of cases counted (more is better), then the unit's code; units equal on every figure (not the
# code) share a rank (1, 1, 3).
TIE_BREAKS = {"score": ("score", "closure_rate", "on_time_rate"), "closure_rate": ("closure_rate", "on_time_rate")}


def _rank_figures(figures: Figures, order: str) -> tuple:
    values = []
    for name in TIE_BREAKS[order]:
        value = figures.score if name == "score" else figures.percent(name)
        values.append(Decimal(-1) if value is None else value)
    return (*values, figures.base)


def _rank(units: list[tuple[object, Figures]], *, order: str, min_cases: int) -> list[RankedUnit]:
    def key_value(figures: Figures) -> Decimal | None:
        return figures.score if order == "score" else figures.percent("closure_rate")

    eligible = [(u, f) for u, f in units if f.base >= min_cases and key_value(f) is not None]
    others = [(u, f) for u, f in units if (u, f) not in eligible]
    eligible.sort(key=lambda uf: (tuple(-v for v in _rank_figures(uf[1], order)), uf[0].code))
    ranked: list[RankedUnit] = []
    previous_value, previous_rank = None, 0
    for position, (unit, figures) in enumerate(eligible, start=1):
        value = _rank_figures(figures, order)
        rank = previous_rank if value == previous_value else position  # ties share a rank: 1, 1, 3
        ranked.append(RankedUnit(unit, figures, rank))
        previous_value, previous_rank = value, rank
    others.sort(key=lambda uf: (-uf[1].base, uf[0].code))
    return ranked + [RankedUnit(unit, figures, None) for unit, figures in others]


def grid_ranking(
    *,
    period: Period,
    level: str,
    within: Grid | None = None,
    slice: Slice = ALL,
    order: str = "score",
    now: datetime.datetime | None = None,
    min_cases: int | None = None,
    figures: dict[object, Figures] | None = None,
) -> list[RankedUnit]:
    """All active grids of `level` (inside `within` if given), ranked; every unit is listed.
    `figures`: the grids' figures if already read (figures_by_each), else read here."""
    among = slice.center_tops if within is None else ()
    grids = list(grid_units(level=level, within=within, among=among).order_by("code"))
    scope = slice if within is None or slice.grid is not None else dataclasses.replace(slice, grid=within)
    by_grid = figures_by(period=period, group=GRID_FIELD[level], slice=scope, now=now) if figures is None else figures
    min_cases = assessment_settings().min_cases if min_cases is None else min_cases
    units = [(grid, by_grid.get(grid.pk) or empty_figures(period, now, basis_of(slice))) for grid in grids]
    return _rank(units, order=order, min_cases=min_cases)


def grid_units(*, level: str, within: Grid | None = None, among: Sequence[int] = ()) -> QuerySet[Grid]:
    """The grids of `level` a ranking lists: inside `within` if given (itself, if of that level),
    else in the subtrees of the grids `among` (a command center's)."""
    grids = Grid.objects.filter(level=level).only("id", "code", "name", "level", "parent")
    if within is None and among:
        among = list(among)
        grids = grids.filter(
            Q(pk__in=among) | Q(parent__in=among) | Q(parent__parent__in=among) | Q(parent__parent__parent__in=among)
        )
    if within is not None:
        if within.level == level:
            grids = grids.filter(pk=within.pk)
        else:
            grids = grids.filter(**{GRID_FIELD_PATH[level][within.level]: within})
    return grids


# How to reach an ancestor of each level from a grid, in ORM lookups.
GRID_FIELD_PATH = {
    Level.LARGE: {Level.DISTRICT: "parent"},
    Level.COMMUNITY: {Level.LARGE: "parent", Level.DISTRICT: "parent__parent"},
    Level.MICRO: {Level.COMMUNITY: "parent", Level.LARGE: "parent__parent", Level.DISTRICT: "parent__parent__parent"},
    Level.DISTRICT: {},
}


def department_ranking(
    *,
    period: Period,
    slice: Slice = ALL,
    departments: Iterable[Department] | None = None,
    order: str = "score",
    now: datetime.datetime | None = None,
    min_cases: int | None = None,
    figures: dict[object, Figures] | None = None,
) -> list[RankedUnit]:
    departments = list(departments if departments is not None else Department.objects.order_by("code"))
    if figures is None:
        figures = figures_by(period=period, group="department_id", slice=slice, now=now)
    by_department = figures
    min_cases = assessment_settings().min_cases if min_cases is None else min_cases
    units = [(d, by_department.get(d.pk) or empty_figures(period, now, basis_of(slice))) for d in departments]
    return _rank(units, order=order, min_cases=min_cases)


def summed_figures(parts: Sequence[Figures], period: Period, now: datetime.datetime | None = None) -> Figures:
    """The figures of a union of disjoint slices (a town center's several grids): counts add up."""
    total = empty_figures(period, now)
    for part in parts:
        for name, value in part.counts.items():
            total.counts[name] += value
        total.handling_hours_sum += part.handling_hours_sum
    return total


def town_centers() -> list[CommandCenter]:
    """The town centers (镇街: those with a center above them), their grids loaded."""
    grids = Grid.objects.only("id", "level", "code", "name")
    return list(
        CommandCenter.objects.filter(parent__isnull=False)
        .prefetch_related(Prefetch("grids", queryset=grids))
        .order_by("code")
    )


def center_figures_each(
    *, period: Period, centers: Sequence[CommandCenter], slice: Slice = ALL, now: datetime.datetime | None = None
) -> dict[int, Figures]:
    """Each center's figures: those of the territory it covers (the cases located in its grids'
    subtrees, wherever they are held now), one grouped statement per grid level it uses."""
    levels = sorted({grid.level for center in centers for grid in center.grids.all()})
    by = figures_by_each(period=period, groups=[GRID_FIELD[level] for level in levels], slice=slice, now=now)
    out = {}
    for center in centers:
        parts = [by[GRID_FIELD[grid.level]].get(grid.pk) for grid in center.grids.all()]
        out[center.pk] = summed_figures([part for part in parts if part is not None], period, now)
    return out


def center_ranking(
    *,
    period: Period,
    slice: Slice = ALL,
    order: str = "score",
    now: datetime.datetime | None = None,
    min_cases: int | None = None,
) -> list[RankedUnit]:
    """The 镇街 ranking: the town centers ranked on their territory's figures, as the Zaozhuang
    bulletin ranks its towns (every center listed; below the minimum case count, unranked)."""
    centers = town_centers()
    by_center = center_figures_each(period=period, centers=centers, slice=slice, now=now)
    min_cases = assessment_settings().min_cases if min_cases is None else min_cases
    return _rank([(c, by_center[c.pk]) for c in centers], order=order, min_cases=min_cases)


def road_ranking(
    *,
    period: Period,
    slice: Slice = ALL,
    order: str = "score",
    now: datetime.datetime | None = None,
    min_cases: int | None = None,
) -> list[RankedUnit]:
    """The roads (路长制) ranked on the figures of the cases on their segments, as leaders rank
    roads: every road listed; below the minimum case count, unranked."""
    roads = list(Road.objects.select_related("chief").defer("geometry").order_by("code"))
    by_road = figures_by(period=period, group="road_key", slice=slice, now=now)
    min_cases = assessment_settings().min_cases if min_cases is None else min_cases
    units = [(road, by_road.get(road.pk) or empty_figures(period, now)) for road in roads]
    return _rank(units, order=order, min_cases=min_cases)


def segment_figures(
    *, road: Road, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None
) -> list[tuple[RoadSegment, Figures]]:
    """Each segment of `road`, in order along it, with the figures of the cases on it."""
    by_segment = figures_by(period=period, group="segment_key", slice=slice, now=now)
    segments = road.segments.select_related("manager", "inspector").defer("geometry", "reach").order_by("seq")
    return [(segment, by_segment.get(segment.pk) or empty_figures(period, now)) for segment in segments]


def segment_ranking(
    *, road: Road, period: Period, slice: Slice = ALL, order: str = "score", now: datetime.datetime | None = None
) -> list[RankedUnit]:
    """The segments of one road ranked on the cases on them (each segment's city manager answers)."""
    min_cases = assessment_settings().min_cases
    return _rank(segment_figures(road=road, period=period, slice=slice, now=now), order=order, min_cases=min_cases)


BREAKDOWN_GROUP = {"source": "source", "category": "category_id"}


def breakdown(
    *,
    period: Period,
    by: str,
    slice: Slice = ALL,
    now: datetime.datetime | None = None,
    figures: dict[object, Figures] | None = None,
) -> list[tuple[str, Figures]]:
    """Figures per category (major category) or per source, largest first. `figures`: those per
    source or category if already read (figures_by_each)."""
    if by not in BREAKDOWN_GROUP:
        raise ValueError(f"unknown breakdown {by!r}")
    results = figures_by(period=period, group=BREAKDOWN_GROUP[by], slice=slice, now=now) if figures is None else figures
    if by == "source":
        labels = dict(Source.choices)
        rows = [(str(labels.get(key, key)), f) for key, f in results.items() if key]
    else:
        catalogue = catalogue_all()
        names = {
            key: category.major.name if category.major_id else category.name
            for key in results
            if key and (category := catalogue.get(key)) is not None
        }
        merged: dict[str, Figures] = {}
        for key, f in results.items():
            if not key:
                continue
            name = names.get(key, str(key))
            if name in merged:
                for count in merged[name].counts:
                    merged[name].counts[count] += f.counts[count]
                merged[name].handling_hours_sum += f.handling_hours_sum
            else:
                merged[name] = Figures(f.period, f.cut, dict(f.counts), f.handling_hours_sum, f.weights, f.basis)
        rows = list(merged.items())
    rows.sort(key=lambda item: (-item[1]["reports"], -item[1]["filed"], item[0]))
    return rows


# ---- the cases behind a figure ------------------------------------------------


def metric_cases(
    *, name: str, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None
) -> QuerySet[Case]:
    """The cases a count is made of (for a rate: use its numerator's or denominator's name)."""
    count = COUNTS[name]
    where = count.where(period, period.cut(now)) & slice.q()
    model = CaseFact if count.table == "case" else EventFact
    ids = model.objects.filter(where).values("case_id")
    return Case.objects.filter(pk__in=ids).select_related("category", "department", "micro_grid")


# ---- campaigns (专项整治): the same figures, for the cases a campaign counts ----------------

# What a campaign's target counts (campaigns.models.Figure) → the figure of COUNTS it is.
TARGET_COUNTS = {"reports": "reports", "handled": "handled", "closed": "closed"}


@dataclass
class TargetProgress:
    target: CampaignTarget
    actual: int

    @property
    def percent(self) -> int:
        return min(100, 100 * self.actual // self.target.amount) if self.target.amount else 100

    @property
    def met(self) -> bool:
        return self.actual >= self.target.amount


@dataclass
class CampaignFigures:
    """A campaign's figures over its own period: the whole, by subcategory and by grid, and
    each target against the figure it counts."""

    campaign: Campaign
    figures: Figures
    by_category: list[tuple[Category, Figures]]
    by_grid: list[tuple[Grid, Figures]]
    targets: list[TargetProgress]

    @property
    def period(self) -> Period:
        return self.figures.period


def campaign_period(campaign: Campaign) -> Period:
    return Period.custom(campaign.starts_on, campaign.ends_on)


def campaign_figures(
    *, campaign: Campaign, slice: Slice = ALL, now: datetime.datetime | None = None
) -> CampaignFigures:
    """The figures of the cases `campaign` counts (within `slice`: a chief's area) over the
    campaign's period, read like every other figure (COUNTS on the rollup), by subcategory and by
    community grid, and its targets against them."""
    period = campaign_period(campaign)
    scoped = dataclasses.replace(slice, campaign=campaign)
    whole = figures(period=period, slice=scoped, now=now)
    per_category = figures_by(period=period, group="category_id", slice=scoped, now=now)
    per_grid = figures_by(period=period, group="community_grid_id", slice=scoped, now=now)
    categories = Category.objects.in_bulk([k for k in per_category if k])
    grids = Grid.objects.defer("boundary").in_bulk([k for k in per_grid if k])
    by_category = sorted(
        ((categories[k], f) for k, f in per_category.items() if k in categories),
        key=lambda item: (-item[1]["reports"], item[0].code),
    )
    by_grid = sorted(((grids[k], f) for k, f in per_grid.items() if k in grids), key=lambda item: item[0].code)
    targets = []
    for target in campaign.targets.select_related("category__major"):
        counts = per_category.get(target.category_id) if target.category_id else whole
        targets.append(TargetProgress(target, counts[TARGET_COUNTS[target.figure]] if counts else 0))
    return CampaignFigures(campaign, whole, by_category, by_grid, targets)


def campaigns_figures(
    *, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None
) -> list[CampaignFigures]:
    """The figures of every campaign under way during `period` (the bulletin's section)."""
    campaigns = Campaign.objects.filter(starts_on__lte=period.end, ends_on__gte=period.start).order_by(
        "starts_on", "pk"
    )
    return [campaign_figures(campaign=c, slice=slice, now=now) for c in campaigns.prefetch_related("targets")]


# ---- devices: their alerts, and how many were trusted and how many were false ------------


@dataclass(frozen=True)
class AlertCount:
    """A count of alerts (devices.models.Alert) that occurred in the period: `where` filters them.
    An alert's outcome is what happened when it came in; whether it was a false alarm is its
    case's status now (not accepted, or cancelled)."""

    name: str
    label: str
    where: Q


ALERT_COUNTS: dict[str, AlertCount] = {
    c.name: c
    for c in [
        AlertCount("alerts", _("Alerts"), Q()),
        AlertCount("auto_filed", _("Filed automatically"), Q(auto_filed=True)),
        AlertCount("held", _("Waited for a person"), Q(outcome=Outcome.HELD)),
        AlertCount("merged", _("Joined an open case"), Q(outcome=Outcome.MERGED)),
        AlertCount("false_alarms", _("False alarms"), Q(case__status__in=[Status.REJECTED, Status.CANCELLED])),
    ]
}
ALERT_RATES: dict[str, Rate] = {
    r.name: r
    for r in [
        Rate("auto_filed_share", _("Auto-filed share"), "auto_filed", "alerts"),
        Rate("false_alarm_share", _("False-alarm share"), "false_alarms", "alerts"),
    ]
}


@dataclass
class AlertFigures:
    device: Device
    event_type: EventType
    counts: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    def ratio(self, name: str) -> Ratio:
        rate = ALERT_RATES[name]
        return Ratio(self.counts[rate.numerator], self.counts[rate.denominator])

    def percent(self, name: str) -> Decimal | None:
        return self.ratio(name).percent


def alert_figures(*, period: Period, now: datetime.datetime | None = None) -> list[AlertFigures]:
    """Per device and event type, the alerts that occurred in `period` (by its cut-off): one
    grouped query, then the devices and event types named."""
    cut = period.cut(now)
    rows = (
        Alert.objects.filter(occurred_at__gte=local_midnight(period.start), occurred_at__lt=cut)
        .values("device_id", "event_type_id")
        .order_by()
        .annotate(**{name: Count("pk", filter=c.where) for name, c in ALERT_COUNTS.items()})
    )
    rows = list(rows)
    devices = Device.objects.in_bulk({row["device_id"] for row in rows})
    types = EventType.objects.in_bulk({row["event_type_id"] for row in rows})
    out = [
        AlertFigures(devices[row["device_id"]], types[row["event_type_id"]], {name: row[name] for name in ALERT_COUNTS})
        for row in rows
    ]
    out.sort(key=lambda f: (f.device.code, f.event_type.code))
    return out


# ---- posts (GB/T 30428.4 岗位考评): each person's steps, and each department's handling --------------

User = get_user_model()


@dataclass(frozen=True)
class PostRate:
    """A post's rate: of the steps `step` a person did in the period, the share that were good
    (on time; for reports: filed; for routes: not sent back)."""

    name: str
    label: str
    step: str


@dataclass(frozen=True)
class Post:
    name: str
    label: str
    roles: frozenset
    rates: tuple[PostRate, ...]


POSTS: dict[str, Post] = {
    p.name: p
    for p in [
        Post("inspector", _("Inspectors"), frozenset({Role.INSPECTOR}), (
            PostRate("valid_report_rate", _("Valid report rate"), PostFact.Step.REPORT),
            PostRate("on_time_verification_rate", _("On-time verification rate"), PostFact.Step.VERIFY),
            PostRate("on_time_check_rate", _("On-time check rate"), PostFact.Step.CHECK),
        )),
        # 受理员 and 派遣员 are two posts (GB/T 30428.4): one ranking of both would leave a
        # dispatcher, who accepts nothing, unranked below every clerk. A shift leader does both.
        Post("intake", _("Intake clerks and shift leaders"), frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEADER}), (
            PostRate("on_time_acceptance_rate", _("On-time acceptance rate"), PostFact.Step.ACCEPT),
            PostRate("on_time_filing_rate", _("On-time filing rate"), PostFact.Step.FILE),
        )),
        Post("dispatch", _("Dispatchers and shift leaders"), frozenset({Role.DISPATCHER, Role.SHIFT_LEADER}), (
            PostRate("on_time_dispatch_rate", _("On-time dispatch rate"), PostFact.Step.DISPATCH),
            PostRate("dispatch_accuracy", _("Dispatch accuracy"), PostFact.Step.ROUTE),
        )),
    ]
}  # fmt: skip
# The departments' post figures are department figures (COUNTS/RATES, department_ranking).
DEPARTMENT_POST_RATES = ("on_time_handling_rate", "rework_rate")
POST_KINDS = (*POSTS, "department")


@dataclass
class PersonFigures:
    """One person's steps in a period: per step, how many and how many good."""

    post: Post
    done: dict[str, int]
    good: dict[str, int]

    def ratio(self, name: str) -> Ratio:
        rate = next(r for r in self.post.rates if r.name == name)
        return Ratio(self.good.get(rate.step, 0), self.done.get(rate.step, 0))

    def percent(self, name: str) -> Decimal | None:
        return self.ratio(name).percent

    @property
    def steps(self) -> int:
        """The steps counted by the post's first rate (the ranking's minimum count)."""
        return self.done.get(self.post.rates[0].step, 0)


@dataclass
class RankedPerson:
    person: object  # a User
    figures: PersonFigures
    rank: int | None

    @property
    def ranked(self) -> bool:
        return self.rank is not None


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def post_ranking(
    *,
    period: Period,
    post: str,
    slice: Slice = ALL,
    everyone: bool = True,
    now: datetime.datetime | None = None,
    min_steps: int | None = None,
) -> list[RankedPerson]:
    """The people of a post (the users holding its roles; with `everyone` False only those with
    steps in the slice), ranked by the post's first rate, then the next rates, then the number of
    steps, then the name; below `min_steps` (the city's minimum case count) listed without a rank.
    Two statements: the steps counted per person and step, the people."""
    definition = POSTS[post]
    cut = period.cut(now)
    rows = (
        PostFact.objects.filter(slice.q(), on__gte=period.start, on__lte=period.end, at__lt=cut)
        .values("person_id", "step")
        .order_by()
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(good=True)))
    )
    done: dict[int, dict[str, int]] = {}
    good: dict[int, dict[str, int]] = {}
    for row in rows:
        done.setdefault(row["person_id"], {})[row["step"]] = row["n"]
        good.setdefault(row["person_id"], {})[row["step"]] = row["good"]
    people = (
        User.objects.filter(groups__name__in=[str(r) for r in definition.roles])
        .exclude(username__in=MACHINE_ACCOUNTS)  # the system's own accounts are not people to rank
        .distinct()
    )
    if not everyone:
        people = people.filter(pk__in=list(done))
    people = list(people.only("id", "username", "first_name", "last_name").order_by("username"))
    min_steps = assessment_settings().min_cases if min_steps is None else min_steps
    units = [(p, PersonFigures(definition, done.get(p.pk, {}), good.get(p.pk, {}))) for p in people]

    def key(figures: PersonFigures) -> tuple:
        values = [figures.percent(r.name) for r in definition.rates]
        return (*(Decimal(-1) if v is None else v for v in values), figures.steps)

    eligible = [(p, f) for p, f in units if f.steps >= min_steps and f.steps > 0]
    others = [(p, f) for p, f in units if not (f.steps >= min_steps and f.steps > 0)]
    eligible.sort(key=lambda pf: (tuple(-v for v in key(pf[1])), person_name(pf[0])))
    ranked, previous, previous_rank = [], None, 0
    for position, (person, figures) in enumerate(eligible, start=1):
        value = key(figures)
        rank = previous_rank if value == previous else position
        ranked.append(RankedPerson(person, figures, rank))
        previous, previous_rank = value, rank
    others.sort(key=lambda pf: (-pf[1].steps, person_name(pf[0])))
    return ranked + [RankedPerson(p, f, None) for p, f in others]


def department_post_ranking(
    *,
    period: Period,
    slice: Slice = ALL,
    now: datetime.datetime | None = None,
    min_cases: int | None = None,
    departments: Iterable[Department] | None = None,
) -> list[RankedUnit]:
    """The departments as a post: by on-time handling rate, then (lower is better) rework rate,
    then send-backs (fewer is better), then cases handled; below the minimum, no rank."""
    departments = list(departments if departments is not None else Department.objects.order_by("code"))
    by_department = figures_by(period=period, group="department_id", slice=slice, now=now)
    min_cases = assessment_settings().min_cases if min_cases is None else min_cases
    units = [(d, by_department.get(d.pk) or empty_figures(period, now, basis_of(slice))) for d in departments]

    def key(f: Figures) -> tuple:
        on_time, rework = f.percent("on_time_handling_rate"), f.percent("rework_rate")
        return (on_time if on_time is not None else Decimal(-1), -(rework or 0), -f["send_backs"], f["handled_base"])

    eligible = [(d, f) for d, f in units if f["handled_base"] >= max(min_cases, 1)]
    others = [(d, f) for d, f in units if (d, f) not in eligible]
    eligible.sort(key=lambda df: (tuple(-v for v in key(df[1])), df[0].code))
    ranked, previous, previous_rank = [], None, 0
    for position, (unit, f) in enumerate(eligible, start=1):
        value = key(f)
        rank = previous_rank if value == previous else position
        ranked.append(RankedUnit(unit, f, rank))
        previous, previous_rank = value, rank
    others.sort(key=lambda df: (-df[1]["handled_base"], df[0].code))
    return ranked + [RankedUnit(d, f, None) for d, f in others]
