"""Cases over JSON: list, page, intake, one endpoint per action; the catalogue and departments.

One view per action, input and output serializers next to it (STYLE.md). Reads go
through cases.selectors (which also decide what a user may see), every change
through cases.services. Errors are rendered by config.api.exception_handler.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.roles import Role, user_roles
from cases.models import Case, CaseEvent, Category, Department, LimitUnit, Source, Status, Urgency
from cases.selectors import case_clock, case_duplicates_near, case_get, case_list, case_step_clocks
from cases.services import PHOTO_ACTIONS, NotPermitted, case_report, case_transition, work_calendar
from cases.transitions import CENTRE, TRANSITIONS, Transition, transitions_from
from config.api import error_responses
from grids.api.views import RESPONSIBLE_ROLES, LocateApi

# PIPL: reporters' contact details go in full only to those who must call back.
SEES_CONTACT = CENTRE
# Who takes in reports here: the command center, inspectors, grid chiefs on patrol.
REPORTERS = CENTRE | {Role.INSPECTOR, Role.GRID_CHIEF}
PHOTOS_MAX = 9  # per report or handling, as the phone apps allow
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

privacy_log = logging.getLogger("cases.privacy")


def mask_phone(phone: str) -> str:
    """138****1234: the first three and the last four characters of a number stay visible."""
    phone = phone.strip()
    if len(phone) >= 8:
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) > 2:
        return "*" * (len(phone) - 2) + phone[-2:]
    return "*" * len(phone)


def mask_name(name: str) -> str:
    """张** for 张三丰: the family name only."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


