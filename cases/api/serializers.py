"""The cases API's serializers: a case as its user sees it (cases.viewmodel.CaseView), list rows,
the shared references, and the input of each action derived from its row of the transition table.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework import serializers
from rest_framework.fields import empty

from cases.models import Category, Department, LimitUnit, OrderStatus, Satisfaction, Source, Status, Urgency
from cases.transitions import Input, Transition
from cases.viewmodel import CaseView

NOTE_MAX = 2000


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CenterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="full_code", help_text="C… component, E… event, then 大类/小类 digits")
    name = serializers.CharField()
    kind = serializers.CharField(source="major.kind")


class LimitSerializer(serializers.Serializer):
    amount = serializers.FloatField()
    unit = serializers.CharField(help_text="hours, working_hours or working_days")


def limit_data(amount, unit) -> dict | None:
    return {"amount": float(amount), "unit": unit} if amount is not None else None


class ChoicesField(serializers.MultipleChoiceField):
    """Repeated (?status=a&status=b) or comma-separated (?status=a,b)."""

    def get_value(self, dictionary: Any) -> Any:
        if self.field_name not in dictionary:
            return empty
        values = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else dictionary[self.field_name]
        if isinstance(values, str):
            values = [values]
        return [part for value in values for part in str(value).split(",") if part]


# ---- a case as its user sees it ---------------------------------------------------------


class CaseDetailSerializer(serializers.Serializer):
    """cases.viewmodel.CaseView: the same view of a case the page shows."""

    class GridsSerializer(serializers.Serializer):
        micro = RefSerializer(source="micro_grid", allow_null=True)
        community = RefSerializer(source="community_grid", allow_null=True)
        large = RefSerializer(source="large_grid", allow_null=True)
        district = RefSerializer(source="district_grid", allow_null=True)

    class AssetSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField(help_text="The standard code: division (6) + class (4) + serial (6)")
        name = serializers.CharField()
        category = serializers.CharField(help_text="The asset's subcategory")
        status = serializers.CharField()
        status_label = serializers.CharField()
        maintainer = serializers.CharField(allow_null=True, help_text="Its maintaining unit")
        url = serializers.CharField()

    class ResponsibleSerializer(serializers.Serializer):
        class SegmentSerializer(serializers.Serializer):
            road = serializers.CharField()
            segment = serializers.CharField()
            code = serializers.CharField()
            road_chief = serializers.CharField(allow_null=True, help_text="路长")
            road_level = serializers.CharField(help_text="first (一级, district leader) or second (二级, town leader)")
            road_level_label = serializers.CharField()
            manager = serializers.CharField(allow_null=True, help_text="城市管理员 of the segment")
            inspector = serializers.CharField(allow_null=True, help_text="监督员 of the segment")
            duties = serializers.DictField(child=serializers.CharField(), help_text="The 四包 duties")

        name = serializers.CharField()
        role = serializers.CharField()
        role_label = serializers.CharField()
        segment = SegmentSerializer(allow_null=True, help_text="The road segment the case is on (路长制), if any")

    class ReporterSerializer(serializers.Serializer):
        name = serializers.CharField()
        phone = serializers.CharField()
        masked = serializers.BooleanField(help_text="True unless you are an intake clerk, shift leader or dispatcher.")

    class ClockSerializer(serializers.Serializer):
        started_at = serializers.DateTimeField(help_text="Dispatch, or the last rework")
        stopped_at = serializers.DateTimeField(allow_null=True, help_text="Handled (or sent back): the clock stands")
        deadline = serializers.DateTimeField()
        paused = serializers.BooleanField(help_text="Suspended (挂账): that time does not count")
        elapsed_fraction = serializers.FloatField(allow_null=True, help_text="Share of the limit used up")
        light = serializers.ChoiceField(
            choices=["green", "yellow", "red"], help_text="green < 80 % of the limit, yellow 80–100 %, red > 100 %"
        )
        label = serializers.CharField(help_text="The light in words, as the case page shows it")

    class StepClockSerializer(serializers.Serializer):
        step = serializers.ChoiceField(choices=["dispatch", "verify", "approval", "check"])
        label = serializers.CharField()
        started_at = serializers.DateTimeField()
        stopped_at = serializers.DateTimeField(allow_null=True)
        deadline = serializers.DateTimeField()
        elapsed_fraction = serializers.FloatField()
        light = serializers.ChoiceField(choices=["green", "yellow", "red"])

    class EventSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="event.id")
        at = serializers.DateTimeField(source="event.at")
        action = serializers.CharField(source="event.action")
        action_label = serializers.CharField(source="label", help_text="Every event has one, as the page shows it")
        from_status = serializers.CharField(source="event.from_status")
        to_status = serializers.CharField(source="event.to_status")
        actor = serializers.CharField(
            allow_null=True, help_text="The name of who did it; null for citizens and the system"
        )
        note = serializers.CharField(source="event.note")
        center = serializers.CharField(
            allow_null=True, help_text="The command center the case went to (escalate, assign down, take over)"
        )

    class OpenRequestSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["extension", "suspension"])
        label = serializers.CharField()
        at = serializers.DateTimeField(source="event.at")
        actor = serializers.CharField(allow_null=True)
        asked = serializers.CharField(help_text="What an extension request asks for, in words")
        note = serializers.CharField(source="event.note")

    class SupervisionSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="order.id")
        status = serializers.ChoiceField(choices=OrderStatus.choices, source="order.status")
        status_label = serializers.CharField()
        note = serializers.CharField(source="order.note", help_text="What must be done")
        issued_by = serializers.CharField(allow_null=True)
        issued_at = serializers.DateTimeField(source="order.issued_at")
        deadline = serializers.DateTimeField(source="order.deadline", help_text="The answer is due (working time)")
        addressee = serializers.CharField(help_text="The department or person who must answer")
        reminders = serializers.IntegerField(source="order.reminder_count")
        answer = serializers.CharField(source="order.answer", help_text="The latest answer")
        answered_at = serializers.DateTimeField(source="order.answered_at", allow_null=True)
        overdue = serializers.BooleanField(help_text="Past its deadline without an answer")

    class PhotoSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        kind_label = serializers.CharField(source="get_kind_display")
        status = serializers.CharField(help_text="pending until a worker has made the display copy and thumbnail")
        case = serializers.CharField(source="case.tracking_number", help_text="Its case (a duplicate merged in)")
        url = serializers.SerializerMethodField(help_text="The display copy (no metadata)")
        thumbnail_url = serializers.SerializerMethodField()

        def get_url(self, photo) -> str | None:
            return photo.display.url if photo.display else None

        def get_thumbnail_url(self, photo) -> str | None:
            return photo.thumbnail.url if photo.thumbnail else None

    class ActionSerializer(serializers.Serializer):
        class InputSerializer(serializers.Serializer):
            name = serializers.CharField()
            kind = serializers.CharField(help_text="category, urgency, department, amount, unit, deadline, case")
            label = serializers.CharField()
            required = serializers.BooleanField()

        class PhotosSerializer(serializers.Serializer):
            min = serializers.IntegerField()
            max = serializers.IntegerField()
            label = serializers.CharField()

        action = serializers.CharField()
        label = serializers.CharField()
        needs_note = serializers.BooleanField()
        note_label = serializers.CharField(source="note.label", default=None, allow_null=True)
        inputs = InputSerializer(many=True)
        photos = PhotosSerializer(allow_null=True)
        url = serializers.SerializerMethodField(help_text="POST here to take the action")

        def get_url(self, transition: Transition) -> str:
            return reverse(f"cases_api:{transition.action}", args=[self.context["case_id"]])

    id = serializers.IntegerField(source="case.id")
    tracking_number = serializers.CharField(source="case.tracking_number")
    status = serializers.ChoiceField(choices=Status.choices, source="case.status")
    status_label = serializers.CharField(source="case.get_status_display")
    source = serializers.ChoiceField(choices=Source.choices, source="case.source")
    source_label = serializers.CharField(source="case.get_source_display")
    urgency = serializers.ChoiceField(choices=Urgency.choices, source="case.urgency")
    urgency_label = serializers.CharField(source="case.get_urgency_display")
    lon = serializers.FloatField(source="case.location.x")
    lat = serializers.FloatField(source="case.location.y")
    address = serializers.CharField(source="case.address")
    description = serializers.CharField(source="case.description")
    category = CategoryRefSerializer(source="case.category", allow_null=True)
    limit = serializers.CharField(allow_null=True, help_text="The handling limit in words (4 working hours)")
    region_class = serializers.CharField(
        allow_null=True, help_text="The region class of the case's micro grid (一类区域 …), if it has one"
    )
    limit_by_class = serializers.BooleanField(
        help_text="The limit is the region class's own (else the subcategory's class-less limit)"
    )
    department = RefSerializer(source="case.department", allow_null=True)
    grids = GridsSerializer(source="case")
    asset = AssetSerializer(allow_null=True, help_text="The component (部件) the case is about, if any")
    responsible = ResponsibleSerializer(allow_null=True)
    approver = serializers.CharField(source="case.approver.name", allow_null=True, default=None)
    center = CenterSerializer(allow_null=True, help_text="The command center holding the case (镇街三级)")
    reporter = ReporterSerializer()
    clock = ClockSerializer(allow_null=True)
    step_clocks = StepClockSerializer(
        many=True, help_text="The command center's steps: filing + dispatch, verification, approval, on-site check"
    )
    overdue = serializers.BooleanField(source="case.overdue")
    supervised = serializers.BooleanField(source="case.supervised", help_text="Under a supervision order (督办)")
    inspector = serializers.SerializerMethodField(help_text="The inspector sent to verify or check it (the latest)")
    supervision = SupervisionSerializer(allow_null=True, help_text="The current supervision order (督办), if any")
    rework_count = serializers.IntegerField(source="case.rework_count")
    extension_count = serializers.IntegerField(source="case.extension_count")
    send_back_count = serializers.IntegerField(source="case.send_back_count")
    reported_at = serializers.DateTimeField(source="case.reported_at")
    filed_at = serializers.DateTimeField(source="case.filed_at", allow_null=True)
    dispatched_at = serializers.DateTimeField(source="case.dispatched_at", allow_null=True)
    handled_at = serializers.DateTimeField(source="case.handled_at", allow_null=True)
    closed_at = serializers.DateTimeField(source="case.closed_at", allow_null=True)
    duplicate_of = serializers.CharField(
        source="case.duplicate_of.tracking_number", allow_null=True, default=None, help_text="Merged into this case"
    )
    merged_in = serializers.SerializerMethodField(help_text="Tracking numbers of duplicates merged into this case")
    events = EventSerializer(many=True, source="timeline")
    open_requests = OpenRequestSerializer(many=True, help_text="Extension or suspension waiting for a decision")
    photos = PhotoSerializer(many=True, help_text="This case's and those of duplicates merged into it")
    actions = ActionSerializer(
        many=True, help_text="What you may do now, with the inputs each action takes (your scope is checked)"
    )

    def get_inspector(self, view: CaseView) -> dict | None:
        user = view.case.inspector
        if user is None:
            return None
        person = getattr(user, "person", None)
        return {"id": user.pk, "name": person.name if person is not None else user.get_username()}

    def get_merged_in(self, view: CaseView) -> list[str]:
        return [case["tracking_number"] for case in view.merged_in]


def case_data(view: CaseView) -> dict:
    return output(CaseDetailSerializer, view, context={"case_id": view.case.pk})


_built = threading.local()


def output(serializer_class: type[serializers.Serializer], instance: Any, *, context: dict | None = None, many=False):
    """What `serializer_class(instance, many=many, context=context).data` gives, from a serializer built
    once per thread: DRF deep-copies every field of every nested serializer each time one is made
    (a case's view: about a hundred fields, 2–4 ms a request), and these only write out."""
    key = (serializer_class, many)
    cache = getattr(_built, "serializers", None)
    if cache is None:
        cache = _built.serializers = {}
    serializer = cache.get(key)
    if serializer is None:
        serializer = cache[key] = serializer_class(many=many)
    serializer._context = context or {}
    return serializer.to_representation(instance)


# ---- list rows ----------------------------------------------------------------------------


class CaseListItemSerializer(serializers.Serializer):
    """A row of a list, as cases.selectors.list_rows prepares it (labels looked up once per list)."""

    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    source = serializers.ChoiceField(choices=Source.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    category = CategoryRefSerializer(allow_null=True)
    department = RefSerializer(allow_null=True)
    micro_grid = RefSerializer(allow_null=True)
    address = serializers.CharField()
    lon = serializers.FloatField(source="location.x")
    lat = serializers.FloatField(source="location.y")
    reported_at = serializers.DateTimeField()
    handling_deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    supervised = serializers.BooleanField(help_text="Under a supervision order (督办) not yet signed off")


class CasePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many cases match: see count_kind")
    count_kind = serializers.ChoiceField(
        choices=["exact", "about", "at_least"],
        help_text="exact up to a cap (PostgreSQL 1,000, SQLite 10,000); beyond it the database's estimate (about) "
        "or the cap as a lower bound (at_least)",
    )
    page_size = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The page of older cases; null on the last page")
    previous = serializers.URLField(allow_null=True, help_text="The page of newer cases; null on the first page")
    results = CaseListItemSerializer(many=True)


# ---- the input of each action, from its row -----------------------------------------------


class ActionInputSerializer(serializers.Serializer):
    """What every action takes: its note, the status the client saw, and a request id."""

    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
    expected_status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="The status you saw; if the case has moved on meanwhile, 409 `stale` and nothing changes",
    )
    request_id = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Your id for this request (a UUID): sent again by you, it is applied once; "
        "an id already used for anything else is refused",
    )


