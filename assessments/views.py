"""Assessment pages: the dashboard, the cases behind a figure, exports, the bulletin."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, user_roles
from assessments import tables
from assessments.allocation import allocation, allocation_month, allocation_rows, allocation_xlsx
from assessments.bulletin import bulletin_data, bulletin_sections, change_text
from assessments.facts import with_fresh_facts
from assessments.forms import IssueForm, NarrativeForm
from assessments.issues import document_pdf, issue_document
from assessments.models import BulletinIssue, BulletinJob, CaseFact, ExportJob
from assessments.params import AssessmentNotPermitted, FilterError, parse, scope_for, whole_city_scope
from assessments.selectors import (
    COUNTS,
    POST_KINDS,
    RATES,
    campaign_figures,
    change,
    comparison,
    funnel,
    metric_cases,
    overdue_now,
    overdue_now_cases,
)
from assessments.services import (
    BulletinIssueFrozen,
    bulletin_issue_create,
    bulletin_issue_publish,
    bulletin_issue_update,
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
from cases.models import Case
from cases.supervision import supervision_figures
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


# The funnel's steps as cards: the element ids the pages and journeys find them by.
CARD_IDS = {
    "reports": "card-reports",
    "filed": "card-filed",
    "due": "card-due",
    "closed": "card-closure-rate",
    "closed_on_time": "card-on-time-rate",
}
# Steps whose card leads with their rate (what leaders quote); the others with their count.
RATE_CARDS = ("closed", "closed_on_time")
# 三率 of the citizens' ratings and callbacks (回访), after the funnel: element id, rate.
EVALUATION_CARDS = (
    ("card-response-rate", "response_rate"),
    ("card-solution-rate", "solution_rate"),
    ("card-satisfaction-rate", "satisfaction_rate"),
)


def _funnel_cards(compared, period, slice) -> list[dict]:
    """The funnel (上报 → 立案 → [应结案 →] 结案 → 按期结案) as cards, each with its 环比 and 同比 as a
    difference (percentage points for a rate) and as a relative change."""
    steps = {"current": funnel(compared.current), "previous": funnel(compared.previous),
             "year": funnel(compared.year_earlier)}  # fmt: skip
    earlier = {name: {step.key: step for step in found} for name, found in steps.items() if name != "current"}
    cards = []
    for step in steps["current"]:
        before, year = earlier["previous"][step.key], earlier["year"][step.key]
        card = {
            "id": CARD_IDS[step.key], "label": step.label, "definition": step.definition, "count": step.value,
            "url": reverse("assessments:cases") + "?" + _query(period, slice, metric=step.count),
            "lead_rate": step.key in RATE_CARDS,
        }  # fmt: skip
        if step.rate:
            rate, parts = RATES[step.rate], RATES[step.rate].parts(compared.current.basis)
            card.update({
                "rate_label": rate.label, "rate": step.ratio.percent,
                "numerator": step.ratio.numerator, "denominator": step.ratio.denominator,
                "numerator_label": COUNTS[parts[0]].label, "denominator_label": COUNTS[parts[1]].label,
                "numerator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=parts[0]),
                "denominator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=parts[1]),
                # what the two numbers are, in the page's own brackets (full-width in Chinese)
                "parts_label": _("(%(numerator)s / %(denominator)s)") % {
                    "numerator": COUNTS[parts[0]].label, "denominator": COUNTS[parts[1]].label},
            })  # fmt: skip
        if card["lead_rate"]:
            card["mom"] = change(step.ratio.percent, before.ratio.percent)
            card["yoy"] = change(step.ratio.percent, year.ratio.percent)
        else:
            card["mom"], card["yoy"] = change(step.value, before.value), change(step.value, year.value)
        card["compare"] = [
            (_("vs previous"), card["mom"], change_text(card["mom"], percent=card["lead_rate"])),
            (_("vs a year earlier"), card["yoy"], change_text(card["yoy"], percent=card["lead_rate"])),
        ]
        cards.append(card)
    for element_id, name in EVALUATION_CARDS:
        cards.append(_rate_card(compared, period, slice, element_id, name))
    return cards


def _rate_card(compared, period, slice, element_id: str, name: str) -> dict:
    """A card led by one rate of RATES (the 三率), in the funnel cards' shape, with 环比 and 同比."""
    rate, ratio = RATES[name], compared.current.ratio(name)
    numerator, denominator = rate.parts(compared.current.basis)
    now_ = ratio.percent
    card = {
        "id": element_id, "label": rate.label, "rate_label": rate.label, "rate": now_, "lead_rate": True,
        "definition": "", "count": ratio.numerator,
        "numerator": ratio.numerator, "denominator": ratio.denominator,
        "numerator_label": COUNTS[numerator].label, "denominator_label": COUNTS[denominator].label,
        "numerator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=numerator),
        "denominator_url": reverse("assessments:cases") + "?" + _query(period, slice, metric=denominator),
        "parts_label": _("(%(numerator)s / %(denominator)s)") % {
            "numerator": COUNTS[numerator].label, "denominator": COUNTS[denominator].label},
        "mom": change(now_, compared.previous.percent(name)),
        "yoy": change(now_, compared.year_earlier.percent(name)),
    }  # fmt: skip
    card["compare"] = [
        (_("vs previous"), card["mom"], change_text(card["mom"], percent=True)),
        (_("vs a year earlier"), card["yoy"], change_text(card["yoy"], percent=True)),
    ]
    return card


