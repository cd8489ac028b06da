"""Assessment pages: the dashboard, the cases behind a figure, exports, the bulletin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import tables
from assessments.bulletin import bulletin_data, campaign_rows, headline_rows, ranking_rows, summary_sentence
from assessments.facts import with_fresh_facts
from assessments.models import BulletinJob, ExportJob
from assessments.params import AssessmentNotPermitted, FilterError, parse, scope_for
from assessments.selectors import (
    COUNTS,
    RATES,
    campaign_figures,
    comparison,
    metric_cases,
    overdue_now,
    overdue_now_cases,
)
from assessments.tables import (
    CAMPAIGN_KINDS,
    TABLE_KINDS,
    build_table,
    build_tables,
    campaign_table,
    export_heading,
    ranking_levels,
    slice_text,
    table_file,
    table_size,
)
from assessments.tasks import make_export
from audit.services import audit_record
from campaigns.models import Campaign
from campaigns.services import campaign_tag_by_rule, campaigns_tag_by_rule
from config.broker import publish
from grids.maps import map_config
from grids.models import Grid, Level, Person
from grids.selectors import roads_exist, town_centers_exist


def _forbidden(request, message: str, status: int = 403):
    return render(request, "assessments/problem.html", {"message": message}, status=status)


def _parsed_or_problem(request, query=None):
    """((period, slice, scope, form), None) from the filters, or (None, the problem page to answer)."""
    try:
        return parse(request.GET if query is None else query, user=request.user), None
    except AssessmentNotPermitted as exc:
        return None, _forbidden(request, str(exc))
    except FilterError as exc:
        return None, render(request, "assessments/problem.html", {"message": exc.message, "back": True}, status=400)


def _bulletin_period(period):
    """A bulletin is monthly or quarterly: any other period gives the month it starts in."""
    return period if period.kind in ("month", "quarter") else type(period).containing("month", period.start)


def _query(period, slice, **extra) -> str:
    return urlencode({**period.as_params(), **slice.as_params(), **extra})


CARDS = [
    ("card-reports", "reports", None),
    ("card-filed", "assessed", None),
    ("card-closed", "closed", None),
    ("card-closure-rate", None, "closure_rate"),
    ("card-on-time-rate", None, "on_time_rate"),
]


def _delta(current, previous):
    if current is None or previous is None:
        return None
    return current - previous


@login_required
@with_fresh_facts
def dashboard(request):
    parsed, problem = _parsed_or_problem(request)
    if problem is not None:
        return problem
    period, slice, scope, form = parsed
    now = timezone.now()
    compared = comparison(period=period, slice=slice, now=now, events=False)  # the cards count cases only
    cards = []
    for element_id, count, rate in CARDS:
        if rate:
            value = compared.current.percent(rate)
            ratio = compared.current.ratio(rate)
            parts = (RATES[rate].numerator, RATES[rate].denominator)
            cards.append({
                "id": element_id, "label": RATES[rate].label, "value": value, "percent": True,
                "numerator": ratio.numerator, "denominator": ratio.denominator,
                "numerator_label": COUNTS[parts[0]].label, "denominator_label": COUNTS[parts[1]].label,
                "numerator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=parts[0]),
                "denominator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=parts[1]),
                "mom": _delta(value, compared.previous.percent(rate)),
                "yoy": _delta(value, compared.year_earlier.percent(rate)),
            })  # fmt: skip
        else:
            value = compared.current[count]
            cards.append({
                "id": element_id, "label": COUNTS[count].label, "value": value, "percent": False,
                "url": reverse("assessments:cases") + "?" + _query(period, slice, metric=count),
                "mom": _delta(value, compared.previous[count]), "yoy": _delta(value, compared.year_earlier[count]),
            })  # fmt: skip
    cards.append({
        "id": "card-overdue-now", "label": _("Overdue now"), "value": overdue_now(slice=slice, now=now),
        "percent": False, "url": reverse("assessments:cases") + "?" + _query(period, slice, metric="overdue_now"),
    })  # fmt: skip

    def grid_link(grid):
        return "?" + urlencode({**period.as_params(), **{**slice.as_params(), "grid": grid.pk}})

    kinds = [f"ranking-{level}" for level in ranking_levels(slice)]
    if slice.department is None or scope.departments is not None:
        kinds.append("ranking-department")
    # Every ranking and breakdown from one grouped statement per table of the rollup.
    *tables, by_category, by_source = build_tables(
        [*kinds, "category", "source"], period=period, slice=slice, now=now, link=grid_link
    )
    breakdowns = [by_category, by_source]
    if scope.everything and slice.grid is None and town_centers_exist():
        # The 镇街 ranking (towns ranked on their territory's figures), for those who see the whole city.
        tables.insert(0, build_table("ranking-center", period=period, slice=slice, now=now))
    if scope.everything and slice.grid is None and roads_exist():  # 路长制: leaders rank roads
        tables.insert(1, build_table("ranking-road", period=period, slice=slice, now=now))
    if scope.everything:  # the devices' alerts, for those who see the whole city
        devices = build_table("devices", period=period, slice=slice, now=now)
        if devices.rows:
            breakdowns.append(devices)
    trend_table = build_table("trend", period=period, slice=slice, now=now)
    chart = {
        "months": [row[0] for row in trend_table.rows],
        "filed": [row[2] for row in trend_table.rows],
        "closed": [row[3] for row in trend_table.rows],
        "closure": [float(row[4]) if row[4] is not None else None for row in trend_table.rows],
        "onTime": [float(row[5]) if row[5] is not None else None for row in trend_table.rows],
        "categories": [[row[0], row[1]] for row in breakdowns[0].rows],
        "sources": [[row[0], row[1]] for row in breakdowns[1].rows],
        "labels": {
            "filed": str(COUNTS["assessed"].label), "closed": str(COUNTS["closed"].label),
            "closure": str(RATES["closure_rate"].label), "onTime": str(RATES["on_time_rate"].label),
            "reports": str(COUNTS["reports"].label),
        },
    }  # fmt: skip
    map_parent = slice.grid if slice.grid is not None and slice.grid.level != Level.MICRO else None
    closure_map = map_config(
        ratesUrl=reverse("assessments_api:map"),
        query={**period.as_params(), **{k: v for k, v in slice.as_params().items() if k != "grid"}},
        parent=map_parent.pk if map_parent else None,
        scopeGrid=slice.grid.pk if slice.grid is not None else None,
        strings={
            "closureRate": str(RATES["closure_rate"].label), "noData": _("No filed cases"),
            "drill": _("Double-click a grid to show its lower level."), "up": _("Up one level"),
            "failed": _("Could not load the map. Check the connection and try again."),
        },
    )  # fmt: skip
    exports = {kind: _query(period, slice) for kind in TABLE_KINDS}
    chief_choices = _chief_choices(slice)
    return render(request, "assessments/dashboard.html", {
        "form": form, "period": period, "slice": slice, "scope": scope, "cards": cards, "tables": tables,
        "breakdowns": breakdowns, "trend_table": trend_table, "chart": chart, "map_config": closure_map,
        "query": _query(period, slice), "exports": exports, "compared": compared,
        "cut": compared.current.cut, "is_current": period.is_current(now), "chief_choices": chief_choices,
    })  # fmt: skip


def _chief_choices(slice) -> list[Person]:
    """The chiefs a dashboard on a community or micro grid can be narrowed to: those of its micro
    grids (a whole city has too many for a list; the URL and the API still take any chief)."""
    grid = slice.grid
    people: list[Person] = []
    if grid is not None and grid.level in (Level.COMMUNITY, Level.MICRO):
        micro = Grid.objects.filter(pk=grid.pk) if grid.level == Level.MICRO else Grid.objects.filter(parent=grid)
        people = list(Person.objects.filter(pk__in=micro.values("chief_id")).order_by("name", "pk"))
    if slice.chief is not None and slice.chief not in people:
        people.append(slice.chief)
    return people


@login_required
@with_fresh_facts
def campaign(request, campaign_id: int):
    """A campaign's figures (专项整治) over its own period, within the reader's area: what was
    found, handled and closed, against its targets, by subcategory and by grid."""
    try:
        scope_for(request.user)  # the reader's scope first: who may read figures at all
    except AssessmentNotPermitted as exc:
        return _forbidden(request, str(exc))
    campaign = get_object_or_404(Campaign.objects.prefetch_related("grids", "categories"), pk=campaign_id)
    campaign_tag_by_rule(campaign=campaign)  # its cases in step with its rule before they are counted
    query = request.GET.copy()  # the reader's other filters stay; the campaign sets its own period
    for key, value in (("campaign", str(campaign.pk)), ("period", "custom"), ("start", campaign.starts_on.isoformat()),
                       ("end", campaign.ends_on.isoformat())):  # fmt: skip
        query[key] = value
    parsed, problem = _parsed_or_problem(request, query)
    if problem is not None:
        return problem
    period, slice, scope, _form = parsed
    now = timezone.now()
    c = campaign_figures(campaign=campaign, slice=slice, now=now)
    f = c.figures
    cards = [
        {"id": "campaign-found", "label": _("Problems found"), "value": f["reports"], "metric": "reports"},
        {"id": "campaign-filed", "label": COUNTS["assessed"].label, "value": f["assessed"], "metric": "assessed"},
        {"id": "campaign-handled", "label": COUNTS["handled"].label, "value": f["handled"], "metric": "handled"},
        {"id": "campaign-closed", "label": COUNTS["closed"].label, "value": f["closed"], "metric": "closed"},
        {"id": "campaign-closure-rate", "label": RATES["closure_rate"].label, "value": f.percent("closure_rate"),
         "percent": True},
        {"id": "campaign-overdue", "label": COUNTS["overdue"].label, "value": f["overdue"], "metric": "overdue"},
    ]  # fmt: skip
    for card in cards:
        if card.get("metric"):
            card["url"] = reverse("assessments:cases") + "?" + _query(period, slice, metric=card["metric"])
    tables = [campaign_table(kind, c) for kind in CAMPAIGN_KINDS]
    return render(request, "assessments/campaign.html", {
        "campaign": campaign, "c": c, "cards": cards, "tables": tables, "period": period, "slice": slice,
        "scope": scope, "query": _query(period, slice), "is_current": period.is_current(now), "cut": f.cut,
    })  # fmt: skip


@login_required
@with_fresh_facts
def export(request, kind: str, fmt: str):
    if kind not in TABLE_KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        period, slice, _scope, _form = parse(request.GET, user=request.user)
    except AssessmentNotPermitted as exc:
        return _forbidden(request, str(exc))
    except FilterError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    if slice.campaign is not None:
        campaign_tag_by_rule(campaign=slice.campaign)
    if table_size(kind, slice=slice) > tables.EXPORT_INLINE_ROWS:
        # Too long to make while the browser waits: a worker makes it, the page shows its progress.
        job = ExportJob.objects.create(requested_by=request.user, kind=kind, fmt=fmt,
                                       params={**period.as_params(), **slice.as_params()})  # fmt: skip
        transaction.on_commit(lambda: publish(make_export, (job.pk,)))
        return redirect("assessments:export_job", job_id=job.pk)
    table = build_table(kind, period=period, slice=slice)
    content, name = table_file(table, export_heading(table, period, slice), fmt, period)
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    audit_record(action="assessments.exported", request=request, details={"table": kind, "format": fmt, "query": request.GET.urlencode()[:500]})  # fmt: skip
    return response


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def export_job(request, job_id: int):
    job = get_object_or_404(ExportJob, pk=job_id, requested_by=request.user)
    if request.headers.get("Accept", "").startswith("application/json") or request.GET.get("format") == "json":
        return JsonResponse({
            "status": job.status, "progress": job.progress, "error": job.error,
            "download": reverse("assessments:export_download", args=[job.pk]) if job.status == "done" else None,
        })  # fmt: skip
    labels = {status: str(label) for status, label in ExportJob.Status.choices}
    return render(request, "assessments/export_job.html", {"job": job, "labels": labels})


@login_required
def export_download(request, job_id: int):
    job = get_object_or_404(ExportJob, pk=job_id, requested_by=request.user, status=ExportJob.Status.DONE)
    audit_record(
        action="assessments.exported", request=request, obj=job, details={"table": job.kind, "format": job.fmt}
    )
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename,
                        content_type=EXPORT_TYPES[job.fmt])  # fmt: skip


@login_required
@with_fresh_facts
def cases_behind(request):
    parsed, problem = _parsed_or_problem(request)
    if problem is not None:
        return problem
    period, slice, _scope, _form = parsed
    metric = request.GET.get("metric", "")
    if metric == "overdue_now":
        cases, label = overdue_now_cases(slice=slice), _("Overdue now")
    elif metric in COUNTS:
        cases, label = metric_cases(name=metric, period=period, slice=slice), COUNTS[metric].label
    else:
        return render(request, "assessments/problem.html", {"message": _("Unknown figure."), "back": True},
                      status=400)  # fmt: skip
    page = Paginator(cases.order_by("-reported_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "assessments/cases.html", {
        "page": page, "label": label, "period": period, "slice_text": slice_text(slice),
        "back": reverse("assessments:dashboard") + "?" + _query(period, slice),
        "query": _query(period, slice, metric=metric),
    })  # fmt: skip


# ---- the bulletin (工作简报) ------------------------------------------------------------


@login_required
@with_fresh_facts
def bulletin(request):
    parsed, problem = _parsed_or_problem(request)
    if problem is not None:
        return problem
    period, slice, scope, form = parsed
    period = _bulletin_period(period)
    campaigns_tag_by_rule()  # the campaigns' cases in step with their rules, for the campaign section
    data = bulletin_data(period=period, slice=slice)
    rankings = [
        (_("Best units"), ranking_rows(data.grid_top)),
        (_("Units to improve"), ranking_rows(data.grid_bottom)),
        (_("Departments: best"), ranking_rows(data.department_top)),
        (_("Departments: to improve"), ranking_rows(data.department_bottom)),
    ]
    for f in data.months:
        f.closure, f.on_time = f.percent("closure_rate"), f.percent("on_time_rate")
    return render(request, "assessments/bulletin.html", {
        "b": data, "form": form, "period": period, "query": _query(period, slice),
        "slice_text": slice_text(slice), "headline": headline_rows(data), "rankings": rankings,
        "summary": summary_sentence(data), "pdf_params": {**period.as_params(), **slice.as_params()},
        "campaigns": campaign_rows(data) if data.campaigns else [],
        "b_grid": slice.grid.pk if slice.grid is not None else None,
    })  # fmt: skip


@login_required
@require_POST
def bulletin_pdf_start(request):
    from assessments.tasks import make_bulletin_pdf

    parsed, problem = _parsed_or_problem(request, request.POST)
    if problem is not None:
        return problem
    period, slice, _scope, _form = parsed
    period = _bulletin_period(period)
    job = BulletinJob.objects.create(requested_by=request.user, params={**period.as_params(), **slice.as_params()})

    def enqueue() -> None:
        if not publish(make_bulletin_pdf, (job.pk,)):  # broker unreachable: the page says so, nothing spins
            BulletinJob.objects.filter(pk=job.pk, status=BulletinJob.Status.PENDING).update(
                status=BulletinJob.Status.FAILED,
                error=_("The task queue could not be reached; try again in a minute."),
                finished_at=timezone.now(),
            )

    transaction.on_commit(enqueue)
    return redirect("assessments:bulletin_job", job_id=job.pk)


@login_required
def bulletin_job(request, job_id: int):
    job = get_object_or_404(BulletinJob, pk=job_id, requested_by=request.user)
    if request.headers.get("Accept", "").startswith("application/json") or request.GET.get("format") == "json":
        return JsonResponse({
            "status": job.status, "progress": job.progress, "error": job.error,
            "download": reverse("assessments:bulletin_download", args=[job.pk]) if job.status == "done" else None,
        })  # fmt: skip
    labels = {status: str(label) for status, label in BulletinJob.Status.choices}
    return render(request, "assessments/bulletin_job.html", {"job": job, "labels": labels})


@login_required
def bulletin_download(request, job_id: int):
    job = get_object_or_404(BulletinJob, pk=job_id, requested_by=request.user, status=BulletinJob.Status.DONE)
    audit_record(action="assessments.bulletin_downloaded", request=request, obj=job)
    return FileResponse(job.pdf.open("rb"), as_attachment=True, filename=job.filename, content_type="application/pdf")
