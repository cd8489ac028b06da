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
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, user_roles
from cases.clocks import row_light
from cases.forms import ActionForm, CaseFilterForm, IntakeForm, active_categories, category_choices
from cases.models import STATUS_INFO, Case, Department, Status
from cases.notifications import case_notifications, failed_notifications, notification_resend
from cases.scope import REPORTERS, cases_awaiting_approval, cases_visible_to
from cases.selectors import (
    InvalidCursor,
    Tally,
    case_department,
    case_duplicates_near,
    case_get,
    case_list,
    case_page,
    case_tallies,
    cases_at_work,
    list_rows,
    urgent_dispatches_told_to,
    work_calendar,
)
from cases.services import CaseActionError, CaseNotFound, InvalidInput, case_report_from, case_transition
from cases.transitions import TRANSITIONS, Transition, transitions_from
from cases.viewmodel import case_view
from grids.maps import map_config as _map_config

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


def _action_forms(
    case: Case, transitions: list[Transition], *, next_url: str, categories=None, departments=None
) -> list[ActionForm]:
    return [
        _action_form(case, transition, next_url=next_url, categories=categories, departments=departments)
        for transition in transitions
    ]


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
    if form.tracking_number:
        cases = cases.filter(tracking_number__startswith=form.tracking_number)
    # The tabs' counts: one statement, each read from its status's index and counted up to a cap.
    tallies = case_tallies(cases=cases, by={value: Q(status=value) for value in Status.values})
    status = form.chosen_status
    if status:
        cases = cases.filter(status=status)
    rows = cases.select_related("community_grid").defer("community_grid__boundary")
    try:
        page = case_page(cases=rows, cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except InvalidCursor:  # a link from an older version of the page: start at the top
        page = case_page(cases=rows, size=PAGE_SIZE)
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
    }
    return render(request, "cases/queue.html", context)


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
    merge_forms = []
    if "merge" in offered:
        candidates = case_duplicates_near(point=case.location, category_id=case.category_id, exclude_id=case.pk)
        for candidate in candidates:
            form = _action_form(case, TRANSITIONS["merge"], next_url=next_url, into=candidate)
            merge_forms.append({"case": candidate, "tone": STATUS_INFO[candidate.status].tone, "form": form})
    context = {
        "case": case,
        "view": view,
        "actions": _action_forms(case, view.actions, next_url=next_url, categories=categories, departments=departments),
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
    request: HttpRequest, cases, *, template: str, offered: set[str], categories=None, extra=None
) -> HttpResponse:
    """A work list: cards with a sketch of the place and the page's own few actions (the case
    page has the rest)."""
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _for_rows(list(page.object_list))
    next_url = request.get_full_path()
    for case in rows:
        case.thumb = _thumbnail(case)
        transitions = _allowed(request.user, case.status, offered=offered)
        case.action_forms = _action_forms(case, transitions, next_url=next_url, categories=categories)
    page.object_list = rows
    return render(request, template, {"page": page, **(extra or {})})


@roles_required(Role.GRID_CHIEF)
def case_approvals(request: HttpRequest) -> HttpResponse:
    cases = cases_awaiting_approval(user=request.user)
    since = timezone.now() - datetime.timedelta(days=URGENT_TOLD_DAYS)
    told = list(urgent_dispatches_told_to(user=request.user, since=since)[:20])
    return _work_page(
        request, cases, template="cases/approvals.html", offered={"approve", "refuse"},
        extra={"told": told, "told_days": URGENT_TOLD_DAYS},
    )  # fmt: skip


@roles_required(Role.DEPARTMENT_HANDLER)
def case_work(request: HttpRequest) -> HttpResponse:
    departments = list(request.user.departments.all())
    return _work_page(
        request,
        cases_at_work(user=request.user),
        template="cases/work.html",
        offered={"handle", "send_back"},
        extra={"departments": departments},
    )


@roles_required(Role.INSPECTOR)
def case_tasks(request: HttpRequest) -> HttpResponse:
    cases = (
        case_list(user=request.user, statuses=[Status.VERIFYING, Status.CHECKING])
        .select_related("micro_grid", "community_grid")
        .defer(None)
        .defer("community_grid__boundary")
        .order_by("updated_at", "id")
    )
    categories = category_choices(active_categories(), blank=_("— choose a category —"))
    offered = {"file", "reject", "check_pass", "check_fail"}
    return _work_page(request, cases, template="cases/tasks.html", offered=offered, categories=categories)


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
        return redirect("cases:notifications_failed")
    page = Paginator(failed_notifications(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/notifications_failed.html", {"page": page})
