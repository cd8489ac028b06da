"""The case pages: intake, the queue, a case with its actions, and the work lists of
grid chiefs (approvals), departments (work) and inspectors (tasks).

Reads go through cases.selectors, which also decide who sees what; every change goes
through cases.services. A page offers only the actions its user may take now, each as a
small form that names the status it showed, so a stale click changes nothing.
"""

from __future__ import annotations

import datetime
import logging
import math
from dataclasses import dataclass
from functools import wraps
from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, user_roles
from cases import services
from cases.api.views import SEES_CONTACT, mask_name, mask_phone
from cases.forms import ActionForm, CaseFilterForm, IntakeForm, active_categories, category_choices
from cases.models import Case, CaseEvent, CasePhoto, Department, LimitUnit, Status, Urgency
from cases.notifications import case_notifications
from cases.selectors import (
    case_clock,
    case_duplicates_near,
    case_get,
    case_list,
    case_step_clocks,
    cases_at_work,
    cases_awaiting_approval,
    cases_visible_to,
    department_for,
    urgent_dispatches_told_to,
)
from cases.services import CaseActionError, InvalidInput, case_report, case_transition, work_calendar
from cases.sla import EVENT_LABELS as SWEEP_LABELS
from cases.transitions import CENTRE, TRANSITIONS, Transition, transitions_from
from cases.worktime import WorkCalendar, traffic_light
from grids.api.views import RESPONSIBLE_ROLES
from grids.maps import map_config as _map_config

PAGE_SIZE = 25
URGENT_TOLD_DAYS = 7  # how far back a chief's approvals page lists the urgent dispatches they were told of
# Who takes in reports on the intake page: the command center and inspectors.
INTAKE_ROLES = CENTRE | {Role.INSPECTOR}
# Where each status sits on the page: a colour family for its badge.
STATUS_TONES = {
    Status.REPORTED: "new",
    Status.VERIFYING: "wait",
    Status.FILED: "new",
    Status.PENDING_APPROVAL: "wait",
    Status.DISPATCHED: "work",
    Status.RETURNED: "warn",
    Status.SUSPENDED: "warn",
    Status.HANDLED: "work",
    Status.CHECKING: "wait",
    Status.CHECKED: "work",
    Status.CLOSED: "done",
    Status.REJECTED: "off",
    Status.CANCELLED: "off",
    Status.MERGED: "off",
}
# Actions that say no, undo or send away: drawn as such, so they are not hit by habit.
NEGATIVE_ACTIONS = {
    "merge", "reject", "refuse", "cancel", "send_back", "check_fail", "suspend",
    "refuse_extension", "refuse_suspension",
}  # fmt: skip
LIGHT_LABELS = {
    "green": gettext_lazy("On time"),
    "yellow": gettext_lazy("Due soon"),
    "red": gettext_lazy("Overdue"),
    "paused": gettext_lazy("Suspended: the clock stands"),
}

privacy_log = logging.getLogger("cases.privacy")


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