def _options(spec: Input) -> dict:
    """What every input's serializer field takes from the action's row."""
    options: dict[str, Any] = {"required": spec.required, "help_text": str(spec.help or spec.label)}
    if spec.message:
        options["error_messages"] = {"required": spec.message, "null": spec.message, "blank": spec.message}
    return options


# The serializer field of each kind of action input (cases.transitions.Input.kind).
INPUT_FIELDS = {
    "category": lambda spec: serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(active=True), **_options(spec)
    ),
    "urgency": lambda spec: serializers.ChoiceField(choices=Urgency.choices, **_options(spec)),
    "department": lambda spec: serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(active=True), **_options(spec)
    ),
    "amount": lambda spec: serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, **_options(spec)),
    "unit": lambda spec: serializers.ChoiceField(choices=LimitUnit.choices, **_options(spec)),
    "deadline": lambda spec: serializers.DateTimeField(**_options(spec)),
    "case": lambda spec: serializers.CharField(max_length=20, **_options(spec)),
    "order_unit": lambda spec: serializers.ChoiceField(
        choices=[LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS], **_options(spec)
    ),
    "order_department": lambda spec: serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(active=True), **_options(spec)
    ),
    "person": lambda spec: serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), **_options(spec)
    ),
    "inspector": lambda spec: serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), **_options(spec)
    ),
    "satisfaction": lambda spec: serializers.ChoiceField(choices=Satisfaction.choices, **_options(spec)),
    "yes_no": lambda spec: serializers.BooleanField(**_options(spec)),
}


def action_input_serializer(transition: Transition, owner: str) -> type[serializers.Serializer]:
    """The input serializer of `transition`, named after the view that takes it (`owner`)."""
    fields: dict[str, Any] = {}
    if transition.needs_note:
        message = transition.note_required_message
        fields["note"] = serializers.CharField(
            max_length=NOTE_MAX,
            help_text=f"Required: {transition.note.label}",
            error_messages={"required": message, "blank": message},
        )
    for spec in transition.inputs:
        fields[spec.name] = INPUT_FIELDS[spec.kind](spec)
    if transition.photos is not None:
        # How many are needed is the service's rule (one message on every interface); the most is checked here too.
        fields["photos"] = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            max_length=transition.photos.max,
            help_text=f"{transition.photos.label} (multipart/form-data), at least {transition.photos.min}. "
            "A refused photo refuses the action.",
        )
    attrs = {**fields, "__module__": __name__, "__qualname__": f"{owner}.InputSerializer"}
    return type("InputSerializer", (ActionInputSerializer,), attrs)
