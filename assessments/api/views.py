"""Read-only assessment API: every figure, trend, ranking and breakdown, with the same
filters as the pages (period, day, start, end, grid, department, chief, category, source)."""

from __future__ import annotations

import dataclasses

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.allocation import Allocation, allocation, allocation_month
from assessments.facts import with_fresh_facts
from assessments.issues import issue_document, issue_period
from assessments.models import AssessmentSettings, BulletinIssue
from assessments.params import AssessmentNotPermitted, FilterError, parse, whole_city_scope
from assessments.selectors import (
    ALERT_RATES,
    CHILD_LEVEL,
    COUNTS,
    DEPARTMENT_POST_RATES,
    GRID_FIELD,
    POST_KINDS,
    POSTS,
    RATES,
    Figures,
    RankedUnit,
    alert_figures,
    breakdown,
    campaign_figures,
    center_ranking,
    change,
    comparison,
    department_post_ranking,
    department_ranking,
    figures_by,
    funnel,
    grid_ranking,
    overdue_now,
    person_name,
    post_ranking,
    road_ranking,
    segment_ranking,
    trend,
)
from assessments.tables import trend_period
from campaigns.models import Campaign
from campaigns.services import campaign_tag_by_rule
from config.api import error_responses
from grids.models import Grid, Level, Road