# Where the trend table (tables.build_table("trend")) has the chart's figures.
TREND = {"filed": 2, "closed": 5, "closure": 6, "on_time": 9}


def _float(value):
    return None if value is None else float(value)


def _supervision_card(period, slice) -> dict:
    """The supervision orders (督办) issued in the period and how many were answered by their deadline
    (cases.supervision.supervision_figures, on the slice's cases)."""
    q = slice.q()
    cases = Case.objects.filter(pk__in=CaseFact.objects.filter(q).values("case_id")) if q else None
    figures = supervision_figures(start=period.start, end=period.end, cases=cases)
    rate = figures.in_time_rate
    return {
        "id": "card-supervision", "label": _("Supervision orders"), "count": figures.issued,
        "definition": _("%(in_time)s answered in time (%(rate)s), %(answered)s answered, %(reminders)s reminders") % {
            "in_time": figures.answered_in_time, "answered": figures.answered, "reminders": figures.reminders,
            "rate": "—" if rate is None else f"{rate * 100:.1f}%",
        },
    }  # fmt: skip


@login_required
@with_fresh_facts
def dashboard(request):
    parsed, problem = _parsed_or_problem(request)
    if problem is not None:
        return problem
    period, slice, scope, form = parsed
    now = timezone.now()
    compared = comparison(period=period, slice=slice, now=now, events=False)  # the cards count cases only
    cards = _funnel_cards(compared, period, slice)
    cards.append({
        "id": "card-overdue-now", "label": _("Overdue now"), "count": overdue_now(slice=slice, now=now),
        "definition": _("Open cases past their handling deadline now, whenever filed."), "url": reverse("assessments:cases") + "?" + _query(period, slice, metric="overdue_now"),
    })  # fmt: skip
    cards.append(_supervision_card(period, slice))

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
        "filed": [row[TREND["filed"]] for row in trend_table.rows],
        "closed": [row[TREND["closed"]] for row in trend_table.rows],
        "closure": [_float(row[TREND["closure"]]) for row in trend_table.rows],
        "onTime": [_float(row[TREND["on_time"]]) for row in trend_table.rows],
        "categories": [[row[0], row[1]] for row in breakdowns[0].rows],
        "sources": [[row[0], row[1]] for row in breakdowns[1].rows],
        "labels": {
            "filed": _("Cases filed"), "closed": _("Cases closed"),
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
            "rateLine": _("Closure rate: {rate}% ({closed}/{counted})"), "colon": _(": "),
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
        "slice_basis": compared.current.basis,
    })  # fmt: skip


POST_LABELS = {"inspector": gettext_lazy("Inspectors"), "intake": gettext_lazy("Intake clerks and shift leaders"),
               "dispatch": gettext_lazy("Dispatchers and shift leaders"), "department": gettext_lazy("Departments")}  # fmt: skip


