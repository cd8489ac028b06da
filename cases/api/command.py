"""The command center's feeds (issue 14): the supervision map's GeoJSON, the queue's count of new
arrivals, batch actions on a selection, and the wall's figures.

One truth with the queue: every feed filters with the queue's own selector (cases.selectors.
case_list, within cases.scope's "who sees") and the same filters as GET /api/cases/; a batch
applies each case through cases.services.case_transition, as a single action would.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.cases import CasesApi, list_filters
from cases.api.permissions import PERMISSIONS
from cases.clocks import LIGHT_LABELS, row_light
from cases.models import Case, Category, Department, Status, Urgency
from cases.selectors import (
    MAP_LIMIT,
    OPEN_STATUSES,
    MapCase,
    Tally,
    case_arrivals,
    case_list,
    case_map,
    wall_figures,
    work_calendar,
)
from cases.services import BATCH_ACTIONS, BATCH_MAX, case_batch
from config.api import error_responses
from grids.maps import bbox_parse

# A map's view may be at most this many square degrees (a county is ~0.05; a province ~20).
MAX_BBOX_AREA = 25.0


def tally_data(tally: Tally) -> dict:
    return {"n": tally.n, "kind": tally.kind, "text": str(tally)}


class MapCasesLabels:
    """The labels every feature of one answer shares, looked up once."""

    def __init__(self) -> None:
        self.status = {value: str(label) for value, label in Status.choices}
        self.light = {key: str(label) for key, label in LIGHT_LABELS.items()}
        self.light["none"] = str(_("No handling deadline yet"))
        self.calendar = work_calendar()
        self.now = timezone.now()
        self.url = reverse("cases:detail", args=[0]).replace("/0/", "/{}/")  # once, not per case


def case_feature(case: MapCase, labels: MapCasesLabels) -> dict:
    """An open case as a GeoJSON feature of the supervision map (static/js/case-supervision-map.js)."""
    light = row_light(case, labels.calendar, labels.now)
    colour = light.colour if light else "none"
    category = case.category
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(case.lon, 7), round(case.lat, 7)]},
        "properties": {
            "id": case.id,
            "tracking_number": case.tracking_number,
            "status": case.status,
            "status_label": labels.status.get(case.status, case.status),
            "category": category.name if category else None,
            "address": case.address,
            "urgent": case.urgency == Urgency.URGENT,
            "light": colour,
            "light_label": labels.light[colour],
            "overdue": bool(case.overdue or colour == "red"),
            "supervised": bool(case.supervised),
            "deadline": case.handling_deadline.isoformat() if case.handling_deadline else None,
            "reported_at": case.reported_at.isoformat(),
            "url": labels.url.format(case.id),
        },
    }


class CaseMapApi(APIView):
    """GET /api/cases/map/: the open cases the queue would list for the same filters, as GeoJSON."""

    permission_classes = PERMISSIONS

    class InputSerializer(CasesApi.FilterSerializer):
        bbox = serializers.CharField(
            required=False, help_text="min lon, min lat, max lon, max lat (WGS84), comma separated: the map's view"
        )

        def validate_bbox(self, value: str):
            return bbox_parse(value, max_area=MAX_BBOX_AREA)

    @extend_schema(
        operation_id="cases_map",
        summary="The open cases on the supervision map, as GeoJSON",
        description="Exactly the cases GET /api/cases/ lists for the same filters and user, without the closed, "
        "refused, cancelled and merged ones, newest first, inside `bbox` if given. At most "
        f"{MAP_LIMIT} features: `truncated` is then true and `total` says how many there are (`kind` exact, "
        "`about` (PostgreSQL's estimate) or `at_least`): zoom in. Each feature: its light (green, yellow, "
        "red, paused, none), overdue, supervised (督办), urgent, status and the case page's `url`.",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        found = case_map(cases=case_list(user=request.user, **list_filters(given)), bbox=given.get("bbox"))
        labels = MapCasesLabels()
        return Response({
            "type": "FeatureCollection",
            "truncated": found.truncated,
            "shown": len(found.rows),
            "total": tally_data(found.total),
            "features": [case_feature(case, labels) for case in found.rows],
        })  # fmt: skip


class CaseArrivalsApi(APIView):
    """GET /api/cases/arrivals/?since=…: how many cases the queue's filters hold that were reported since."""

    permission_classes = PERMISSIONS

    class InputSerializer(CasesApi.FilterSerializer):
        since = serializers.DateTimeField(help_text="ISO 8601 with a time zone: when the list was read")

    @extend_schema(
        operation_id="cases_arrivals",
        summary="New reports since a moment, for the same filters as the list",
        description="`count` up to 99 (`kind` at_least beyond) and `label`, the sentence the queue shows "
        "(“3 条新上报，点击刷新”), empty when there are none.",
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 403)},
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        tally = case_arrivals(cases=case_list(user=request.user, **list_filters(given)), since=given["since"])
        label = (
            ngettext("%(n)s new report: click to refresh", "%(n)s new reports: click to refresh", tally.n)
            % {"n": str(tally)}
            if tally.n
            else ""
        )
        return Response({"count": tally.n, "kind": tally.kind, "label": label})


