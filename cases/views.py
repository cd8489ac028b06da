"""The case pages: intake, the queue, a case with its actions, and the work lists of
grid chiefs (approvals), departments (work) and inspectors (tasks).

Reads go through cases.selectors and cases.scope (who sees what); a case's page renders
cases.viewmodel's view of it, the same the API serializes; every change goes through
cases.services. A page offers only the actions its user may take now (the view-model's), each
as a small form derived from its row of the transition table that names the status it showed,
so a stale click changes nothing.
"""

from __future__ import annotations

import datetime
import math
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case as DbCase
from django.db.models import F, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, user_roles
from cases.api.command import wall_data
from cases.clocks import LIGHT_LABELS, row_light
from cases.forms import ActionForm, BatchForm, CaseFilterForm, IntakeForm, active_categories, category_choices
from cases.inbox import INBOX_ROLES, inbox_sections
from cases.inspectors import inspector_choices
from cases.models import STATUS_INFO, TERMINAL, Case, CasePhoto, Department, PhotoKind, PhotoStatus, Status
from cases.notifications import case_notifications, failed_notifications, notification_resend
from cases.scope import REPORTERS, cases_awaiting_approval, cases_visible_to
from cases.selectors import (
    OPEN_STATUSES,
    SORT_CHOICES,
    InvalidCursor,
    Tally,
    case_department,
    case_duplicates_near,
    case_get,
    case_list,
    case_page_sorted,
    case_tallies,
    cases_at_work,
    catalogue_all,
    departments_active,
    list_rows,
    urgent_dispatches_told_to,
    work_calendar,
)
from cases.services import (
    CaseActionError,
    CaseNotFound,
    InvalidInput,
    batch_actions,
    case_batch,
    case_report_from,
    case_transition,
)
from cases.supervision import ISSUES, answerer_choices, order_refusal
from cases.transitions import TRANSITIONS, Transition, transitions_from
from cases.viewmodel import case_view
from config.limits import body_limit
from grids.maps import map_config as _map_config
from grids.selectors import places_of_chief, roads_of_chief

PAGE_SIZE = 25
URGENT_TOLD_DAYS = 7  # how far back a chief's approvals page lists the urgent dispatches they were told of
# ---- access ----------------------------------------------------------------


def _forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    context = {"message": message or _("Your role may not open this page.")}
    return render(request, "cases/forbidden.html", context, status=403)