class HasRole(permissions.BasePermission):
    """Someone logged in but holding no role of the product sees and does nothing here."""

    message = _("Your account has no role in this system; ask an administrator for one.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(user_roles(request.user))


PERMISSIONS = [permissions.IsAuthenticated, HasRole]


# ---- output shared by the case page, intake and actions ------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="full_code", help_text="C… component, E… event, then 大类/小类 digits")
    name = serializers.CharField()
    kind = serializers.CharField(source="major.kind")


class LimitSerializer(serializers.Serializer):
    amount = serializers.FloatField()
    unit = serializers.CharField(help_text="hours, working_hours or working_days")


def _limit(amount, unit) -> dict | None:
    return {"amount": float(amount), "unit": unit} if amount is not None else None


class CaseDetailSerializer(serializers.Serializer):
    class GridsSerializer(serializers.Serializer):
        micro = RefSerializer(source="micro_grid", allow_null=True)
        community = RefSerializer(source="community_grid", allow_null=True)
        large = RefSerializer(source="large_grid", allow_null=True)
        district = RefSerializer(source="district_grid", allow_null=True)

    class ResponsibleSerializer(serializers.Serializer):
        name = serializers.CharField()
        role = serializers.CharField()
        role_label = serializers.CharField()

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

    class StepClockSerializer(serializers.Serializer):
        step = serializers.ChoiceField(choices=["dispatch", "verify", "approval", "check"])
        label = serializers.CharField()
        started_at = serializers.DateTimeField()
        stopped_at = serializers.DateTimeField(allow_null=True)
        deadline = serializers.DateTimeField()
        elapsed_fraction = serializers.FloatField()
        light = serializers.ChoiceField(choices=["green", "yellow", "red"])

    class EventSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        at = serializers.DateTimeField()
        action = serializers.CharField()
        action_label = serializers.SerializerMethodField()
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        actor = serializers.SerializerMethodField(help_text="The name of who did it; null for citizens and the system")
        note = serializers.CharField()

        def get_action_label(self, event: CaseEvent) -> str:
            transition = TRANSITIONS.get(event.action)
            if transition is not None:
                return str(transition.label)
            return str(Status.REPORTED.label) if event.action == "report" else event.action

        def get_actor(self, event: CaseEvent) -> str | None:
            user = event.actor
            if user is None:
                return None
            person = getattr(user, "person", None)
            return person.name if person is not None else (user.get_full_name() or user.username)

    class AvailableActionSerializer(serializers.Serializer):
        action = serializers.CharField()
        label = serializers.CharField()
        needs_note = serializers.BooleanField()
        url = serializers.CharField(help_text="POST here to take the action")

    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    source = serializers.ChoiceField(choices=Source.choices)
    source_label = serializers.CharField(source="get_source_display")
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    urgency_label = serializers.CharField(source="get_urgency_display")
    lon = serializers.FloatField(source="location.x")
    lat = serializers.FloatField(source="location.y")
    address = serializers.CharField()
    description = serializers.CharField()
    category = CategoryRefSerializer(allow_null=True)
    department = RefSerializer(allow_null=True)
    grids = GridsSerializer(source="*")
    responsible = ResponsibleSerializer(source="responsible_info", allow_null=True)
    approver = serializers.CharField(source="approver.name", allow_null=True, default=None)
    reporter = ReporterSerializer()
    clock = ClockSerializer(allow_null=True)
    step_clocks = StepClockSerializer(
        many=True, help_text="The command center's steps: filing + dispatch, verification, approval, on-site check"
    )
    overdue = serializers.BooleanField()
    rework_count = serializers.IntegerField()
    extension_count = serializers.IntegerField()
    send_back_count = serializers.IntegerField()
    reported_at = serializers.DateTimeField()
    filed_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    handled_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    events = EventSerializer(many=True, source="timeline")
    actions = AvailableActionSerializer(
        many=True, source="available_actions", help_text="What you may do now (your grid or department is checked then)"
    )


def case_detail_data(case: Case, *, user) -> dict:
    """The case page for `user`: contact masked unless they call back, the actions their roles allow now."""
    roles = set(user_roles(user))
    case.timeline = list(case.events.all())
    case.clock = None
    calendar, now = work_calendar(), timezone.now()
    if case.handling_deadline is not None:
        case.clock = case_clock(case=case, events=case.timeline, calendar=calendar, now=now)
    case.step_clocks = case_step_clocks(case=case, events=case.timeline, calendar=calendar, now=now)
    case.responsible_info = None
    if case.responsible is not None:
        label = RESPONSIBLE_ROLES.get(case.responsible_role, case.responsible_role)
        case.responsible_info = {"name": case.responsible.name, "role": case.responsible_role, "role_label": label}
    full = bool(roles & SEES_CONTACT)
    case.reporter = {
        "name": case.reporter_name if full else mask_name(case.reporter_name),
        "phone": case.reporter_phone if full else mask_phone(case.reporter_phone),
        "masked": not full,
    }
    if full and case.reporter_phone:
        privacy_log.info("reporter contact of case %s shown to user %s", case.tracking_number, user.pk)
    case.available_actions = [
        {
            "action": t.action,
            "label": t.label,
            "needs_note": t.needs_note,
            "url": reverse(f"cases_api:{t.action}", args=[case.pk]),
        }
        for t in transitions_from(case.status)
        if t.roles & roles
    ]
    return CaseDetailSerializer(case).data


# ---- the list, and intake ------------------------------------------------


class _ChoicesField(serializers.MultipleChoiceField):
    """Repeated (?status=a&status=b) or comma-separated (?status=a,b)."""

    def get_value(self, dictionary: Any) -> Any:
        if self.field_name not in dictionary:
            return empty
        values = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else dictionary[self.field_name]
        if isinstance(values, str):
            values = [values]
        return [part for value in values for part in str(value).split(",") if part]


class CaseListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
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


class CasePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseListItemSerializer(many=True)


_REQUEST_ID_REUSED = _("This request id was already used for another request; send a new one.")


class CasesApi(APIView):
    """GET /api/cases/: the cases you may see, filtered and paginated.
    POST /api/cases/: take in a report (上报)."""

    permission_classes = PERMISSIONS

    class FilterSerializer(serializers.Serializer):
        status = _ChoicesField(choices=Status.choices, required=False, help_text="One or more (repeat or comma)")
        category = serializers.IntegerField(min_value=1, required=False, help_text="Subcategory id")
        grid = serializers.IntegerField(min_value=1, required=False, help_text="Any grid: its whole subtree")
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
        overdue = serializers.BooleanField(allow_null=True, default=None)
        source = serializers.ChoiceField(choices=Source.choices, required=False)
        reported_from = serializers.DateField(required=False, help_text="Local date (Asia/Shanghai), included")
        reported_to = serializers.DateField(required=False, help_text="Local date (Asia/Shanghai), included")
        department = serializers.IntegerField(min_value=1, required=False)
        page = serializers.IntegerField(min_value=1, default=1)
        page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)

        def validate(self, data: dict) -> dict:
            start, end = data.get("reported_from"), data.get("reported_to")
            if start and end and start > end:
                raise serializers.ValidationError({"reported_to": _("The end date is before the start date.")})
            return data

    class ReportInputSerializer(LocateApi.InputSerializer):  # lon, lat (WGS84) as the map lookup takes them
        address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        category = serializers.PrimaryKeyRelatedField(
            queryset=Category.objects.filter(active=True), required=False, allow_null=True, default=None
        )
        urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
        source = serializers.ChoiceField(choices=Source.choices)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        reporter_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        reporter_phone = serializers.RegexField(
            r"^[0-9+\-() ]*$",
            max_length=30,
            required=False,
            allow_blank=True,
            default="",
            error_messages={"invalid": _("A phone number has digits only (and spaces, +, - or brackets).")},
        )
        request_id = serializers.CharField(
            max_length=64, required=False, help_text="Your id for this report (a UUID): sent twice, it is taken once"
        )
        photos = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            default=list,
            max_length=PHOTOS_MAX,
            help_text="Photos of the problem (multipart/form-data; JPEG, PNG or WebP). A refused photo refuses the report.",
        )

    @extend_schema(
        operation_id="cases_list",
        summary="The cases you may see",
        description="Newest first. Filters combine; `status` takes several values. The command center, "
        "inspectors and supervisors see every case; a grid chief those in the subtrees of their grids and "
        "those awaiting their approval; a department handler their departments' cases. No reporter contact.",
        parameters=[FilterSerializer],
        responses={200: CasePageSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        cases = case_list(
            user=request.user,
            statuses=given.get("status", ()),
            category_id=given.get("category"),
            grid_id=given.get("grid"),
            urgency=given.get("urgency"),
            overdue=given["overdue"],
            source=given.get("source"),
            reported_from=given.get("reported_from"),
            reported_to=given.get("reported_to"),
            department_id=given.get("department"),
        )
        page, size = given["page"], given["page_size"]
        count = cases.count()
        pages = max(1, math.ceil(count / size))
        if page > pages:
            raise exceptions.NotFound(
                _("There is no page %(page)d; the last is %(pages)d.") % {"page": page, "pages": pages}
            )
        url = request.build_absolute_uri()
        data = {
            "count": count,
            "page": page,
            "page_size": size,
            "pages": pages,
            "next": replace_query_param(url, "page", page + 1) if page < pages else None,
            "previous": None,
            "results": CaseListItemSerializer(cases[(page - 1) * size : page * size], many=True).data,
        }
        if page > 1:
            data["previous"] = (
                replace_query_param(url, "page", page - 1) if page > 2 else remove_query_param(url, "page")
            )
        return Response(data)

    @extend_schema(
        operation_id="cases_report",
        summary="Take in a report (上报)",
        description="The point is located in its micro grid and the responsible chief named. A point outside "
        "the city's grids is refused (400) and nothing is stored. The same `request_id` sent again answers "
        "200 with the case made the first time.",
        request=ReportInputSerializer,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        if not set(user_roles(request.user)) & REPORTERS:
            raise exceptions.PermissionDenied(_("Your role may not take in reports."))
        params = self.ReportInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        request_id = given.get("request_id")
        created = True
        if request_id:
            earlier = CaseEvent.objects.filter(request_id=request_id).values_list("action", flat=True).first()
            if earlier is not None and earlier != "report":
                raise serializers.ValidationError({"request_id": [_REQUEST_ID_REUSED]})
            created = earlier is None
        case = case_report(
            source=given["source"],
            point=Point(given["lon"], given["lat"], srid=4326),
            address=given["address"],
            category=given["category"],
            urgency=given["urgency"],
            description=given["description"],
            reporter_name=given["reporter_name"],
            reporter_phone=given["reporter_phone"],
            actor=request.user,
            request_id=request_id,
            photos=given["photos"],
        )
        data = case_detail_data(case_get(case_id=case.pk), user=request.user)
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CaseDetailApi(APIView):
    """GET /api/cases/<id>/: one case with its timeline, clock and the actions you may take now."""

    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="cases_detail",
        summary="One case: timeline, clock, what you may do now",
        responses={200: CaseDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request: Request, case_id: int) -> Response:
        case = case_get(case_id=case_id, user=request.user)
        if case is None:
            raise exceptions.NotFound(_("No such case, or not one you may see."))
        return Response(case_detail_data(case, user=request.user))


# ---- one endpoint per action ---------------------------------------------


class ActionInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    expected_status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="The status you saw; if the case has moved on meanwhile, 409 `stale` and nothing changes",
    )
    request_id = serializers.CharField(
        max_length=64, required=False, help_text="Your id for this request (a UUID): sent twice, it is applied once"
    )


class CaseActionApi(APIView):
    """POST /api/cases/<id>/actions/<action>/: apply one action through cases.services.case_transition.

    A subclass per action (below) carries its transition and input serializer.
    """

    permission_classes = PERMISSIONS
    transition: Transition
    InputSerializer: type[serializers.Serializer] = ActionInputSerializer

    def post(self, request: Request, case_id: int) -> Response:
        transition = self.transition
        if not Case.objects.filter(pk=case_id).exists():
            raise exceptions.NotFound(_("No such case, or not one you may see."))
        # The service checks this too, but only after honouring a repeated request id.
        if not set(user_roles(request.user)) & transition.roles:
            raise NotPermitted(_("Your role may not do this: %(action)s.") % {"action": transition.label})
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = dict(params.validated_data)
        request_id = given.pop("request_id", None)
        if (
            request_id
            and CaseEvent.objects.filter(request_id=request_id)
            .exclude(case_id=case_id, action=transition.action)
            .exists()
        ):
            raise serializers.ValidationError({"request_id": [_REQUEST_ID_REUSED]})
        case_transition(case_id=case_id, action=transition.action, actor=request.user, request_id=request_id, **given)
        # The service allowed it: the answer shows the case even if it has now left the user's scope
        # (a department that sends a case back, say).
        return Response(case_detail_data(case_get(case_id=case_id), user=request.user))


def _action_input(transition: Transition, view_name: str) -> type[serializers.Serializer]:
    fields: dict[str, Any] = {}
    if transition.needs_note:
        fields["note"] = serializers.CharField(max_length=2000, help_text="Required: the reason or what was done")
    if transition.action == "file":
        fields["category"] = serializers.PrimaryKeyRelatedField(
            queryset=Category.objects.filter(active=True), required=False, help_text="Required unless the case has one"
        )
        fields["urgency"] = serializers.ChoiceField(choices=Urgency.choices, required=False)
    if transition.action == "dispatch":
        fields["department"] = serializers.PrimaryKeyRelatedField(
            queryset=Department.objects.filter(active=True),
            required=False,
            help_text="Overrides the routing rules; without it, the department they name",
        )
    if transition.action == "request_extension":
        fields["amount"] = serializers.DecimalField(
            max_digits=6, decimal_places=2, min_value=0, required=False, help_text="More time: how much (with unit)"
        )
        fields["unit"] = serializers.ChoiceField(choices=LimitUnit.choices, required=False, help_text="With amount")
        fields["deadline"] = serializers.DateTimeField(
            required=False, help_text="Or a new deadline (ISO 8601 with a time zone) instead of amount + unit"
        )
    if transition.action == "merge":
        fields["into"] = serializers.CharField(
            max_length=20, help_text="The case this report duplicates: its id or tracking number"
        )
    if transition.action in PHOTO_ACTIONS:
        fields["photos"] = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            max_length=PHOTOS_MAX,
            help_text="Photos of the result (multipart/form-data). A refused photo refuses the action.",
        )
    attrs = {**fields, "__module__": __name__, "__qualname__": f"{view_name}.InputSerializer"}
    return type("InputSerializer", (ActionInputSerializer,), attrs)


def _action_view(transition: Transition) -> type[CaseActionApi]:
    name = "Case" + "".join(part.capitalize() for part in transition.action.split("_")) + "Api"
    view = type(
        name,
        (CaseActionApi,),
        {
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"POST /api/cases/<id>/actions/{transition.action}/",
            "transition": transition,
            "InputSerializer": _action_input(transition, name),
        },
    )
    description = format_lazy(
        "From: {}. Roles: {}.{} Answers the case as it is afterwards.",
        ", ".join(sorted(transition.sources)),
        ", ".join(sorted(transition.roles)),
        " A note is required." if transition.needs_note else "",
    )
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"cases_{transition.action}",
            summary=transition.label,
            description=description,
            tags=["case actions"],
            request=view.InputSerializer,
            responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)},
        )
    )(view)