class _CountedPaginator(Paginator):
    """A paginator told its count (the queue has it from the per-status counts: one query fewer)."""

    def __init__(self, object_list, per_page, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass(frozen=True)
class Light:
    """A deadline as a row shows it: when, and how close (green, yellow, red or paused)."""

    deadline: datetime.datetime
    colour: str
    stopped: bool  # handled or closed: the colour is how it stood then

    @property
    def label(self) -> str:
        return str(LIGHT_LABELS[self.colour])


def _row_light(case: Case, calendar: WorkCalendar, now: datetime.datetime) -> Light | None:
    """The handling deadline's traffic light for a list, without the case's events.

    The share of the limit used up is read backwards from the deadline (an extension,
    which moves the deadline, gives more time); the case page measures it exactly.
    """
    deadline = case.handling_deadline
    if deadline is None or case.category is None:
        return None
    if case.status == Status.SUSPENDED:
        return Light(deadline, "paused", False)
    if case.status == Status.DISPATCHED:
        end, stopped = now, False
    elif case.status in (Status.HANDLED, Status.CHECKING, Status.CHECKED, Status.CLOSED) and case.handled_at:
        end, stopped = case.handled_at, True
    else:
        return None
    if case.overdue or end > deadline:
        return Light(deadline, "red", stopped)
    amount, unit = case.category.time_limit(urgent=case.urgency == Urgency.URGENT)
    left = calendar.elapsed(end, deadline, unit)
    used = 1 - left / float(amount) if amount else 1.0
    return Light(deadline, traffic_light(max(used, 0.0)), stopped)


def _for_rows(cases: list[Case]) -> list[Case]:
    """Each case with its status colour and deadline light (the calendar is read only if needed)."""
    calendar = work_calendar() if any(case.handling_deadline for case in cases) else None
    now = timezone.now()
    for case in cases:
        case.tone = STATUS_TONES.get(case.status, "new")
        case.light = _row_light(case, calendar, now) if calendar else None
    return cases


def _limit_text(category, *, urgent: bool) -> str:
    amount, unit = category.time_limit(urgent=urgent)
    return f"{float(amount):g} {LimitUnit(unit).label}"


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
    form.tone = "danger" if transition.action in NEGATIVE_ACTIONS and into is None else "primary"
    return form


def _allowed(user, status: str, *, offered: set[str] | None = None) -> list[Transition]:
    """The transitions `user`'s roles allow from `status` (those in `offered` only, if given)."""
    roles = set(user_roles(user))
    return [t for t in transitions_from(status) if t.roles & roles and (offered is None or t.action in offered)]


# Requests on a dispatched case (延期 extension, 挂账 suspension): kind, and whether the action
# decides an open request (True) or opens one (False). At most one of each kind is open.
REQUEST_ACTIONS = {
    "request_extension": ("extension", False),
    "request_suspension": ("suspension", False),
    "approve_extension": ("extension", True),
    "refuse_extension": ("extension", True),
    "refuse_suspension": ("suspension", True),
}


def _open_requests(case: Case, transitions: list[Transition]) -> dict[str, CaseEvent]:
    """kind → the request event waiting for a decision, for the kinds these transitions touch."""
    kinds = {REQUEST_ACTIONS[t.action][0] for t in transitions if t.action in REQUEST_ACTIONS}
    found = {kind: services.case_open_request(case=case, kind=kind) for kind in sorted(kinds)}
    return {kind: event for kind, event in found.items() if event is not None}


def _possible_now(transitions: list[Transition], open_requests: dict[str, CaseEvent]) -> list[Transition]:
    """Without the request actions that cannot apply: deciding what nobody asked, asking twice."""
    kept = []
    for transition in transitions:
        kind, decides = REQUEST_ACTIONS.get(transition.action, (None, False))
        if kind is None or (kind in open_requests) == decides:
            kept.append(transition)
    return kept


def _actor_name(user) -> str:
    if user is None:
        return _("System or citizen")
    person = getattr(user, "person", None)
    return person.name if person is not None else (user.get_full_name() or user.get_username())


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# ---- intake ------------------------------------------------------------------


@roles_required(*INTAKE_ROLES)
def case_new(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    form = IntakeForm(request.POST or None, request.FILES or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_report(
                source=data["source"],
                point=Point(data["lon"], data["lat"], srid=4326),
                address=data["address"],
                category=data["category"],
                urgency=data["urgency"],
                description=data["description"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                actor=request.user,
                request_id=str(data["request_id"]),
                photos=data["photos"],
            )
        except InvalidInput as exc:
            # Today every refusal of case_report is about the location (outside the city, none).
            form.add_error("lon", exc.message)
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
    }
    context = {
        "form": form,
        "map_config": _map_config(duplicatesUrl=reverse("cases_api:duplicates")),
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
    counts = dict(cases.order_by().values_list("status").annotate(n=Count("pk")))
    status = form.chosen_status
    if status:
        cases = cases.filter(status=status)
    total = counts.get(status, 0) if status else sum(counts.values())
    rows = cases.select_related("community_grid").defer("community_grid__boundary")
    page = _CountedPaginator(rows, PAGE_SIZE, count=total).get_page(request.GET.get("page"))
    page.object_list = _for_rows(list(page.object_list))
    tabs = [{"value": "", "label": _("All"), "count": sum(counts.values())}] + [
        {"value": value, "label": label, "count": counts.get(value, 0)} for value, label in Status.choices
    ]
    filtered = any(value not in (None, "") for name, value in form.cleaned_data.items() if name != "status")
    context = {
        "form": form,
        "page": page,
        "tabs": tabs,
        "status": status,
        "filtered": filtered,
        "can_report": bool(set(user_roles(request.user)) & INTAKE_ROLES),
    }
    return render(request, "cases/queue.html", context)


# ---- one case --------------------------------------------------------------------


@roles_required()
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_get(case_id=case_id, user=request.user)
    if case is None:
        raise Http404(_("No such case, or not one you may see."))
    user = request.user
    roles = set(user_roles(user))
    events = list(case.events.all())
    calendar, now = work_calendar(), timezone.now()
    clock = None
    if case.handling_deadline is not None:
        clock = case_clock(case=case, events=events, calendar=calendar, now=now)
    step_clocks = [
        {"clock": step, "label": LIGHT_LABELS[step.light], "percent": round(step.elapsed_fraction * 100)}
        for step in case_step_clocks(case=case, events=events, calendar=calendar, now=now)
    ]
    timeline = []
    for event in events:
        payload = event.payload or {}
        timeline.append(
            {
                "event": event,
                "label": _event_label(event.action),
                "actor": _actor_name(event.actor),
                "department": (payload.get("department") or {}).get("name"),
                "approver": (payload.get("approver") or {}).get("name"),
                "asked": _asked_text(payload) if event.action == "request_extension" else "",
                "deadline": _parse_time(payload.get("deadline")) if event.action != "request_extension" else None,
                "other_case": payload.get("case") if event.action == "merged_in" else payload.get("into"),
            }
        )

    full_contact = bool(roles & SEES_CONTACT)
    reporter = {
        "name": case.reporter_name if full_contact else mask_name(case.reporter_name),
        "phone": case.reporter_phone if full_contact else mask_phone(case.reporter_phone),
        "masked": not full_contact,
    }
    if full_contact and case.reporter_phone:
        privacy_log.info("reporter contact of case %s shown to user %s on its page", case.tracking_number, user.pk)

    transitions = _allowed(user, case.status)
    open_requests = _open_requests(case, transitions)
    transitions = _possible_now(transitions, open_requests)
    categories = departments = None
    if any(t.action == "file" for t in transitions):
        categories = category_choices(active_categories(), blank=_("— choose a category —"))
    if any(t.action == "dispatch" for t in transitions):
        departments = _department_choices(case)
    actions = _action_forms(
        case, transitions, next_url=request.get_full_path(), categories=categories, departments=departments
    )

    merge_forms = []
    if any(t.action == "merge" for t in transitions):
        candidates = case_duplicates_near(point=case.location, category_id=case.category_id, exclude_id=case.pk)
        for candidate in candidates:
            form = _action_form(case, TRANSITIONS["merge"], next_url=request.get_full_path(), into=candidate)
            merge_forms.append({"case": candidate, "tone": STATUS_TONES.get(candidate.status, "new"), "form": form})
    merged_in = list(case.duplicates.order_by("reported_at", "pk").only("id", "tracking_number", "reported_at"))
    photos = list(
        CasePhoto.objects.filter(case_id__in=[case.pk, *(d.pk for d in merged_in)])
        .select_related("case")
        .only("id", "kind", "status", "display", "thumbnail", "case__tracking_number", "case_id")
    )

    responsible = None
    if case.responsible is not None:
        responsible = {
            "person": case.responsible,
            "role": RESPONSIBLE_ROLES.get(case.responsible_role, case.responsible_role),
        }
    category = case.category
    context = {
        "case": case,
        "tone": STATUS_TONES.get(case.status, "new"),
        "timeline": timeline,
        "clock": clock,
        "step_clocks": step_clocks,
        "clock_label": LIGHT_LABELS.get("paused" if clock and clock.paused else clock.light, "") if clock else "",
        "clock_percent": round(clock.elapsed_fraction * 100) if clock and clock.elapsed_fraction is not None else None,
        "reporter": reporter,
        "responsible": responsible,
        "limit": _limit_text(category, urgent=case.urgency == Urgency.URGENT) if category else None,
        "actions": actions,
        "open_requests": [_request_summary(kind, event) for kind, event in open_requests.items()],
        "notifications": list(case_notifications(case=case)),
        "photos": photos,
        "merge_candidates": merge_forms,
        "merged_in": merged_in,
        "map_config": _map_config(
            point=[case.location.x, case.location.y],
            micro=case.micro_grid_id,
            community=case.community_grid_id,
        ),
        "map_strings": {"point": _("Location of case %(number)s") % {"number": case.tracking_number}},
    }
    return render(request, "cases/detail.html", context)


def _event_label(action: str) -> str:
    transition = TRANSITIONS.get(action)
    if transition is not None:
        return transition.label
    if action == "report":
        return Status.REPORTED.label
    if action == "merged_in":
        return _("A duplicate report was merged into this case")
    return SWEEP_LABELS.get(action, action)  # the sweeps' events are not transitions: cases.sla names them


def _parse_time(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _asked_text(payload: dict) -> str:
    """What an extension request asks for: "+2 working days" or "until 11-30 17:30"."""
    if payload.get("amount") and payload.get("unit") in LimitUnit.values:
        return f"+{float(payload['amount']):g} {LimitUnit(payload['unit']).label}"
    deadline = _parse_time(payload.get("deadline"))
    if deadline is not None:
        return _("until %(deadline)s") % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}
    return ""


def _request_summary(kind: str, event: CaseEvent) -> dict:
    label = _("Extension requested") if kind == "extension" else _("Suspension requested")
    return {"kind": kind, "label": label, "event": event, "actor": _actor_name(event.actor),
            "asked": _asked_text(event.payload or {})}  # fmt: skip


def _department_choices(case: Case) -> list:
    """The active departments, the empty choice naming the one the routing rules pick."""
    chain = [g for g in (case.micro_grid, case.community_grid, case.large_grid, case.district_grid) if g]
    routed = department_for(category=case.category, location=SimpleNamespace(inside=bool(chain), chain=chain))
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
    request_id = request.POST.get("request_id") or None
    if not cases_visible_to(user=request.user).filter(pk=case_id).exists():
        # The same click again after an action that took the case out of sight (a send-back): done already.
        if request_id and CaseEvent.objects.filter(request_id=request_id, case_id=case_id, action=action).exists():
            return redirect(back if back != detail_url else reverse("cases:queue"))
        raise Http404(_("No such case, or not one you may see."))
    form = ActionForm(transition, request.POST, request.FILES)
    if not form.is_valid():
        for name, errors in form.errors.items():
            if name in ("expected_status", "request_id", "next"):
                messages.error(request, _("The form was incomplete. Reload the page and try again."))
                break
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        case = case_transition(case_id=case_id, action=action, actor=request.user, **form.params())
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