class CaseBatchApi(APIView):
    """POST /api/cases/batch/: one action on several cases, each on its own."""

    permission_classes = PERMISSIONS

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=BATCH_ACTIONS)
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), min_length=1, max_length=BATCH_MAX, help_text="Case ids"
        )
        expected_status = serializers.DictField(
            child=serializers.ChoiceField(choices=Status.choices),
            required=False,
            help_text="{case id: the status you saw}: a case that has moved on since is refused (stale)",
        )
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        category = serializers.PrimaryKeyRelatedField(
            queryset=Category.objects.filter(active=True), required=False, help_text="file: the subcategory"
        )
        urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, help_text="file")
        department = serializers.PrimaryKeyRelatedField(
            queryset=Department.objects.filter(active=True),
            required=False,
            help_text="dispatch: overrides the routing rules",
        )
        inspector = serializers.PrimaryKeyRelatedField(
            queryset=get_user_model().objects.filter(is_active=True),
            required=False,
            help_text="send_to_check: the inspector sent (without it: the one suggested for each case)",
        )
        request_id = serializers.UUIDField(
            required=False, help_text="Your id for this batch: sent again, a case already done is not done twice"
        )

    class ResultSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="case_id")
        ok = serializers.BooleanField()
        tracking_number = serializers.CharField()
        status = serializers.CharField(allow_null=True, help_text="The case's status afterwards")
        code = serializers.CharField(help_text="Why it was refused: the error codes of the single actions")
        message = serializers.CharField()
        repeated = serializers.BooleanField()

    @extend_schema(
        operation_id="cases_batch",
        summary="One action on several cases (file, dispatch, send to check, close)",
        description=f"At most {BATCH_MAX} cases. Each case goes through the same service as its single "
        "action, in a transaction of its own: each is applied whole or not at all, and a case that is "
        "refused (not in a state for it, changed meanwhile, outside your scope) leaves the others applied. "
        "The answer lists every case in the order sent: `ok`, or the `code` and `message` the single "
        "action would answer. A missing note or input the action needs refuses the whole batch (400). "
        "Inputs an action does not take are refused.",
        request=InputSerializer,
        responses={200: ResultSerializer(many=True), **error_responses(400, 403)},
    )
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        given = dict(params.validated_data)
        action, ids = given.pop("action"), given.pop("ids")
        expected = {int(k): v for k, v in given.pop("expected_status", {}).items() if str(k).isdigit()}
        request_id = given.pop("request_id", None)
        results = case_batch(
            case_ids=ids,
            action=action,
            actor=request.user,
            note=given.pop("note"),
            expected_statuses=expected,
            request_id=str(request_id) if request_id else None,
            **given,
        )
        return Response({"results": self.ResultSerializer(results, many=True).data})


class CaseWallApi(APIView):
    """GET /api/cases/wall/: what the wall (指挥大屏) shows, refreshed without reloading it."""

    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="cases_wall",
        summary="The wall's figures: today, open cases by stage, overdue cases, the newest reports",
        description="Within what you may see. `today` counts since local midnight (Asia/Shanghai).",
        responses={200: OpenApiTypes.OBJECT, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        return Response(wall_data(user=request.user))


def _wall_row(case: Case) -> dict:
    return {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "status": case.status,
        "status_label": case.status_label,
        "category": case.category.name if case.category_id else "",
        "address": case.address,
        "grid": case.micro_grid.name if case.micro_grid_id else "",
        "urgent": case.urgency == Urgency.URGENT,
        "reported_at": timezone.localtime(case.reported_at).isoformat(),
        "deadline": timezone.localtime(case.handling_deadline).isoformat() if case.handling_deadline else None,
        "url": reverse("cases:detail", args=[case.pk]),
    }


def wall_data(*, user) -> dict:
    figures = wall_figures(user=user)
    labels = dict(Status.choices)
    return {
        "at": timezone.localtime().isoformat(),
        "today": figures.today,
        "stages": [
            {"status": status, "label": str(labels[status]), **tally_data(figures.stages[status])}
            for status in OPEN_STATUSES
        ],
        "open": tally_data(sum(figures.stages.values(), Tally(0))),
        "overdue": [_wall_row(case) for case in figures.overdue],
        "newest": [_wall_row(case) for case in figures.newest],
    }