ACTION_VIEWS: dict[str, type[CaseActionApi]] = {action: _action_view(t) for action, t in TRANSITIONS.items()}


@extend_schema(exclude=True)
class CaseUnknownActionApi(APIView):
    """Any other /api/cases/<id>/actions/<name>/: 404 in the API's error format."""

    permission_classes = PERMISSIONS

    def post(self, request: Request, case_id: int, action: str) -> Response:
        raise exceptions.NotFound(_("There is no action “%(action)s”.") % {"action": action})

    get = put = patch = delete = post


class CaseDuplicatesApi(APIView):
    """GET /api/cases/duplicates/?lon=&lat=&category=: open cases this report may duplicate."""

    permission_classes = PERMISSIONS

    class InputSerializer(LocateApi.InputSerializer):
        category = serializers.IntegerField(min_value=1, help_text="Subcategory id")
        exclude = serializers.IntegerField(min_value=1, required=False, help_text="A case id to leave out (itself)")

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        tracking_number = serializers.CharField()
        status = serializers.CharField()
        status_label = serializers.CharField(source="get_status_display")
        distance_m = serializers.FloatField()
        reported_at = serializers.DateTimeField()
        description = serializers.CharField()
        url = serializers.SerializerMethodField()

        def get_url(self, case: Case) -> str:
            return reverse("cases:detail", args=[case.pk])

    @extend_schema(
        operation_id="cases_duplicates",
        summary="Possible duplicates: same subcategory, open, within 50 m, last 7 days",
        parameters=[InputSerializer],
        responses={200: OutputSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        found = case_duplicates_near(
            point=Point(given["lon"], given["lat"], srid=4326),
            category_id=given["category"],
            exclude_id=given.get("exclude"),
        )
        visible = set(case_list(user=request.user).filter(pk__in=[c.pk for c in found]).values_list("pk", flat=True))
        return Response(self.OutputSerializer([c for c in found if c.pk in visible], many=True).data)


# ---- the catalogue -------------------------------------------------------


class CategoryListApi(APIView):
    """GET /api/categories/: the active subcategories (小类) to file cases under."""

    permission_classes = PERMISSIONS

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        full_code = serializers.CharField()
        name = serializers.CharField()
        kind = serializers.CharField(source="major.kind")
        major = RefSerializer()
        filing_condition = serializers.CharField()
        closing_condition = serializers.CharField()
        limit = serializers.SerializerMethodField()
        urgent_limit = serializers.SerializerMethodField()
        needs_approval = serializers.BooleanField()
        needs_onsite_check = serializers.BooleanField()
        public_category = serializers.CharField()
        department = RefSerializer(source="default_department", allow_null=True)

        @extend_schema_field(LimitSerializer)
        def get_limit(self, category: Category) -> dict | None:
            return _limit(category.limit, category.limit_unit)

        @extend_schema_field(LimitSerializer(allow_null=True))
        def get_urgent_limit(self, category: Category) -> dict | None:
            return _limit(category.urgent_limit, category.urgent_unit or category.limit_unit)

    @extend_schema(
        operation_id="categories_list",
        summary="Active subcategories with their limits and departments",
        responses={200: OutputSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        categories = (
            Category.objects.filter(active=True)
            .select_related("major", "default_department")
            .order_by("major__kind", "major__code", "code")
        )
        return Response(self.OutputSerializer(categories, many=True).data)


class DepartmentListApi(APIView):
    """GET /api/departments/: the active departments cases are dispatched to."""

    permission_classes = PERMISSIONS

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        short_name = serializers.CharField()

    @extend_schema(
        operation_id="departments_list",
        summary="Active departments",
        responses={200: OutputSerializer(many=True), **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(Department.objects.filter(active=True), many=True).data)
