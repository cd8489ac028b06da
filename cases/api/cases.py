"""Cases over JSON: the list, intake (上报), one case as its user sees it, possible duplicates.

Reads go through cases.selectors and cases.scope (what a user may see), the case as shown
through cases.viewmodel (the same view the page renders), every change through cases.services.
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.roles import user_roles
from cases.api.permissions import PERMISSIONS
from cases.api.serializers import (
    CaseDetailSerializer,
    CaseListItemSerializer,
    CasePageSerializer,
    ChoicesField,
    case_data,
    output,
)
from cases.models import Case, Category, Source, Status, Urgency
from cases.photos import PHOTOS_MAX
from cases.scope import REPORTERS
from cases.selectors import (
    SORT_CHOICES,
    InvalidCursor,
    case_duplicates_near,
    case_get,
    case_list,
    case_page_sorted,
    case_tally,
    category_active,
    list_rows,
)
from cases.services import case_report_from
from cases.viewmodel import case_view
from config.api import error_responses
from config.db import read_after_commit
from config.limits import validate_filter_date
from grids.api.views import LocateApi

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def case_answer(*, case_id: int, user) -> dict:
    """The case as `user` sees it, after they changed it: shown even if it has now left their scope
    (a department that sends a case back, say): the service allowed the change. The change has
    committed: a connection lost meanwhile is replaced, not answered with a 500."""
    return read_after_commit(lambda: case_data(case_view(case=case_get(case_id=case_id), user=user, where="api")))


def report_answer(*, case: Case, user) -> dict:
    """A report just taken in, as `user` sees it: built from what the service wrote (the case with
    its grids, responsible person and category, its one event, its photos), not read back. A
    repeated request answers the case as it is now."""
    if case.repeated:
        return case_answer(case_id=case.pk, user=user)
    view = case_view(case=case, user=user, where="api", events=[case.report_event], photos=case.report_photos)
    return case_data(view)


def list_filters(given: dict) -> dict:
    """The keyword arguments of cases.selectors.case_list from a FilterSerializer's validated data:
    the list, the map's feed and the new-arrivals count filter alike."""
    return {
        "statuses": given.get("status", ()),
        "category_id": given.get("category"),
        "grid_id": given.get("grid"),
        "urgency": given.get("urgency"),
        "overdue": given.get("overdue"),
        "source": given.get("source"),
        "reported_from": given.get("reported_from"),
        "reported_to": given.get("reported_to"),
        "department_id": given.get("department"),
        "tracking_number": (given.get("q") or "").strip(),
    }


class CatalogueCategoryField(serializers.PrimaryKeyRelatedField):
    """An active subcategory by id, from the catalogue the process keeps (no query per request)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        category = category_active(category_id=pk)
        if category is None:
            self.fail("does_not_exist", pk_value=data)
        return category


class CasesApi(APIView):
    """GET /api/cases/: the cases you may see, filtered and paginated.
    POST /api/cases/: take in a report (上报)."""

    body_max_setting = "CASE_UPLOAD_MAX_BYTES"  # photos (config.limits)

    permission_classes = PERMISSIONS

    class FilterSerializer(serializers.Serializer):
        status = ChoicesField(choices=Status.choices, required=False, help_text="One or more (repeat or comma)")
        category = serializers.IntegerField(min_value=1, required=False, help_text="Subcategory id")
        grid = serializers.IntegerField(min_value=1, required=False, help_text="Any grid: its whole subtree")
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
        overdue = serializers.BooleanField(allow_null=True, default=None)
        source = serializers.ChoiceField(choices=Source.choices, required=False)
        reported_from = serializers.DateField(
            required=False, validators=[validate_filter_date], help_text="Local date (Asia/Shanghai), included"
        )
        reported_to = serializers.DateField(
            required=False, validators=[validate_filter_date], help_text="Local date (Asia/Shanghai), included"
        )
        department = serializers.IntegerField(min_value=1, required=False)
        q = serializers.CharField(
            max_length=20, required=False, allow_blank=True, help_text="Tracking number, or its beginning"
        )
        cursor = serializers.CharField(
            required=False, max_length=200, help_text="Where a page starts: the `next` or `previous` link of another"
        )
        page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)
        sort = serializers.ChoiceField(
            choices=SORT_CHOICES,
            default="newest",
            help_text="newest (default); age: the oldest first; deadline: the nearest handling deadline first, "
            "none last; light: overdue first, then the nearest deadline. Cursors belong to their order.",
        )

        def validate(self, data: dict) -> dict:
            start, end = data.get("reported_from"), data.get("reported_to")
            if start and end and start > end:
                raise serializers.ValidationError({"reported_to": _("The end date is before the start date.")})
            return data

    class ReportInputSerializer(LocateApi.InputSerializer):  # lon, lat (WGS84) as the map lookup takes them
        address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        category = CatalogueCategoryField(
            queryset=Category.objects.filter(active=True), required=False, allow_null=True, default=None
        )
        asset = serializers.PrimaryKeyRelatedField(
            queryset=Case._meta.get_field("asset").related_model.objects.all(),
            required=False,
            allow_null=True,
            default=None,
            help_text="The component (部件) the report is about: the case takes its subcategory unless `category` "
            "is given, and goes to its maintaining unit",
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
        "those awaiting their approval; a department handler their departments' cases. No reporter contact. "
        "Pages follow each other by position: `next` and `previous` are links with a `cursor`, each page costs "
        'the same however deep. `count` is exact up to 1,000 on PostgreSQL (`count_kind` "exact"), beyond it the '
        'planner\'s estimate ("about"); on SQLite exact up to 10,000, beyond it 10,000 ("at_least").',
        parameters=[FilterSerializer],
        responses={200: CasePageSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        cases = case_list(user=request.user, **list_filters(given))
        try:
            page = case_page_sorted(
                cases=cases, sort=given["sort"], cursor=given.get("cursor"), size=given["page_size"]
            )
        except InvalidCursor:
            message = _("This is not a cursor of this list; follow a `next` or `previous` link.")
            raise serializers.ValidationError({"cursor": [message]}) from None
        count = case_tally(cases=cases)
        url = request.build_absolute_uri()
        return Response({
            "count": count.n,
            "count_kind": count.kind,
            "page_size": given["page_size"],
            "next": replace_query_param(url, "cursor", page.next) if page.next else None,
            "previous": replace_query_param(url, "cursor", page.previous) if page.previous else None,
            "results": output(CaseListItemSerializer, list_rows(page.rows), many=True),
        })  # fmt: skip

    @extend_schema(
        operation_id="cases_report",
        summary="Take in a report (上报)",
        description="The point is located in its micro grid and the responsible chief named. A point outside "
        "the city's grids is refused (400) and nothing is stored. The same `request_id` sent again by you "
        "answers 200 with the case made the first time; an id already used for anything else is refused (400).",
        request=ReportInputSerializer,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        if not set(user_roles(request.user)) & REPORTERS:
            raise exceptions.PermissionDenied(_("Your role may not take in reports."))
        params = self.ReportInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        case = case_report_from(data=params.validated_data, actor=request.user)
        data = report_answer(case=case, user=request.user)
        return Response(data, status=status.HTTP_200_OK if case.repeated else status.HTTP_201_CREATED)


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
        return Response(case_data(case_view(case=case, user=request.user, where="api")))


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