def roles_required(*roles: Role):
    """Logged in (else the login page) and holding one of `roles` (any role if none given), else 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            held = set(user_roles(request.user))
            if not held:
                return _forbidden(request, _("Your account has no role in this system; ask an administrator for one."))
            if roles and not held & set(roles):
                return _forbidden(request)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


# ---- shared pieces -----------------------------------------------------------


def _for_rows(cases: list[Case]) -> list[Case]:
    """Each case with its labels, status colour and deadline light (the calendar is the process's)."""
    calendar = work_calendar() if any(case.handling_deadline for case in cases) else None
    now = timezone.now()
    for case in list_rows(cases):
        case.tone = STATUS_INFO[case.status].tone
        case.light = row_light(case, calendar, now) if calendar else None
        # 重办: back in the dispatch queue after closure (a failed check goes back to dispatched)
        case.reopened = case.status == Status.FILED and case.rework_count > 0
    return cases


THUMB_W, THUMB_H, THUMB_PAD = 160, 120, 10


def _thumbnail(case: Case) -> dict:
    """An SVG sketch of the case's micro grid with the point in it: no tiles, no script."""
    x, y = case.location.x, case.location.y
    boundary = getattr(case.micro_grid, "boundary", None) if case.micro_grid_id else None
    if boundary is not None:
        xmin, ymin, xmax, ymax = boundary.extent
    else:
        xmin, ymin, xmax, ymax = x - 0.002, y - 0.0015, x + 0.002, y + 0.0015
    kx = math.cos(math.radians(y))  # a degree of longitude is shorter than one of latitude
    scale = min(
        (THUMB_W - 2 * THUMB_PAD) / max((xmax - xmin) * kx, 1e-9),
        (THUMB_H - 2 * THUMB_PAD) / max(ymax - ymin, 1e-9),
    )
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2

    def px(lon: float, lat: float) -> str:
        return f"{THUMB_W / 2 + (lon - cx) * kx * scale:.1f} {THUMB_H / 2 - (lat - cy) * scale:.1f}"

    path = ""
    if boundary is not None:
        simple = boundary.simplify((xmax - xmin) / 200, preserve_topology=True) or boundary
        polygons = simple if simple.geom_type == "MultiPolygon" else [simple]
        for polygon in polygons:
            for ring in polygon:
                path += "M" + " L".join(px(*coord[:2]) for coord in ring.coords) + " Z "
    point_x, point_y = px(x, y).split()
    return {"path": path.strip(), "x": point_x, "y": point_y, "width": THUMB_W, "height": THUMB_H}


def _action_forms(case: Case, transitions: list[Transition], *, next_url: str, **choices) -> list[ActionForm]:
    """`choices`: what the page built once for the selects of its forms (categories, departments,
    people, inspectors)."""
    return [_action_form(case, transition, next_url=next_url, **choices) for transition in transitions]


def _action_form(
    case: Case, transition: Transition, *, next_url: str, into: Case | None = None, **choices
) -> ActionForm:
    """The small form of one action on `case`; with `into`, the merge into that case (a single button)."""
    initial = {"expected_status": case.status, "next": next_url}
    if transition.action == "file" and case.category_id:
        initial["category"] = case.category_id
    if into is not None:
        initial["into"] = into.tracking_number
    suffix = f"_{into.pk}" if into is not None else ""
    form = ActionForm(transition, initial=initial, auto_id=f"id_{case.pk}_{transition.action}{suffix}_%s", **choices)
    if into is not None:
        form.fields["into"].widget = forms.HiddenInput()
    form.url = reverse("cases:act", args=[case.pk, transition.action])
    form.tone = "danger" if transition.negative and into is None else "primary"
    return form


def _allowed(user, status: str, *, offered: set[str]) -> list[Transition]:
    """The transitions of `offered` that `user`'s roles allow from `status` (a work list's buttons;
    the case page offers what cases.viewmodel says)."""
    roles = set(user_roles(user))
    return [t for t in transitions_from(status) if t.roles & roles and t.action in offered]


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# ---- intake ------------------------------------------------------------------


@body_limit("CASE_UPLOAD_MAX_BYTES")
@roles_required(*REPORTERS)
def case_new(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    # ?asset=<id>: a report about that component (部件), from its page.
    initial = {"asset": request.GET["asset"]} if request.GET.get("asset", "").isdigit() else {}
    form = IntakeForm(request.POST or None, request.FILES or None, roles=roles, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_report_from(data=form.cleaned_data, actor=request.user)
        except InvalidInput as exc:
            # A refusal names its field (a request id used before); else it is about the location.
            for name in exc.fields or {"lon": [exc.message]}:
                form.add_error(name if name in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Case %(number)s has been taken in (micro grid %(grid)s).")
                % {"number": case.tracking_number, "grid": case.micro_grid.name if case.micro_grid else "—"},
            )
            return redirect("cases:detail", case_id=case.pk)
    strings = {
        "locating": _("Looking up the grid…"),
        "locateFailed": _("Could not look up the grid. Check the connection and try again."),
        "outside": _("This point is outside the city's grids."),
        "micro": _("Micro grid"),
        "community": _("Community grid"),
        "large": _("Large grid"),
        "responsible": _("Responsible"),
        "noResponsible": _("Nobody is assigned here."),
        "duplicatesTitle": _("Possible duplicates nearby"),
        "duplicatesHint": _(
            "Open cases of the same subcategory within 50 m in the last 7 days. If it is the same problem, "
            "take the report in anyway and merge it into that case on the next page: both reports' photos "
            "and history are kept."
        ),
        "metres": _("%(m)s m away"),
        "gpsWaiting": _("Waiting for the phone's position…"),
        "gpsFailed": _("The position is not available: allow it in the browser, or tap the map."),
        # the address search (gazetteer) and the address of a clicked point
        "searching": _("Searching…"),
        "noAddress": _("No address or place found. Try its pinyin or the pinyin's initials."),
        "searchFailed": _("Could not search the addresses. Check the connection and try again."),
        "pick": _("Put the point here"),
        "addressFilled": _("Address filled from the gazetteer: %(address)s"),
    }
    context = {
        "form": form,
        "map_config": _map_config(
            duplicatesUrl=reverse("cases_api:duplicates"),
            gazetteerSearchUrl=reverse("gazetteer_api:search"),
            gazetteerReverseUrl=reverse("gazetteer_api:reverse"),
            assetsUrl=reverse("assets_api:features"),
            assetUrl=reverse("assets_api:detail", args=[0]).replace("/0/", "/{id}/"),
            assetStrings={
                "asset": _("Asset"),
                "maintainer": _("Maintained by"),
                "noMaintainer": _("No maintaining unit recorded"),
                "routed": _("The case goes to the asset's maintaining unit, for the asset's own subcategory."),
                "routedByRules": _("The case goes where the routing rules send its subcategory."),
                "forget": _("Not about this asset"),
                "zoomIn": _("Zoom in to see the assets (components) on the map; click one to report on it."),
                "truncated": _("Not every asset is shown: zoom in further."),
                "failed": _("Could not load the assets."),
            },
        ),
        "map_strings": strings,
        # Both coordinates missing give the same message twice: once is enough.
        "location_errors": list(dict.fromkeys([*form.errors.get("lon", []), *form.errors.get("lat", [])])),
    }
    return render(request, "cases/new.html", context)


# ---- the queue -----------------------------------------------------------------


@roles_required()
def case_queue(request: HttpRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET)
    cases = case_list(user=request.user, **form.filters())
    # The tabs' counts: one statement, each read from its status's index and counted up to a cap.
    tallies = case_tallies(cases=cases, by={value: Q(status=value) for value in Status.values})
    status = form.chosen_status
    if status:
        cases = cases.filter(status=status)
    rows = cases.select_related("community_grid").defer("community_grid__boundary")
    sort = request.GET.get("sort") if request.GET.get("sort") in SORT_CHOICES else "newest"
    try:
        page = case_page_sorted(cases=rows, sort=sort, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:  # a link from an older version of the page, or of another order: the top
        page = case_page_sorted(cases=rows, sort=sort, size=PAGE_SIZE)
    total = sum(tallies.values(), Tally(0))
    tabs = [{"value": "", "label": _("All"), "count": total}] + [
        {"value": value, "label": label, "count": tallies[value]} for value, label in Status.choices
    ]
    filtered = any(value not in (None, "") for name, value in form.cleaned_data.items() if name != "status")
    context = {
        "form": form,
        "rows": _for_rows(page.rows),
        "page": page,
        "total": tallies[status] if status else total,
        "tabs": tabs,
        "status": status,
        "filtered": filtered,
        "can_report": bool(set(user_roles(request.user)) & REPORTERS),
        "sort": sort,
        "sorts": _sort_links(sort),
        "batch": _batch_form(request.user),
        "queue_config": {
            "arrivalsUrl": reverse("cases_api:arrivals"),
            "params": form.api_params(),
            "since": timezone.now().isoformat(),
            "refreshSeconds": QUEUE_REFRESH_SECONDS,
        },
    }
    return render(request, "cases/queue.html", context)


QUEUE_REFRESH_SECONDS = 30  # how often the queue asks how many new reports there are


def _sort_links(current: str) -> dict[str, dict]:
    """The sortable columns: (sort value, label); a column's link sorts by it, again: newest first."""
    labels = {"age": _("Age"), "deadline": _("Deadline"), "light": _("Light")}
    return {key: {"label": label, "active": key == current, "next": "newest" if key == current else key}
            for key, label in labels.items()}  # fmt: skip


def _batch_form(user, data=None) -> BatchForm | None:
    """The batch actions `user`'s roles allow, as one form (None: none)."""
    roles = set(user_roles(user))
    transitions = [t for t in batch_actions() if t.roles & roles]
    if not transitions:
        return None
    departments = None
    if any(spec.kind == "department" for t in transitions for spec in t.inputs):
        departments = [
            ("", _("As the routing rules say")),
            *((d.pk, d.name) for d in departments_active()),  # the process's catalogue: no query
        ]
    categories = None
    if any(spec.kind == "category" for t in transitions for spec in t.inputs):
        active = [c for c in catalogue_all().values() if c.active]  # the process's catalogue: no query
        active.sort(key=lambda c: (c.major.kind, c.major.code, c.code))
        categories = category_choices(active, blank=_("— choose a category —"))
    return BatchForm(data, transitions=transitions, departments=departments, categories=categories)


@require_POST
@roles_required()
def case_batch_apply(request: HttpRequest) -> HttpResponse:
    """The queue's batch action: each selected case through cases.services, one by one; the page
    lists what happened to each."""
    form = _batch_form(request.user, request.POST)
    if form is None:
        return _forbidden(request)
    ids, expected = form.selected()
    back = _safe_next(request) or reverse("cases:queue")
    if not form.is_valid():
        messages.error(request, _("Choose an action for the selected cases."))
        return redirect(back)
    transition = form.transitions[form.cleaned_data["action"]]
    try:
        results = case_batch(
            case_ids=ids,
            action=transition.action,
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_statuses=expected,
            request_id=str(form.cleaned_data["request_id"]),
            **form.params(),
        )
    except CaseActionError as exc:  # the batch as a whole: nothing selected, a note missing, a role
        messages.error(request, exc.message)
        return redirect(back)
    labels = dict(Status.choices)
    rows = [{"result": r, "status_label": labels.get(r.status, "") if r.status else ""} for r in results]
    context = {
        "transition": transition,
        "rows": rows,
        "done": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results),
        "back": back,
    }
    return render(request, "cases/batch_result.html", context)


# ---- the supervision map and the wall ------------------------------------------------


def _light_legend() -> list[dict]:
    return [
        {"value": "green", "label": LIGHT_LABELS["green"]},
        {"value": "yellow", "label": LIGHT_LABELS["yellow"]},
        {"value": "red", "label": LIGHT_LABELS["red"]},
        {"value": "paused", "label": LIGHT_LABELS["paused"]},
        {"value": "none", "label": _("No handling deadline yet")},
    ]


def _map_strings() -> dict:
    return {
        "loading": _("Loading the cases…"),
        "failed": _("Could not load the cases. Check the connection; the map tries again when moved."),
        "shown": _("%(n)s open cases in view"),
        "truncated": _("Showing the newest %(shown)s of %(total)s open cases in view: zoom in to see them all."),
        "none": _("No open case in view."),
        "overdue": _("Overdue"),
        "supervised": _("Supervised"),
        "urgent": _("Urgent"),
        "open": _("Open the case"),
        "more": _("and %(n)s more: zoom in"),
    }


@roles_required()
def case_map_page(request: HttpRequest) -> HttpResponse:
    """The supervision map: the open cases the queue lists for the same filters, clustered,
    coloured by their light, with the cases in view listed beside it."""
    form = CaseFilterForm(request.GET)
    labels = dict(Status.choices)
    form.fields["status"].choices = [("", _("All open")), *((s, labels[s]) for s in OPEN_STATUSES)]
    form.fields["status"].widget = forms.Select(choices=form.fields["status"].choices)
    form.fields["status"].label = _("Status")
    filtered = any(value not in (None, "") for value in form.cleaned_data.values()) if form.is_valid() else True
    context = {
        "form": form,
        "filtered": filtered,
        "legend": _light_legend(),
        "map_config": _map_config(feedUrl=reverse("cases_api:map"), feedParams=form.api_params()),
        "map_strings": _map_strings(),
    }
    return render(request, "cases/map.html", context)


WALL_REFRESH_SECONDS = 10


@roles_required()
def case_wall(request: HttpRequest) -> HttpResponse:
    """The command center's wall (指挥大屏): figures, lists and the map, refreshed in place."""
    strings = {
        **_map_strings(),
        "updated": _("Updated %(time)s"),
        "offline": _("Connection lost: showing the figures of %(time)s. Retrying…"),
        "noOverdue": _("No overdue case."),
        "noReports": _("No report yet."),
        "fullScreen": _("Full screen"),
        "exitFullScreen": _("Exit full screen"),
    }
    context = {
        "legend": _light_legend(),
        "wall": wall_data(user=request.user),
        "map_config": _map_config(
            feedUrl=reverse("cases_api:map"),
            feedParams={},
            wallUrl=reverse("cases_api:wall"),
            refreshSeconds=WALL_REFRESH_SECONDS,
        ),
        "map_strings": strings,
    }
    return render(request, "cases/wall.html", context)


# ---- one case --------------------------------------------------------------------


@roles_required()
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_get(case_id=case_id, user=request.user)
    if case is None:
        raise Http404(_("No such case, or not one you may see."))
    view = case_view(case=case, user=request.user, where="page")
    next_url = request.get_full_path()
    offered = {t.action for t in view.actions}
    categories = category_choices(active_categories(), blank=_("— choose a category —")) if "file" in offered else None
    departments = _department_choices(case) if "dispatch" in offered else None
    people = answerer_choices(case=case) if "supervise" in offered else None
    inspectors = inspector_choices(case=case) if offered & {"verify", "send_to_check"} else None
    merge_forms = []
    if "merge" in offered:
        candidates = case_duplicates_near(point=case.location, category_id=case.category_id, exclude_id=case.pk)
        for candidate in candidates:
            form = _action_form(case, TRANSITIONS["merge"], next_url=next_url, into=candidate)
            merge_forms.append({"case": candidate, "tone": STATUS_INFO[candidate.status].tone, "form": form})
    context = {
        "case": case,
        "view": view,
        "actions": _action_forms(
            case,
            view.actions,
            next_url=next_url,
            categories=categories,
            departments=departments,
            people=people,
            inspectors=inspectors,
        ),
        "notifications": list(case_notifications(case=case)),
        "merge_candidates": merge_forms,
        "map_config": _map_config(
            point=[case.location.x, case.location.y],
            micro=case.micro_grid_id,
            community=case.community_grid_id,
        ),
        "map_strings": {"point": _("Location of case %(number)s") % {"number": case.tracking_number}},
    }
    return render(request, "cases/detail.html", context)


def _department_choices(case: Case) -> list:
    """The active departments, the empty choice naming the one the routing rules pick."""
    routed = case_department(case=case)
    blank = (
        _("As the routing rules say: %(department)s") % {"department": routed.name}
        if routed
        else _("No routing rule: choose a department")
    )
    return [("", blank), *((d.pk, d.name) for d in Department.objects.filter(active=True))]


@body_limit("CASE_UPLOAD_MAX_BYTES")
@require_POST
@roles_required()
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Http404(_("There is no action “%(action)s”.") % {"action": action})
    detail_url = reverse("cases:detail", args=[case_id])
    back = _safe_next(request) or detail_url
    form = ActionForm(transition, request.POST, request.FILES)
    if not form.is_valid():
        if not cases_visible_to(user=request.user).filter(pk=case_id).exists():
            raise Http404(_("No such case, or not one you may see."))
        for name, errors in form.errors.items():
            if name in ("expected_status", "request_id", "next"):
                messages.error(request, _("The form was incomplete. Reload the page and try again."))
                break
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        case = case_transition(case_id=case_id, action=action, actor=request.user, **form.params())
    except CaseNotFound as exc:
        raise Http404(exc.message) from None
    except CaseActionError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _("%(action)s: done. Case %(number)s is now “%(status)s”.")
        % {"action": transition.label, "number": case.tracking_number, "status": case.get_status_display()},
    )
    if back == detail_url and not cases_visible_to(user=request.user).filter(pk=case_id).exists():
        back = reverse("cases:queue")  # e.g. a department that sent the case back no longer sees it
    return redirect(back)


# ---- work lists ------------------------------------------------------------------


def _work_page(
    request: HttpRequest, cases, *, template: str, offered: set[str], categories=None, extra=None, photos=False
) -> HttpResponse:
    """A work list: cards with a sketch of the place and the page's own few actions (the case
    page has the rest); with `photos`, each card's photos before and after, side by side."""
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _for_rows(list(page.object_list))
    if photos:
        _with_photos(rows)
    next_url = request.get_full_path()
    for case in rows:
        case.thumb = _thumbnail(case)
        transitions = _allowed(request.user, case.status, offered=offered)
        case.action_forms = _action_forms(case, transitions, next_url=next_url, categories=categories)
    page.object_list = rows
    return render(request, template, {"page": page, **(extra or {})})


def _read_only(request: HttpRequest, own_role: Role) -> bool:
    """The shift leader opens the work lists of the chiefs, departments and inspectors to see what
    waits there, city-wide, without their actions (they act on the case page, or in the inbox)."""
    return own_role not in user_roles(request.user)


def _with_photos(rows: list[Case]) -> None:
    """Each case's ready photos by kind (before: the report's; after: the department's result;
    check: on site), in one query for the page."""
    kinds = {PhotoKind.BEFORE: "before_photos", PhotoKind.AFTER: "after_photos", PhotoKind.CHECK: "check_photos"}
    by_case = {case.pk: case for case in rows}
    for case in rows:
        for name in kinds.values():
            setattr(case, name, [])
    ready = CasePhoto.objects.filter(case_id__in=by_case, status=PhotoStatus.READY).order_by("created_at", "id")
    for photo in ready.only("id", "case_id", "kind", "display", "thumbnail"):
        getattr(by_case[photo.case_id], kinds[photo.kind]).append(photo)


@roles_required(Role.GRID_CHIEF, Role.SHIFT_LEADER)
def case_approvals(request: HttpRequest) -> HttpResponse:
    if _read_only(request, Role.GRID_CHIEF):
        cases = (
            cases_visible_to(user=request.user)
            .filter(status=Status.PENDING_APPROVAL)
            .select_related("category__major", "department", "micro_grid", "community_grid", "approver")
            .defer("community_grid__boundary")
            .order_by("updated_at", "id")
        )
        return _work_page(request, cases, template="cases/approvals.html", offered=set(), extra={"read_only": True})
    cases = cases_awaiting_approval(user=request.user)
    since = timezone.now() - datetime.timedelta(days=URGENT_TOLD_DAYS)
    told = list(urgent_dispatches_told_to(user=request.user, since=since)[:20])
    return _work_page(
        request, cases, template="cases/approvals.html", offered={"approve", "refuse"},
        extra={"told": told, "told_days": URGENT_TOLD_DAYS},
    )  # fmt: skip


@roles_required(Role.DEPARTMENT_HANDLER, Role.SHIFT_LEADER)
def case_work(request: HttpRequest) -> HttpResponse:
    if _read_only(request, Role.DEPARTMENT_HANDLER):
        cases = (
            cases_visible_to(user=request.user)
            .filter(status=Status.DISPATCHED)
            .select_related("category__major", "department", "micro_grid", "community_grid")
            .defer("community_grid__boundary")
            .order_by(F("handling_deadline").asc(nulls_last=True), "dispatched_at", "id")
        )
        return _work_page(request, cases, template="cases/work.html", offered=set(), extra={"read_only": True})
    departments = list(request.user.departments.all())
    return _work_page(
        request,
        cases_at_work(user=request.user),
        template="cases/work.html",
        offered={"handle", "send_back"},
        extra={"departments": departments},
    )


@roles_required(Role.INSPECTOR, Role.SHIFT_LEADER)
def case_tasks(request: HttpRequest) -> HttpResponse:
    cases = (
        case_list(user=request.user, statuses=[Status.VERIFYING, Status.CHECKING])
        .select_related("micro_grid", "community_grid", "inspector__person")
        .defer(None)
        .defer("community_grid__boundary")
        .order_by("updated_at", "id")
    )
    if _read_only(request, Role.INSPECTOR):
        return _work_page(
            request, cases, template="cases/tasks.html", offered=set(), extra={"read_only": True}, photos=True
        )
    # Each inspector's own tasks (sent to them) first, then the others', oldest first in each.
    cases = cases.order_by(
        DbCase(When(inspector_id=request.user.pk, then=Value(0)), default=Value(1)), "updated_at", "id"
    )
    categories = category_choices(active_categories(), blank=_("— choose a category —"))
    offered = {"file", "reject", "check_pass", "check_fail"}
    return _work_page(request, cases, template="cases/tasks.html", offered=offered, categories=categories, photos=True)


# ---- the inbox (值班长) ---------------------------------------------------------------------

# The actions each section of the inbox offers on its items (those the user's roles allow).
INBOX_ACTIONS = {
    "extension": {"approve_extension", "refuse_extension"},
    "suspension": {"suspend", "refuse_suspension"},
    "escalated": set(),  # the decision is the chief's: open the case (and supervise it there)
    "overdue": {"supervise", "remind"},
    "orders_due": {"remind", "sign_off"},
    "orders_to_answer": {"answer_supervision"},
}


@roles_required(*INBOX_ROLES)
def case_inbox(request: HttpRequest) -> HttpResponse:
    """What waits for the user (cases.inbox), each item with its action."""
    next_url = request.get_full_path()
    sections = inbox_sections(user=request.user)
    for section in sections:
        rows = []
        for item in section.items:
            if section.key == "failed":
                rows.append({"case": item.case, "notification": item, "forms": []})
                continue
            case = item.case if hasattr(item, "case") else item
            transitions = [
                t for t in _allowed(request.user, case.status, offered=INBOX_ACTIONS[section.key])
                if _order_step_allowed(t, section.key, item, case, request.user)
            ]  # fmt: skip
            rows.append({"case": case, "item": item, "forms": _action_forms(case, transitions, next_url=next_url)})
        section.rows = rows
    return render(request, "cases/inbox.html", {"sections": sections})


def _order_step_allowed(transition: Transition, key: str, item, case: Case, user) -> bool:
    """A supervision step offered in the inbox only where cases.supervision allows it: on a
    section of orders, for that order; on a case, issuing if it has none current, reminding if it has."""
    if transition.order is None:
        return True
    if key.startswith("orders"):
        return order_refusal(step=transition.order, order=item, case=case, user=user) is None
    return (transition.order == ISSUES) != case.supervised


@roles_required(Role.PLACE_CHIEF)
def case_mine(request: HttpRequest) -> HttpResponse:
    """A 三长's phone page: the places they answer for, their cases (those naming them
    responsible and those they reported on patrol, open ones first), a fix to confirm in front
    of their place, and a report from patrol."""
    places = places_of_chief(user=request.user)
    cases = (
        cases_visible_to(user=request.user)
        .select_related("category__major", "department", "micro_grid", "community_grid")
        .defer("community_grid__boundary")
        .order_by(DbCase(When(status__in=sorted(TERMINAL), then=Value(1)), default=Value(0)), "-reported_at", "-id")
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _for_rows(list(page.object_list))
    next_url = request.get_full_path()
    person = getattr(request.user, "person", None)
    for case in rows:
        case.thumb = _thumbnail(case)
        # A fix is confirmed by the chief named responsible, not on a case only reported on patrol.
        mine = person is not None and case.responsible_id == person.pk
        transitions = _allowed(request.user, case.status, offered={"confirm_fix"}) if mine else []
        case.action_forms = _action_forms(case, transitions, next_url=next_url)
    page.object_list = rows
    roads = roads_of_chief(user=request.user)
    return render(request, "cases/mine.html", {"page": page, "places": places, "roads": roads})


# ---- failed notifications ------------------------------------------------------------


@roles_required(Role.SHIFT_LEADER)
def notifications_failed(request: HttpRequest) -> HttpResponse:
    """The messages to departments that will not be tried again (each also an ERROR in the log),
    with a button to send one again once its department's channel works."""
    if request.method == "POST":
        try:
            notification_id = int(request.POST.get("notification", ""))
        except ValueError:
            notification_id = 0
        if notification_resend(notification_id=notification_id):
            messages.success(request, _("The notification will be sent again."))
        else:
            messages.error(request, _("This notification is no longer failed."))
        return redirect(_safe_next(request) or reverse("cases:notifications_failed"))
    page = Paginator(failed_notifications(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/notifications_failed.html", {"page": page})