@login_required
@with_fresh_facts
def posts(request, kind: str):
    """The evaluation of posts (岗位考评): one post type's people (or the departments) ranked by
    the post's rates, each with its numerator and denominator in the export."""
    if kind == "centre":  # one post until 受理员 and 派遣员 were split: its links lead to the first
        return redirect(
            reverse("assessments:posts", args=["intake"]) + (f"?{request.GET.urlencode()}" if request.GET else "")
        )
    if kind not in POST_KINDS:
        raise Http404
    parsed, problem = _parsed_or_problem(request)  # the reader's scope first
    if problem is not None:
        return problem
    period, slice, scope, form = parsed
    table = build_table(f"posts-{kind}", period=period, slice=slice, everyone=scope.everything)
    tabs = [{"kind": k, "label": POST_LABELS[k], "url": reverse("assessments:posts", args=[k]) + "?" + _query(period, slice)}
            for k in POST_KINDS]  # fmt: skip
    return render(request, "assessments/posts.html", {
        "table": table, "tabs": tabs, "kind": kind, "period": period, "slice": slice, "scope": scope, "form": form,
        "query": _query(period, slice), "slice_text": slice_text(slice),
        "definitions": POST_DEFINITIONS[kind],
    })  # fmt: skip


POST_DEFINITIONS = {
    "inspector": [
        gettext_lazy("Valid report rate: of the reports an inspector made in the period, those filed."),
        gettext_lazy(
            "On-time verification rate: of the verifications answered, those answered within the "
            "verification limit (30 working minutes)."
        ),
        gettext_lazy(
            "On-time check rate: of the on-site checks done, those done within the check limit (2 working hours)."
        ),
    ],
    "intake": [
        gettext_lazy(
            "On-time acceptance rate: of the reports answered first (filed, sent to verify, refused, "
            "merged), those answered within the filing-and-dispatch limit (30 working minutes, urgent 10)."
        ),
        gettext_lazy(
            "On-time filing rate: of the filings, those within that limit of the report, time verifying left out."
        ),
    ],
    "dispatch": [
        gettext_lazy(
            "On-time dispatch rate: of the first dispatches, those within that limit of the report, "
            "time verifying left out."
        ),
        gettext_lazy(
            "Dispatch accuracy: of the dispatches, those not sent back by the department before the next dispatch."
        ),
    ],
    "department": [
        gettext_lazy(
            "On-time handling rate: of the cases filed in the period and handled, suspended ones left "
            "out, those handled within the deadline (after extensions) in every round."
        ),
        gettext_lazy("Rework rate: of the cases handled, those sent back to rework at least once."),
        gettext_lazy("Send-backs: the times the department sent a case back as not its own, by date."),
    ],
}


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
                                       params=_job_params(period, slice))  # fmt: skip
        _enqueue_or_fail(make_export, job)
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
    return render(request, "assessments/bulletin.html", {
        "b": data, "form": form, "period": period, "query": _query(period, slice), "sections": bulletin_sections(data),
        "pdf_params": {**period.as_params(), **slice.as_params()},
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
    job = BulletinJob.objects.create(requested_by=request.user, params=_job_params(period, slice))
    _enqueue_or_fail(make_bulletin_pdf, job)
    return redirect("assessments:bulletin_job", job_id=job.pk)


def _job_params(period, slice) -> dict:
    """What a background job needs to make the same file: the period, the scope and the page's
    language (a worker has none of its own: the file comes in the language of the one who asked)."""
    return {**period.as_params(), **slice.as_params(), "language": translation.get_language()}


def _enqueue_or_fail(task, job) -> None:
    """Hand the job to a worker once the transaction commits; with the broker unreachable the job
    fails at once with a message, so its page says so instead of spinning."""

    def enqueue() -> None:
        if not publish(task, (job.pk,)):
            type(job).objects.filter(pk=job.pk, status=job.Status.PENDING).update(
                status=job.Status.FAILED,
                error=_("The task queue could not be reached; try again in a minute."),
                finished_at=timezone.now(),
            )

    transaction.on_commit(enqueue)


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


# ---- bulletin issues (工作简报 as an official document) --------------------------------------------

ISSUE_EDITORS = {Role.SHIFT_LEADER}


def _issue_reader(request):
    """The issues and the fund are the city's: for those who see every figure
    (params.whole_city_scope, as the API asks). None, or the refusal."""
    try:
        whole_city_scope(request.user)
    except AssessmentNotPermitted as exc:
        return _forbidden(request, str(exc))
    return None


def whole_city_only(view):
    """For the city's own documents: the reader refused before anything is read or refreshed (put
    it between @login_required and @with_fresh_facts)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        refused = _issue_reader(request)
        return refused if refused is not None else view(request, *args, **kwargs)

    return wrapper


def _may_edit_issues(user) -> bool:
    return bool(getattr(user, "is_staff", False) or set(user_roles(user)) & ISSUE_EDITORS)


@login_required
@whole_city_only
@with_fresh_facts
def bulletin_issues(request):
    """The issues, newest first, and a new draft for a month or a quarter."""
    editor = _may_edit_issues(request.user)
    form = IssueForm(request.POST or None)
    if request.method == "POST":
        if not editor:
            return _forbidden(request, _("Only the command centre's shift leaders edit the bulletin."))
        if form.is_valid():
            issue = bulletin_issue_create(kind=form.cleaned_data["kind"], day=form.cleaned_data["day"],
                                          actor=request.user)  # fmt: skip
            return redirect("assessments:issue", issue_id=issue.pk)
    issues = BulletinIssue.objects.order_by("-start", "-id")[:100]
    return render(request, "assessments/issues.html", {"issues": issues, "form": form, "editor": editor},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@whole_city_only
@with_fresh_facts
def bulletin_issue(request, issue_id: int):
    """One issue as its printable page: the stored content once published, else the figures now."""
    issue = get_object_or_404(BulletinIssue, pk=issue_id)
    editor = _may_edit_issues(request.user)
    form = NarrativeForm(request.POST or None, instance=issue) if editor else None
    status = 200
    if request.method == "POST":
        if not editor:
            return _forbidden(request, _("Only the command centre's shift leaders edit the bulletin."))
        try:
            if request.POST.get("publish"):
                bulletin_issue_publish(issue_id=issue.pk, actor=request.user)
                audit_record(action="assessments.bulletin_published", request=request, obj=issue)
                return redirect("assessments:issue", issue_id=issue.pk)
            if form.is_valid():
                d = form.cleaned_data
                bulletin_issue_update(issue_id=issue.pk, work_news=d["work_news"], problems=d["problems"],
                                      next_steps=d["next_steps"])  # fmt: skip
                return redirect("assessments:issue", issue_id=issue.pk)
            status = 400
        except BulletinIssueFrozen as exc:
            return _forbidden(request, exc.message, status=409)
    doc = issue_document(issue)
    return render(request, "assessments/issue.html", {
        "issue": issue, "doc": doc, "form": form if issue.status == BulletinIssue.Status.DRAFT else None,
        "editor": editor, "charts": doc["charts"],
    }, status=status)  # fmt: skip


@login_required
@whole_city_only
@with_fresh_facts
def bulletin_issue_pdf(request, issue_id: int):
    """The issue's PDF, drawn from the same content as its page (published: the stored one). Audited."""
    issue = get_object_or_404(BulletinIssue, pk=issue_id)
    content = document_pdf(issue_document(issue))
    audit_record(action="assessments.bulletin_downloaded", request=request, obj=issue)
    name = f"bulletin-{issue.kind}-{issue.start:%Y%m%d}" + (f"-{issue.year}-{issue.number}" if issue.number else "")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# ---- allocation (考核结果与经费挂钩) ------------------------------------------------------------


@login_required
@whole_city_only
@with_fresh_facts
def allocation_page(request, fmt: str | None = None):
    """Each unit's monthly score turned into its share of the fund (the formula in the assessment
    settings); `fmt` "xlsx": the same table as Excel, audited."""
    parsed, problem = _parsed_or_problem(request)
    if problem is not None:
        return problem
    period, _slice, _scope, form = parsed
    period = allocation_month(period)
    a = allocation(period=period)
    columns, rows, totals = allocation_rows(a)
    if fmt == "xlsx":
        heading = [_("Allocation of the fund"), _("Period: %(period)s") % {"period": period.label},
                   _("Fund: %(fund)s yuan; base share %(base)s%%") % {"fund": a.fund, "base": a.base_percent}]  # fmt: skip
        response = HttpResponse(allocation_xlsx(a, heading), content_type=EXPORT_TYPES["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="allocation-{period.start:%Y%m}.xlsx"'
        audit_record(action="assessments.exported", request=request,
                     details={"table": "allocation", "format": "xlsx", "period": period.label})  # fmt: skip
        return response
    return render(request, "assessments/allocation.html", {
        "a": a, "columns": columns, "rows": rows, "totals": totals, "period": period, "form": form,
        "query": urlencode(period.as_params()),
    })  # fmt: skip