FILTERS = [
    OpenApiParameter("period", str, enum=["day", "week", "month", "quarter", "year", "custom"],
                     description="Period kind (default month)."),
    OpenApiParameter("day", OpenApiTypes.DATE, description="Any day in the period (default today)."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="Custom range: first day."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Custom range: last day (at most three years)."),
    OpenApiParameter("grid", int, description="A grid of any level, with its whole subtree."),
    OpenApiParameter("department", int),
    OpenApiParameter("chief", int, description="The responsible chief (a person)."),
    OpenApiParameter("category", int),
    OpenApiParameter("source", str),
    OpenApiParameter("campaign", int, description="The cases a campaign (专项整治) counts."),
    OpenApiParameter("basis", str, enum=["filed", "due"],
                     description="Closure rate and on-time closure rate over the cases filed in the period or "
                                 "due in it (应结案); default: the city's assessment settings."),
]  # fmt: skip


class RatioSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class FiguresSerializer(serializers.Serializer):
    period = serializers.DictField(child=serializers.CharField())
    cut_off = serializers.DateTimeField()
    basis = serializers.ChoiceField(choices=["filed", "due"])
    counts = serializers.DictField(child=serializers.IntegerField())
    rates = serializers.DictField(child=RatioSerializer())
    mean_handling_hours = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    grade = serializers.CharField()


def _dec(value) -> str | None:
    """Decimals as strings, as DRF's DecimalField gives them (exact, no float rounding)."""
    return None if value is None else str(value)


def period_json(period) -> dict:
    return {"kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "label": period.label}  # fmt: skip


def figures_json(f: Figures) -> dict:
    return {
        "period": period_json(f.period),
        "cut_off": f.cut,
        "basis": f.basis,
        "counts": dict(f.counts),
        "rates": {
            name: {"numerator": r.numerator, "denominator": r.denominator, "percent": _dec(r.percent)}
            for name in RATES
            for r in [f.ratio(name)]
        },  # fmt: skip
        "mean_handling_hours": _dec(f.mean_handling_hours),
        "score": _dec(f.score),
        "grade": f.grade,
    }


def _parsed(request: Request):
    try:
        period, slice, scope, _form = parse(request.query_params, user=request.user)
    except AssessmentNotPermitted as exc:
        raise PermissionDenied(str(exc)) from None
    except FilterError as exc:
        raise ValidationError(exc.fields) from None
    return period, slice, scope


class ComparisonSerializer(serializers.Serializer):
    current = FiguresSerializer()
    previous = FiguresSerializer()
    year_earlier = FiguresSerializer()
    overdue_now = serializers.IntegerField()
    funnel = serializers.ListField(child=serializers.DictField())
    changes = serializers.DictField(child=serializers.DictField())
    definitions = serializers.DictField(child=serializers.CharField())


class FiguresApi(APIView):
    @extend_schema(parameters=FILTERS, responses=ComparisonSerializer, summary="Every figure, with 环比 and 同比")
    @with_fresh_facts
    def get(self, request: Request) -> Response:
        period, slice, _scope = _parsed(request)
        c = comparison(period=period, slice=slice)
        definitions = {name: str(c.label) for name, c in COUNTS.items()}
        parts = {name: r.parts(c.current.basis) for name, r in RATES.items()}  # on the basis asked for
        definitions.update({name: f"{r.label}: {parts[name][0]}{' − ' + r.subtract if r.subtract else ''} / "
                                  f"{parts[name][1]}" for name, r in RATES.items()})  # fmt: skip
        return Response({
            "current": figures_json(c.current), "previous": figures_json(c.previous),
            "year_earlier": figures_json(c.year_earlier), "overdue_now": overdue_now(slice=slice),
            "funnel": funnel_json(c.current),
            "changes": {"previous": changes_json(c.current, c.previous),
                        "year_earlier": changes_json(c.current, c.year_earlier)},
            "definitions": definitions,
        })  # fmt: skip


def funnel_json(f: Figures) -> list[dict]:
    """上报 → 立案 (立案率) → [应结案 →] 结案 (结案率) → 按期结案 (按期结案率), on the figures' basis."""
    return [
        {"step": step.key, "label": str(step.label), "definition": str(step.definition), "count": step.count,
         "value": step.value, "rate": step.rate,
         "ratio": None if step.ratio is None else {"numerator": step.ratio.numerator,
                                                   "denominator": step.ratio.denominator,
                                                   "percent": _dec(step.ratio.percent)}}
        for step in funnel(f)
    ]  # fmt: skip


def changes_json(current: Figures, earlier: Figures) -> dict:
    """环比 or 同比: each count's difference and relative change (%), each rate's difference in
    percentage points and relative change (%)."""

    def pair(c) -> dict:
        return {"difference": c.difference if isinstance(c.difference, int) or c.difference is None
                else _dec(c.difference), "relative_percent": _dec(c.relative)}  # fmt: skip

    return {
        "counts": {name: pair(change(current[name], earlier[name])) for name in COUNTS},
        "rates_pp": {name: pair(change(current.percent(name), earlier.percent(name))) for name in RATES},
    }


class TrendApi(APIView):
    @extend_schema(parameters=FILTERS, responses=FiguresSerializer(many=True),
                   summary="Monthly figures for the twelve months up to the period's end")  # fmt: skip
    @with_fresh_facts
    def get(self, request: Request) -> Response:
        period, slice, _scope = _parsed(request)
        return Response([figures_json(f) for f in trend(period=trend_period(period), slice=slice)])


class UnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    ranked = serializers.BooleanField()
    figures = FiguresSerializer()


def unit_json(r: RankedUnit) -> dict:
    figures = figures_json(r.figures)
    if not r.ranked:
        figures["grade"] = ""  # no grade without a rank
    return {"id": r.unit.pk, "code": r.unit.code, "name": r.unit.name, "rank": r.rank, "ranked": r.ranked,
            "figures": figures}  # fmt: skip


class RankingApi(APIView):
    @extend_schema(
        parameters=[*FILTERS, OpenApiParameter("order", str, enum=["score", "closure_rate"])],
        responses=UnitSerializer(many=True),
        summary="Ranking of grids of one level (large, community, micro), of departments, of town centers (center), "
        "of roads (road) or of one road's segments (segment, with road=<id>)",
    )
    @with_fresh_facts
    def get(self, request: Request, kind: str) -> Response:
        if kind not in ("large", "community", "micro", "department", "center", "road", "segment"):
            raise Http404
        period, slice, _scope = _parsed(request)
        order = request.query_params.get("order", "score")
        if order not in ("score", "closure_rate"):
            raise ValidationError({"order": ["Use score or closure_rate."]})
        if kind == "center":
            if not _scope.everything:  # the 镇街 ranking is the district's view of its towns
                raise Http404
            ranked = center_ranking(period=period, slice=slice, order=order)
        elif kind == "segment":  # ?road=<id>: the segments of one road
            if not _scope.everything:
                raise Http404
            road = Road.objects.filter(pk=request.query_params.get("road") or 0).first() if str(
                request.query_params.get("road", "")).isdigit() else None  # fmt: skip
            if road is None:
                raise ValidationError({"road": ["Give the road's id: road=<id>."]})
            ranked = segment_ranking(road=road, period=period, slice=slice, order=order)
        elif kind == "road":
            if not _scope.everything:  # roads cross grids: ranked for those who see the whole city
                raise Http404
            ranked = road_ranking(period=period, slice=slice, order=order)
        elif kind == "department":
            departments = [slice.department] if slice.department else None
            ranked = department_ranking(period=period, slice=slice, departments=departments, order=order)
        else:
            ranked = grid_ranking(period=period, level=kind, within=slice.grid, slice=slice, order=order)
        return Response([unit_json(r) for r in ranked])


class BreakdownRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    figures = FiguresSerializer()


class BreakdownApi(APIView):
    @extend_schema(parameters=FILTERS, responses=BreakdownRowSerializer(many=True),
                   summary="Figures per major category or per source")  # fmt: skip
    @with_fresh_facts
    def get(self, request: Request, by: str) -> Response:
        if by not in ("category", "source"):
            raise Http404
        period, slice, _scope = _parsed(request)
        return Response([{"name": n, "figures": figures_json(f)} for n, f in breakdown(period=period, by=by,
                                                                                         slice=slice)])  # fmt: skip


class MapRateSerializer(serializers.Serializer):
    grid = serializers.IntegerField()
    assessed = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class MapApi(APIView):
    @extend_schema(
        parameters=[
            *FILTERS,
            OpenApiParameter(
                "parent", int, description="The grid whose children to colour; none: the top of the tree."
            ),
        ],
        responses=MapRateSerializer(many=True),
        summary="Closure rate of each child grid of `parent`, for the choropleth",
    )
    @with_fresh_facts
    def get(self, request: Request) -> Response:
        period, slice, scope = _parsed(request)
        parent = None
        if request.query_params.get("parent"):
            try:
                parent = get_object_or_404(Grid.objects.defer("boundary"), pk=int(request.query_params["parent"]))
            except ValueError:
                raise ValidationError({"parent": ["A grid id is a number."]}) from None
            if not scope.allows_grid(parent) and not scope.everything:
                raise PermissionDenied("This grid is outside your area.")
        if parent is None and scope.grids:
            parent = scope.grids[0]  # a chief's map starts at their own grid
        children = Grid.objects.filter(parent=parent).defer("boundary")
        levels = set(children.values_list("level", flat=True))
        if not levels:
            return Response([])
        level = levels.pop() if len(levels) == 1 else (CHILD_LEVEL.get(parent.level) if parent else Level.LARGE)
        scoped = dataclasses.replace(slice, grid=parent) if parent is not None else slice
        by_grid = figures_by(period=period, group=GRID_FIELD[level], slice=scoped)
        rows = []
        for grid_id in children.values_list("pk", flat=True):
            f = by_grid.get(grid_id)
            ratio = f.ratio("closure_rate") if f else None  # on the basis asked for
            rows.append({
                "grid": grid_id, "assessed": ratio.denominator if f else 0, "closed": ratio.numerator if f else 0,
                "closure_rate": _dec(ratio.percent) if f else None,
            })  # fmt: skip
        return Response(rows)


class CampaignFiguresSerializer(serializers.Serializer):
    class TargetSerializer(serializers.Serializer):
        figure = serializers.CharField()
        category = serializers.CharField(allow_null=True, help_text="A subcategory's code; null: all of them")
        amount = serializers.IntegerField()
        actual = serializers.IntegerField()
        met = serializers.BooleanField()

    class RowSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        figures = FiguresSerializer()

    campaign = serializers.DictField()
    figures = FiguresSerializer()
    targets = TargetSerializer(many=True)
    by_category = RowSerializer(many=True)
    by_grid = RowSerializer(many=True, help_text="By community grid")


class CampaignFiguresApi(APIView):
    @extend_schema(
        parameters=FILTERS[4:],
        responses={200: CampaignFiguresSerializer, 404: OpenApiTypes.OBJECT},
        summary="A campaign's figures (专项整治) over its period, against its targets",
        description="The same figures as everywhere (`reports` are the problems found), for the cases the campaign "
        "counts: by rule (reported in its period, in its area, under its subcategories) or added by hand. A grid "
        "chief or a department sees its own part.",
    )
    @with_fresh_facts
    def get(self, request: Request, campaign_id: int) -> Response:
        try:  # the reader's scope first
            _period, slice, _scope, _form = parse(request.query_params, user=request.user)
        except AssessmentNotPermitted as exc:
            raise PermissionDenied(str(exc)) from None
        except FilterError as exc:
            raise ValidationError(exc.fields) from None
        campaign = get_object_or_404(Campaign.objects.prefetch_related("grids", "categories"), pk=campaign_id)
        campaign_tag_by_rule(campaign=campaign)
        c = campaign_figures(campaign=campaign, slice=slice)
        return Response({
            "campaign": {"id": campaign.pk, "name": campaign.name, "starts_on": campaign.starts_on.isoformat(),
                         "ends_on": campaign.ends_on.isoformat()},
            "figures": figures_json(c.figures),
            "targets": [{"figure": t.target.figure,
                         "category": t.target.category.full_code if t.target.category_id else None,
                         "amount": t.target.amount, "actual": t.actual, "met": t.met} for t in c.targets],
            "by_category": [{"id": k.pk, "code": k.full_code, "name": k.name, "figures": figures_json(f)}
                            for k, f in c.by_category],
            "by_grid": [{"id": g.pk, "code": g.code, "name": g.name, "figures": figures_json(f)} for g, f in c.by_grid],
        })  # fmt: skip


class AlertFiguresSerializer(serializers.Serializer):
    device = serializers.CharField()
    device_name = serializers.CharField()
    event_type = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rates = serializers.DictField(child=RatioSerializer())


class AlertFiguresApi(APIView):
    @extend_schema(
        parameters=FILTERS[:4],
        responses=AlertFiguresSerializer(many=True),
        summary="Device alerts per device and event type: volume, auto-filed share, false-alarm share",
        description="Alerts that occurred in the period. False alarms: alerts whose case was not accepted or was "
        "cancelled (as it is now). For those who see the whole city.",
    )
    def get(self, request: Request) -> Response:
        period, _slice, scope = _parsed(request)
        if not scope.everything:
            raise PermissionDenied("Device figures are for those who see the whole city.")
        rows = alert_figures(period=period)
        return Response([
            {"device": f.device.code, "device_name": f.device.name, "event_type": f.event_type.code,
             "counts": dict(f.counts),
             "rates": {name: {"numerator": r.numerator, "denominator": r.denominator, "percent": _dec(r.percent)}
                       for name in ALERT_RATES for r in [f.ratio(name)]}}
            for f in rows
        ])  # fmt: skip


class PostRankingApi(APIView):
    @extend_schema(
        parameters=FILTERS,
        responses=OpenApiTypes.OBJECT,
        summary="Evaluation of posts (岗位考评): inspectors, intake clerks, dispatchers, or departments, ranked",
        description="inspector: valid_report_rate, on_time_verification_rate, on_time_check_rate; intake (intake "
        "clerks and shift leaders): on_time_acceptance_rate, on_time_filing_rate; dispatch (dispatchers and shift "
        "leaders): on_time_dispatch_rate, dispatch_accuracy (per person); "
        "department: on_time_handling_rate, rework_rate, send_backs. Each rate with its numerator and "
        "denominator; ranked by the first rate, then the next, then the count; below the minimum, no rank.",
    )
    @with_fresh_facts
    def get(self, request: Request, kind: str) -> Response:
        if kind not in POST_KINDS:
            raise Http404
        period, slice, scope = _parsed(request)  # the reader's scope first
        if kind == "department":
            departments = [slice.department] if slice.department else None
            ranked = department_post_ranking(period=period, slice=slice, departments=departments)
            return Response([{
                "id": r.unit.pk, "code": r.unit.code, "name": r.unit.name, "rank": r.rank, "ranked": r.ranked,
                "rates": {name: _ratio_json(r.figures.ratio(name)) for name in DEPARTMENT_POST_RATES},
                "send_backs": r.figures["send_backs"],
            } for r in ranked])  # fmt: skip
        ranked = post_ranking(period=period, post=kind, slice=slice, everyone=scope.everything)
        return Response([{
            "id": r.person.pk, "account": r.person.get_username(), "name": person_name(r.person), "rank": r.rank,
            "ranked": r.ranked,
            "rates": {rate.name: _ratio_json(r.figures.ratio(rate.name)) for rate in POSTS[kind].rates},
        } for r in ranked])  # fmt: skip


def _ratio_json(r) -> dict:
    return {"numerator": r.numerator, "denominator": r.denominator, "percent": _dec(r.percent)}


# ---- the city's own documents: the fund's allocation, the bulletin issues ----------------------


class SeesWholeCity(permissions.BasePermission):
    """The allocation and the bulletin issues are the city's: for those who see every figure, as
    their pages say (params.whole_city_scope). Asked before the handler reads or refreshes anything."""

    def has_permission(self, request, view) -> bool:
        try:
            whole_city_scope(request.user)
        except AssessmentNotPermitted as exc:
            raise PermissionDenied(str(exc)) from None
        return True


CITY_ONLY = [permissions.IsAuthenticated, SeesWholeCity]
MONEY = {"max_digits": 14, "decimal_places": 2}


class AllocationSerializer(serializers.Serializer):
    class RowSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        code = serializers.CharField()
        name = serializers.CharField()
        rank = serializers.IntegerField(allow_null=True, help_text="Null below the minimum number of cases")
        ranked = serializers.BooleanField()
        score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                         help_text="Composite score; null: no assessed case")  # fmt: skip
        grade = serializers.CharField()
        base = serializers.DecimalField(**MONEY, help_text="Base share (yuan): the base part shared equally")
        by_score = serializers.DecimalField(**MONEY, help_text="Score share (yuan): the rest, by score")
        amount = serializers.DecimalField(**MONEY, help_text="Allocation (yuan): base + by_score")
        share_percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                                 help_text="Share of the fund (%)")  # fmt: skip

    class TotalsSerializer(serializers.Serializer):
        base = serializers.DecimalField(**MONEY)
        by_score = serializers.DecimalField(**MONEY)
        amount = serializers.DecimalField(**MONEY, help_text="Always the fund, to the fen")
        share_percent = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)

    period = serializers.DictField(child=serializers.CharField())
    units = serializers.ChoiceField(choices=AssessmentSettings._meta.get_field("fund_units").choices,
                                    help_text="The units sharing the fund (assessment settings)")  # fmt: skip
    fund = serializers.DecimalField(**MONEY)
    base_percent = serializers.IntegerField()
    rows = RowSerializer(many=True)
    totals = TotalsSerializer()


