"""Cases and their append-only history.

Case status changes only in cases.services (one write path, see STYLE.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models.catalogue import Category, Department
from config.pii import EncryptedTextField
from grids.models import Grid


class Status(models.TextChoices):
    """The case state machine (DESIGN.md §3.2). Transitions live in cases.transitions."""

    REPORTED = "reported", _("Reported")  # 已上报/待受理
    VERIFYING = "verifying", _("Verifying")  # 核实中
    FILED = "filed", _("Filed")  # 已立案/待派遣
    PENDING_APPROVAL = "pending_approval", _("Awaiting grid-chief approval")  # 待网格长审批
    DISPATCHED = "dispatched", _("Dispatched")  # 已派遣/处置中
    RETURNED = "returned", _("Sent back")  # 已退单/待改派
    SUSPENDED = "suspended", _("Suspended")  # 挂账
    HANDLED = "handled", _("Handled")  # 已处置/待核查
    CHECKING = "checking", _("Checking on site")  # 核查中
    CHECKED = "checked", _("Check passed, to be closed")  # 核查通过/待结案
    CLOSED = "closed", _("Closed")  # 已结案
    REJECTED = "rejected", _("Not accepted")  # 不予受理
    CANCELLED = "cancelled", _("Cancelled")  # 已作废
    MERGED = "merged", _("Merged into another case")  # 已合并 (a duplicate report; see Case.duplicate_of)


class Milestone(models.TextChoices):
    """The lifecycle as the public follows it (随手拍, Open311): each status reaches one of these."""

    REPORTED = "reported", _("Reported")
    OPENED = "opened", _("Case opened")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class StatusInfo:
    """What a status means wherever a case is shown or counted.

    terminal: the case will not move again. counted: False for the ends that take a case out of
    every figure (cancelled, merged). milestone: the public milestone reached (None: an ending
    the public sees as such, or a merge the public follows through the other case). tone: the
    colour family of its badge. clock_runs: the handling clock (处置时限) runs in it.
    """

    tone: str
    milestone: Milestone | None
    terminal: bool = False
    counted: bool = True
    clock_runs: bool = False

    @property
    def handling_done(self) -> bool:
        """The department has reported the case handled (the handling clock stood at handled)."""
        return self.milestone in (Milestone.HANDLED, Milestone.CLOSED)


STATUS_INFO: dict[str, StatusInfo] = {
    Status.REPORTED: StatusInfo("new", Milestone.REPORTED),
    Status.VERIFYING: StatusInfo("wait", Milestone.REPORTED),
    Status.FILED: StatusInfo("new", Milestone.OPENED),
    Status.PENDING_APPROVAL: StatusInfo("wait", Milestone.OPENED),
    Status.RETURNED: StatusInfo("warn", Milestone.OPENED),
    Status.DISPATCHED: StatusInfo("work", Milestone.DISPATCHED, clock_runs=True),
    Status.SUSPENDED: StatusInfo("warn", Milestone.DISPATCHED, clock_runs=True),
    Status.HANDLED: StatusInfo("work", Milestone.HANDLED),
    Status.CHECKING: StatusInfo("wait", Milestone.HANDLED),
    # Check passed, waiting for the shift leader's 结案: for the public still "handled".
    Status.CHECKED: StatusInfo("work", Milestone.HANDLED),
    Status.CLOSED: StatusInfo("done", Milestone.CLOSED, terminal=True),
    Status.REJECTED: StatusInfo("off", None, terminal=True),
    Status.CANCELLED: StatusInfo("off", None, terminal=True, counted=False),
    Status.MERGED: StatusInfo("off", None, terminal=True, counted=False),
}
TERMINAL = frozenset(status for status, info in STATUS_INFO.items() if info.terminal)
# The ends that take a case out of every figure (assessments): cancelled, merged.
NOT_COUNTED = frozenset(status for status, info in STATUS_INFO.items() if not info.counted)


class Source(models.TextChoices):
    INSPECTOR = "inspector", _("Inspector")  # 监督员上报
    CITIZEN = "citizen", _("Citizen")  # 随手拍
    HOTLINE = "hotline", _("12345 hotline")
    CAMERA = "camera", _("Video/AI camera")
    CHIEF_PATROL = "chief_patrol", _("Chief patrol")
    PLACE_PATROL = "place_patrol", _("Place chief patrol")  # 三长巡查: a street, shop, lane or road chief
    HIGHER_LEVEL = "higher_level", _("Higher-level assignment")  # 上级交办


class Satisfaction(models.TextChoices):
    """A reporter's evaluation of a closed case (citizen rating or staff callback, 回访)."""

    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASIC = "basic", _("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class DailySequence(models.Model):
    """The last tracking number handed out on a day (Asia/Shanghai), on SQLite; PostgreSQL keeps
    one sequence per day instead (cases.services._next_tracking_number)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Case(models.Model):
    tracking_number = models.CharField(_("tracking number"), max_length=20, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # Indexed with the list order in Meta.indexes: (status, reported_at, id).
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    location = gis_models.PointField(_("location"), srid=4326)
    address = models.CharField(_("address"), max_length=200, blank=True)
    micro_grid = models.ForeignKey(
        Grid, verbose_name=_("micro grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,  # Meta.indexes: (micro_grid, status, reported_at, id)
    )  # fmt: skip
    community_grid = models.ForeignKey(
        Grid, verbose_name=_("community grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,  # Meta.indexes: (community_grid, status, reported_at, id)
    )  # fmt: skip
    large_grid = models.ForeignKey(
        Grid, verbose_name=_("large grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,  # Meta.indexes: (large_grid, status, reported_at, id)
    )  # fmt: skip
    district_grid = models.ForeignKey(
        Grid, verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,  # Meta.indexes: (district_grid, status, reported_at, id)
    )  # fmt: skip
    # The command center holding the case: the center of its location at intake, moved by
    # 上报 (escalate) and 交办 (assign down) through cases.services; None: the district's (no centers).
    center = models.ForeignKey(
        "grids.CommandCenter",
        verbose_name=_("command center"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    responsible = models.ForeignKey(
        "grids.Person",
        verbose_name=_("responsible chief"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsible_for_cases",
    )
    responsible_role = models.CharField(_("responsible as"), max_length=20, blank=True)
    # 路长制: the road segment the case is on (its city manager, inspector and road chief answer there).
    road_segment = models.ForeignKey(
        "grids.RoadSegment",
        verbose_name=_("road segment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(_("description"), blank=True)
    # Personal information (config.pii): encrypted at rest, shown through cases.privacy only,
    # erased REPORTER_CONTACT_RETENTION_DAYS after closure. At most 50 and 30 characters (the forms').
    reporter_name = EncryptedTextField(_("reporter's name"), blank=True)
    reporter_phone = EncryptedTextField(_("reporter's phone"), blank=True)
    # The phone's keyed hash (config.pii.lookup_hash), to find a number again without decrypting.
    reporter_phone_hash = models.CharField(_("reporter's phone (keyed hash)"), max_length=64, blank=True, db_index=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        db_index=False,  # Meta.indexes: (department, status, reported_at, id)
    )  # fmt: skip
    approver = models.ForeignKey(
        "grids.Person",
        verbose_name=_("approving grid chief"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_to_approve",
    )
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        help_text=_("The component the case is about; its maintaining unit handles the asset's subcategory."),
    )
    # The inspector sent to verify or check it (the latest); their task list shows it first.
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_cases",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
    )
    handling_deadline = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    # Under a supervision order (督办) not yet signed off (cases.models.supervision): set and cleared
    # by the order's actions, so a list row or a map marks it without reading the orders.
    supervised = models.BooleanField(_("supervised"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("reworks"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("extensions"), default=0)
    send_back_count = models.PositiveSmallIntegerField(_("send-backs"), default=0)
    reported_at = models.DateTimeField(_("reported at"))
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_at", "-id"]
        # Every list goes newest first (reported_at, id) and pages by position (cases.selectors.case_page):
        # an index per common filter holds that order, so a page reads its rows and no more.
        indexes = [
            models.Index(fields=["reported_at", "id"], name="case_newest"),
            models.Index(fields=["status", "reported_at", "id"], name="case_status_newest"),
            models.Index(fields=["department", "status", "reported_at", "id"], name="case_department_status"),
            models.Index(fields=["micro_grid", "status", "reported_at", "id"], name="case_micro_status"),
            models.Index(fields=["community_grid", "status", "reported_at", "id"], name="case_community_status"),
            models.Index(fields=["large_grid", "status", "reported_at", "id"], name="case_large_status"),
            models.Index(fields=["district_grid", "status", "reported_at", "id"], name="case_district_status"),
            # The queue's other orders (cases.selectors.SORTS): the nearest deadline first, none last;
            # overdue first, then the nearest deadline.
            models.Index(fields=["handling_deadline", "id"], name="case_deadline"),
            models.Index(fields=["-overdue", "handling_deadline", "id"], name="case_light"),
            # The wall's "today" (cases.selectors.wall_figures): the cases reported, filed, dispatched
            # or closed since midnight, an OR the database answers from one index per column (reported_at
            # leads case_newest) instead of reading every visible case.
            models.Index(fields=["filed_at"], name="case_filed_at"),
            models.Index(fields=["dispatched_at"], name="case_dispatched_at"),
            models.Index(fields=["closed_at"], name="case_closed_at"),
        ]

    def __str__(self) -> str:
        return self.tracking_number


class CaseEvent(models.Model):
    """One step in a case's history; append-only, written with the change it records."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, null=True, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        # A client's request id (a UUID sent with the form or API call) is applied once.
        constraints = [models.UniqueConstraint(fields=["request_id"], name="case_event_unique_request")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}→{self.to_status}"
