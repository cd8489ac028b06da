"""The assessment rollup: one fact row per case and one per counted event, derived
from the cases' append-only CaseEvent history (assessments.facts keeps them in step).

Nothing here is a source of truth: `manage.py assessments_rebuild` can throw the
rows away and derive them again. They exist so that every figure is one indexed
aggregate over narrow rows, however many millions of cases a city has.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_WEIGHTS = {
    # DESIGN.md §4: handling rate × 30 + on-time handling rate × 20 + (1 − rework) × 20 + (1 − overdue) × 20 + (1 − extension) × 10
    "handling": 30,
    "on_time": 20,
    "rework": 20,
    "overdue": 20,
    "extension": 10,
    # 满意率 (citizens' ratings and callbacks): 0 unless the city chooses, so scores do not move.
    "satisfaction": 0,
}


def _slice_key(to: str) -> models.ForeignKey:
    """A slice column of the rollup (grid, department, category, chief): a plain id, no constraint,
    so that the rows can be thrown away and derived again whatever happened to the referenced row."""
    return models.ForeignKey(to, null=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)


class CaseFact(models.Model):
    """What happened to one case and when, in the columns the figures count on.

    `*_on` are local dates (Asia/Shanghai) for the period cohorts; `*_at` are the
    moments, compared with a period's cut-off ("by the end of the period, or now").
    """

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="fact")
    last_event_id = models.BigIntegerField(default=0)
    micro_grid = _slice_key("grids.Grid")
    community_grid = _slice_key("grids.Grid")
    large_grid = _slice_key("grids.Grid")
    district_grid = _slice_key("grids.Grid")
    # The department that has (or last had) the case.
    department = _slice_key("cases.Department")
    category = _slice_key("cases.Category")
    source = models.CharField(max_length=20)
    responsible = _slice_key("grids.Person")

    reported_on = models.DateField()
    reported_at = models.DateTimeField()
    filed_on = models.DateField(null=True)
    filed_at = models.DateTimeField(null=True)
    dispatched_at = models.DateTimeField(null=True)  # first dispatch to a department
    handled_at = models.DateTimeField(null=True)  # first report as handled
    reworked_at = models.DateTimeField(null=True)  # first failed check (返工)
    extended_at = models.DateTimeField(null=True)  # first approved extension
    suspended_at = models.DateTimeField(null=True)  # first suspension (挂账)
    closed_at = models.DateTimeField(null=True)
    cancelled_at = models.DateTimeField(null=True)  # cancelled (作废) or merged into another case
    # When the case became late: its handling deadline passed before it was handled
    # (in any round); null while it is on time.
    late_at = models.DateTimeField(null=True)
    # The case's first evaluation (the citizen's rating or a staff callback, 回访): when it was
    # given, and the same moment in each of its answers that was yes (contacted: 响应; solved:
    # 解决; satisfied or basically satisfied: 满意), null where the answer was no.
    evaluated_at = models.DateTimeField(null=True)
    contacted_at = models.DateTimeField(null=True)
    solved_at = models.DateTimeField(null=True)
    satisfied_at = models.DateTimeField(null=True)
    reopened_at = models.DateTimeField(null=True)  # first reopening (重办) after closure
    # The handling deadline (after extensions) of a dispatched case: the cohort of the "due"
    # basis (应结案: cases whose deadline falls in the period). Null before any dispatch.
    due_on = models.DateField(null=True)
    due_at = models.DateTimeField(null=True)
    # Working hours from dispatch to the first "handled", suspended time excluded.
    handling_hours = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    # Where the case stands now, for the "overdue now" card.
    is_open = models.BooleanField(default=True)
    # The local (Asia/Shanghai) month of each moment above, as year × 12 + month − 1: a monthly
    # trend compares them with the row's own cohort month ("closed by the end of the month it was
    # filed in") in one grouped query, integer against integer, on any database.
    reported_month = models.PositiveSmallIntegerField(null=True)
    filed_month = models.PositiveSmallIntegerField(null=True)
    dispatched_month = models.PositiveSmallIntegerField(null=True)
    handled_month = models.PositiveSmallIntegerField(null=True)
    reworked_month = models.PositiveSmallIntegerField(null=True)
    extended_month = models.PositiveSmallIntegerField(null=True)
    suspended_month = models.PositiveSmallIntegerField(null=True)
    closed_month = models.PositiveSmallIntegerField(null=True)
    late_month = models.PositiveSmallIntegerField(null=True)
    evaluated_month = models.PositiveSmallIntegerField(null=True)
    contacted_month = models.PositiveSmallIntegerField(null=True)
    solved_month = models.PositiveSmallIntegerField(null=True)
    satisfied_month = models.PositiveSmallIntegerField(null=True)
    reopened_month = models.PositiveSmallIntegerField(null=True)
    due_month = models.PositiveSmallIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["due_on"], name="fact_due_on"),
            models.Index(fields=["filed_on"], name="fact_filed_on"),
            models.Index(fields=["reported_on"], name="fact_reported_on"),
            models.Index(fields=["community_grid", "filed_on"], name="fact_community_filed"),
            models.Index(fields=["department", "filed_on"], name="fact_department_filed"),
            models.Index(fields=["is_open", "late_at"], name="fact_open_late"),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id}"


class EventFact(models.Model):
    """One counted event (dispatch, send-back, approved extension, rework), with the
    case's slices at that moment: these figures count events by the event's date."""

    class Kind(models.TextChoices):
        DISPATCH = "dispatch", _("Dispatch")
        SEND_BACK = "send_back", _("Send-back")
        EXTENSION = "extension", _("Extension")
        REWORK = "rework", _("Rework")

    event = models.OneToOneField("cases.CaseEvent", primary_key=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on = models.DateField()
    at = models.DateTimeField()
    micro_grid = _slice_key("grids.Grid")
    community_grid = _slice_key("grids.Grid")
    large_grid = _slice_key("grids.Grid")
    district_grid = _slice_key("grids.Grid")
    # The department the event concerns: dispatched to, sent back by, extended for.
    department = _slice_key("cases.Department")
    category = _slice_key("cases.Category")
    source = models.CharField(max_length=20)
    responsible = _slice_key("grids.Person")
    month = models.PositiveSmallIntegerField(null=True)  # the local month of `on`, as in CaseFact

    class Meta:
        indexes = [
            models.Index(fields=["kind", "on"], name="eventfact_kind_on"),
            models.Index(fields=["on"], name="eventfact_on"),  # every kind of a period: rankings, trends
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id} {self.on}"


class PostFact(models.Model):
    """One step a person did on a case, for the evaluation of posts (GB/T 30428.4 岗位): an
    inspector's report (good: the report was filed), verification or on-site check (good: within
    its limit); a centre operator's acceptance, filing or first dispatch (good: within the
    filing-and-dispatch limit) and each dispatch (good: not sent back as the wrong department).
    Derived from the case events with the cases (assessments.facts), like CaseFact."""

    class Step(models.TextChoices):
        REPORT = "report", _("Report")
        VERIFY = "verify", _("Verification")
        CHECK = "check", _("On-site check")
        ACCEPT = "accept", _("Acceptance")
        FILE = "file", _("Filing")
        DISPATCH = "dispatch", _("First dispatch")
        ROUTE = "route", _("Dispatch to a department")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    event_id = models.BigIntegerField()  # the event that did the step
    step = models.CharField(max_length=10, choices=Step.choices)
    person = _slice_key(settings.AUTH_USER_MODEL)
    good = models.BooleanField()  # on time; for a report: filed; for a route: not sent back
    on = models.DateField()
    at = models.DateTimeField()
    month = models.PositiveSmallIntegerField(null=True)
    micro_grid = _slice_key("grids.Grid")
    community_grid = _slice_key("grids.Grid")
    large_grid = _slice_key("grids.Grid")
    district_grid = _slice_key("grids.Grid")
    department = _slice_key("cases.Department")
    category = _slice_key("cases.Category")
    source = models.CharField(max_length=20)
    responsible = _slice_key("grids.Person")

    class Meta:
        indexes = [models.Index(fields=["on", "step"], name="postfact_on_step")]

    def __str__(self) -> str:
        return f"{self.step} {self.case_id} {self.on}"


class MonthFigures(models.Model):
    """Every figure of one calendar month that is over, for the whole city ("all") or for one
    value of one slice dimension (a grid of any level, a department, a category, a source, a
    responsible chief): what `figures(period=<that month>)` gives, kept so that a year's trend
    reads twelve rows instead of a year of cases.

    Derived from the rollup by assessments.months (the selectors' own monthly query) and thrown
    away, whole months at a time, as soon as a case of that month changes (facts.py); a month
    without its "all" row is not computed yet and is read from the rollup instead.
    """

    class Dim(models.TextChoices):
        ALL = "all", "all"
        GRID = "grid", "grid"
        DEPARTMENT = "department", "department"
        CATEGORY = "category", "category"
        SOURCE = "source", "source"
        CHIEF = "chief", "chief"

    month = models.PositiveSmallIntegerField()  # year × 12 + month − 1, as the rollup's *_month columns
    dim = models.CharField(max_length=12, choices=Dim.choices)
    key = models.CharField(max_length=40, blank=True)  # the id (or the source); "" for "all"
    counts = models.JSONField(default=dict)  # every COUNTS name → its count
    handling_hours = models.DecimalField(max_digits=16, decimal_places=4, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dim", "key", "month"], name="monthfigures_dim_key_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.dim} {self.key}"


class RollupState(models.Model):
    """The highest CaseEvent id folded into the facts (a single row, pk=1)."""

    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"rollup up to event {self.last_event_id}"


class Basis(models.TextChoices):
    """Which cases the closure-type figures (结案率, 按期结案率) are counted over."""

    FILED = "filed", _("Cases filed in the period")
    DUE = "due", _("Cases due in the period")


class AssessmentSettings(models.Model):
    """The city's assessment rules (a single row): composite-score weights, the
    minimum number of cases a unit needs to be ranked, and the basis of the closure figures."""

    weight_handling = models.PositiveSmallIntegerField(_("weight: handling rate"), default=DEFAULT_WEIGHTS["handling"])
    weight_on_time = models.PositiveSmallIntegerField(
        _("weight: on-time handling rate"), default=DEFAULT_WEIGHTS["on_time"]
    )
    weight_rework = models.PositiveSmallIntegerField(_("weight: 1 − rework rate"), default=DEFAULT_WEIGHTS["rework"])
    weight_overdue = models.PositiveSmallIntegerField(_("weight: 1 − overdue rate"), default=DEFAULT_WEIGHTS["overdue"])
    weight_extension = models.PositiveSmallIntegerField(
        _("weight: 1 − extension rate"), default=DEFAULT_WEIGHTS["extension"]
    )
    weight_satisfaction = models.PositiveSmallIntegerField(
        _("weight: satisfaction rate"),
        default=DEFAULT_WEIGHTS["satisfaction"],
        help_text=_("满意率 from citizens' ratings and callbacks; 0 leaves it out of the composite score."),
    )
    min_cases = models.PositiveIntegerField(
        _("minimum cases to be ranked"),
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(1_000_000)],
        help_text=_("Units with fewer filed cases in the period are listed but not ranked."),
    )
    basis = models.CharField(
        _("basis of the closure figures"),
        max_length=5,
        choices=Basis.choices,
        default=Basis.FILED,
        help_text=_(
            "Closure rate and on-time closure rate over the cases filed in the period, or over the cases "
            "whose handling deadline falls in it (应结案). A request can ask for the other basis."
        ),
    )

    # The bulletin (工作简报) as an official document: who issues it, how its date is written, who
    # it goes to (报 / 送 / 发), and how many units the 红黑榜 names at each end.
    bulletin_office = models.CharField(
        _("issuing office"), max_length=100, blank=True,
        help_text=_("Printed under the title, e.g. 县数字化城市管理监督指挥中心."),
    )  # fmt: skip
    bulletin_date_style = models.CharField(
        _("date style"), max_length=10, default="numerals",
        choices=[("numerals", _("Chinese numerals (二〇二六年十二月四日)")), ("digits", _("Digits (2026年12月4日)"))],
    )  # fmt: skip
    bulletin_report_to = models.TextField(_("报 (reported to)"), blank=True)
    bulletin_send_to = models.TextField(_("送 (sent to)"), blank=True)
    bulletin_issue_to = models.TextField(_("发 (issued to)"), blank=True)
    bulletin_honour_count = models.PositiveSmallIntegerField(
        _("红黑榜: units at each end"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("The top units (红榜) and the bottom units (黑榜, listed for a talk: 约谈)."),
    )  # fmt: skip

    # Allocation (考核结果与经费挂钩): each month's fund shared among the units of one kind, a base
    # share equally and the rest in proportion to the composite score (assessments.allocation).
    fund_amount = models.DecimalField(
        _("monthly fund (yuan)"), max_digits=14, decimal_places=2, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )  # fmt: skip
    fund_base_percent = models.PositiveSmallIntegerField(
        _("base share (%)"), default=40, validators=[MaxValueValidator(100)],
        help_text=_("Shared equally among the units; the rest is shared in proportion to their composite scores."),
    )  # fmt: skip
    fund_units = models.CharField(
        _("units sharing the fund"), max_length=12, default="community",
        choices=[("large", _("Large grids")), ("community", _("Community grids")), ("department", _("Departments"))],
    )  # fmt: skip

    class Meta:
        verbose_name = _("assessment settings")
        verbose_name_plural = _("assessment settings")

    def __str__(self) -> str:
        return str(_("Assessment settings"))

    @property
    def weights(self) -> dict[str, Decimal]:
        return {
            "handling": Decimal(self.weight_handling),
            "on_time": Decimal(self.weight_on_time),
            "rework": Decimal(self.weight_rework),
            "overdue": Decimal(self.weight_overdue),
            "extension": Decimal(self.weight_extension),
            "satisfaction": Decimal(self.weight_satisfaction),
        }


class BulletinJob(models.Model):
    """One request for a bulletin PDF, made by a Celery task that reports its progress here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    params = models.JSONField(_("period and scope"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="bulletins/", blank=True)
    filename = models.CharField(_("file name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin PDF")
        verbose_name_plural = _("bulletin PDFs")

    def __str__(self) -> str:
        return self.filename or f"bulletin {self.pk}"


class ExportJob(models.Model):
    """One export of a table too long to make while the browser waits (a ranking of thousands of
    grids), made by a Celery task that reports its progress here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("table"), max_length=30)
    fmt = models.CharField(_("format"), max_length=4)
    params = models.JSONField(_("period and scope"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    filename = models.CharField(_("file name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return self.filename or f"export {self.pk}"


class BulletinIssue(models.Model):
    """One issue of the bulletin (工作简报): its period, its narrative sections, and once published
    its number (第 N 期, counted per kind and year) and its whole content frozen in `content`, so
    that later changes to cases never change what was sent."""

    class Kind(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)  # of the issue date, once published
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)  # 第 N 期, once published
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    work_news = models.TextField(_("工作动态 (work news)"), blank=True)
    problems = models.TextField(_("存在问题 (problems)"), blank=True)
    next_steps = models.TextField(_("下步工作 (next steps)"), blank=True)
    content = models.JSONField(_("content as published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin issue")
        verbose_name_plural = _("bulletin issues")
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="bulletin_issue_number_per_kind_year"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}–{self.end} {self.number or self.status}"