def allocation_json(a: Allocation) -> dict:
    """The allocation as the page and its Excel file show it (allocation_rows), amounts as strings."""
    rows = []
    for s in a.shares:
        r = s.unit
        rows.append({
            "id": r.unit.pk, "code": r.unit.code, "name": r.unit.name, "rank": r.rank if r.ranked else None,
            "ranked": r.ranked, "score": _dec(r.figures.score), "grade": r.figures.grade if r.ranked else "",
            "base": _dec(s.base), "by_score": _dec(s.by_score), "amount": _dec(s.total),
            "share_percent": _dec(a.percent(s)),
        })  # fmt: skip
    return {
        "period": period_json(a.period), "units": a.units_kind, "fund": _dec(a.fund), "base_percent": a.base_percent,
        "rows": rows,
        "totals": {"base": _dec(a.base_total), "by_score": _dec(a.by_score_total), "amount": _dec(a.total),
                   "share_percent": _dec(a.total_percent)},
    }  # fmt: skip


class AllocationApi(APIView):
    permission_classes = CITY_ONLY

    @extend_schema(
        parameters=FILTERS[:2],
        responses={200: AllocationSerializer, **error_responses(400, 403)},
        summary="Allocation of the fund (考核结果与经费挂钩): each unit's share of a month's fund by its score",
        description="The same table as /assessments/allocation/ and its Excel file: share(u) = fund × base % / n + "
        "fund × (1 − base %) × score(u) / Σ score over the units set in the assessment settings; amounts in yuan "
        "to the fen, adding up to the fund. The fund is monthly: any period gives the month it starts in. For "
        "those who see the whole city.",
    )
    @with_fresh_facts
    def get(self, request: Request) -> Response:
        period, _slice, _scope = _parsed(request)
        return Response(allocation_json(allocation(period=allocation_month(period))))


class BulletinIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=BulletinIssue.Kind.choices)
    kind_label = serializers.CharField()
    status = serializers.ChoiceField(choices=BulletinIssue.Status.choices)
    status_label = serializers.CharField()
    year = serializers.IntegerField(allow_null=True, help_text="Of the date of issue, once published")
    number = serializers.IntegerField(allow_null=True, help_text="第 N 期, per kind and year, once published")
    start = serializers.DateField()
    end = serializers.DateField()
    period_label = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    url = serializers.CharField(help_text="This issue in the API")
    page_url = serializers.CharField(help_text="Its printable page: a browser link (a logged-in session, not a token)")
    pdf_url = serializers.CharField(
        help_text="Its PDF, downloads audited: a browser link (a logged-in session, not a token)"
    )


class BulletinDocumentSerializer(serializers.Serializer):
    """What the printable page and the PDF show (assessments.issues.issue_document). A table is a
    list of rows of text, its header first."""

    class RankingSerializer(serializers.Serializer):
        id = serializers.CharField()
        heading = serializers.CharField()
        rows = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))

    class SectionSerializer(serializers.Serializer):
        id = serializers.CharField()
        heading = serializers.CharField()
        text = serializers.CharField()

    class PostsSerializer(serializers.Serializer):
        heading = serializers.CharField()
        rows = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))

    title = serializers.CharField()
    issue_label = serializers.CharField()
    office = serializers.CharField()
    date_text = serializers.CharField()
    period_label = serializers.CharField()
    made_at = serializers.CharField()
    cut = serializers.CharField(help_text="The figures as of this moment")
    summary = serializers.CharField()
    headline = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    rankings = RankingSerializer(many=True)
    honour = serializers.DictField(help_text="n, red (红榜), black (黑榜), talk (约谈): tables")
    trend = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    charts = serializers.DictField()
    overdue = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    campaigns = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    posts = PostsSerializer(many=True, required=False, help_text="Absent from issues published before posts")
    sections = SectionSerializer(many=True)
    footer = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    published = serializers.BooleanField()


class BulletinIssueDetailSerializer(BulletinIssueSerializer):
    document = BulletinDocumentSerializer()


def issue_json(issue: BulletinIssue) -> dict:
    return {
        "id": issue.pk, "kind": issue.kind, "kind_label": issue.get_kind_display(), "status": issue.status,
        "status_label": issue.get_status_display(), "year": issue.year, "number": issue.number,
        "start": issue.start.isoformat(), "end": issue.end.isoformat(), "period_label": issue_period(issue).label,
        "issued_on": issue.issued_on.isoformat() if issue.issued_on else None,
        "url": reverse("assessments_api:bulletin_issue", args=[issue.pk]),
        "page_url": reverse("assessments:issue", args=[issue.pk]),
        "pdf_url": reverse("assessments:issue_pdf", args=[issue.pk]),
    }  # fmt: skip


class BulletinIssueListApi(APIView):
    permission_classes = CITY_ONLY

    @extend_schema(
        responses={200: BulletinIssueSerializer(many=True), **error_responses(403)},
        summary="The bulletin issues (工作简报), newest first: drafts and published ones",
        description="For those who see the whole city.",
    )
    def get(self, request: Request) -> Response:
        issues = BulletinIssue.objects.order_by("-start", "-id").defer("content", "work_news", "problems",
                                                                        "next_steps")  # fmt: skip
        return Response([issue_json(issue) for issue in issues])


class BulletinIssueApi(APIView):
    permission_classes = CITY_ONLY

    @extend_schema(
        responses={200: BulletinIssueDetailSerializer, **error_responses(403, 404)},
        summary="One bulletin issue (工作简报) with its whole content",
        description="`document` is what its printable page and PDF show: a published issue's content as "
        "published (it never changes, in the language it was published in), a draft's built from the figures "
        "now. For those who see the whole city.",
    )
    @with_fresh_facts
    def get(self, request: Request, issue_id: int) -> Response:
        issue = get_object_or_404(BulletinIssue, pk=issue_id)
        return Response({**issue_json(issue), "document": issue_document(issue)})
