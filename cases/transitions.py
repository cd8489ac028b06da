"""The case state machine as data: each action once, with everything known about it.

A row says who may do what, from which states, to which, what it asks for (a note, inputs,
photos), how it relates to the requests of a department (延期 extension, 挂账 suspension), and
its effect (cases.effects: the fields it changes and the status it leads to). From this one
table:

- cases.services.case_transition applies an action and enforces every rule of its row;
- the HTML form of an action (cases.forms.ActionForm) and the API's input serializer
  (cases.api.serializers.action_input_serializer) are derived from its inputs;
- what a user may do now (cases.viewmodel) is the rows their roles, scope and the case allow.

Events that are not actions (the report itself, the sweeps' marks, a duplicate merged in)
are named in EVENT_LABELS, so every event of a case's history has one label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import CENTRE, Role
from cases import effects
from cases.models import TERMINAL, PhotoKind, Status
from cases.photos import PHOTOS_MAX
from cases.supervision import ANSWERERS, ANSWERS, FOLLOWS, ISSUERS, ISSUES, SIGNS_OFF

if TYPE_CHECKING:
    from cases.effects import Context


# The statuses a case is open in: where a center may pass it up or down (上报 / 交办) or take it over.
OPEN = [status for status in Status.values if status not in TERMINAL]

GIVE_A_NOTE = _("Give a reason or note for: %(action)s.")


@dataclass(frozen=True)
class Note:
    """The free-text note of an action: its label, and whether it is required."""

    label: str | Promise = _("Note")
    required: bool = False


REASON = _("Reason")


def required_note(label: str | Promise = REASON) -> Note:
    return Note(label, required=True)


@dataclass(frozen=True)
class Input:
    """One input of an action besides its note and photos.

    kind: what it is, which decides the form field, the serializer field and the value the
    service receives: "category" (a Category), "urgency" (an Urgency value), "department" (a
    Department), "amount" (a positive Decimal), "unit" (a LimitUnit value), "deadline" (an aware
    datetime), "case" (a case's id or tracking number, as text).
    required: the service refuses the action without it. message: what is said when it is
    missing (by the service, so the same words on the page and in the API); an input that is
    needed only sometimes (a category, unless the case has one) has a message and is not required.
    """

    name: str
    kind: str
    label: str | Promise
    required: bool = False
    message: str | Promise = ""
    help: str | Promise = ""


@dataclass(frozen=True)
class Photos:
    """The photos an action carries, stored as `kind`; at least `min`, at most PHOTOS_MAX."""

    kind: str
    label: str | Promise
    min: int = 0
    required_message: str | Promise = ""
    max: int = PHOTOS_MAX


@dataclass(frozen=True)
class Request:
    """A department's request on a dispatched case (延期 extension, 挂账 suspension): the action
    that asks, the ones that decide; at most one of a kind is open at a time."""

    kind: str
    label: str | Promise  # as the case page names an open one
    ask: str
    decisions: tuple[str, ...]
    already_open: str | Promise  # refusal of a second request
    none_open: str | Promise  # refusal of a decision nobody asked for


REQUESTS: dict[str, Request] = {
    "extension": Request(
        "extension",
        _("Extension requested"),
        ask="request_extension",
        decisions=("approve_extension", "refuse_extension"),
        already_open=_("An extension request is already waiting for a decision."),
        none_open=_("There is no extension request waiting for a decision."),
    ),
    "suspension": Request(
        "suspension",
        _("Suspension requested"),
        ask="request_suspension",
        decisions=("suspend", "refuse_suspension"),
        already_open=_("A suspension request is already waiting for a decision."),
        none_open=_("There is no suspension request waiting for a decision."),
    ),
}
# How an action meets a request of its kind: "opens" one (none may be open), "decides" one (one
# must be open), or "may_decide" (closes an open one if there is one: suspending without a request).
OPENS, DECIDES, MAY_DECIDE = "opens", "decides", "may_decide"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str | Promise
    sources: frozenset[str]
    targets: frozenset[str]  # more than one: the effect picks (e.g. approval needed or not)
    roles: frozenset[str]
    effect: Callable[[Context], str]
    note: Note | None = None
    inputs: tuple[Input, ...] = ()
    photos: Photos | None = None
    request: tuple[str, str] | None = None  # (request kind, OPENS / DECIDES / MAY_DECIDE)
    negative: bool = False  # says no, undoes or sends away: drawn as such, so it is not hit by habit
    available: Callable | None = None  # (case) → None, or why the action is not possible for this case
    # A step of a supervision order (督办): cases.supervision's ISSUES, FOLLOWS, ANSWERS or SIGNS_OFF;
    # its rules (who, on which order) are cases.supervision.order_refusal.
    order: str | None = None
    # (case, user) → None, or why this user may not take it on this case although in their scope
    # (上报 is for the staff of the center holding the case, 接管 for those of a center above it).
    actor_rule: Callable | None = None

    @property
    def needs_note(self) -> bool:
        return self.note is not None and self.note.required

    @property
    def note_required_message(self) -> str:
        return str(GIVE_A_NOTE % {"action": self.label})


# Who goes: the inspector named, or the one cases.inspectors suggests.
INSPECTOR = Input(
    "inspector",
    "inspector",
    _("Inspector"),
    help=_("The inspector sent; without it, the suggested one (patrols here, then the least loaded)"),
)
# Checking on site takes a photo there, passed or failed (核查照片).
ON_SITE = Photos(
    PhotoKind.CHECK, _("On-site photos"), min=1, required_message=_("Add at least one photo taken on site.")
)

ALL_STATUSES = frozenset(Status.values)
OPEN = ALL_STATUSES - TERMINAL


def _t(action, label, sources, targets, roles, effect, **spec) -> Transition:
    return Transition(action, label, frozenset(sources), frozenset(targets), frozenset(roles), effect, **spec)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("verify", _("Send to an inspector to verify"), [Status.REPORTED], [Status.VERIFYING], CENTRE,
           effects.verify, note=Note(), inputs=(INSPECTOR,)),
        _t("file", _("File the case"), [Status.REPORTED, Status.VERIFYING], [Status.FILED], CENTRE | {Role.INSPECTOR},
           effects.file,
           inputs=(
               Input("category", "category", _("Category"), message=_("Choose a category before filing the case."),
                     help=_("Required unless the case has one")),
               Input("urgency", "urgency", _("Urgency")),
           )),
        _t("reject", _("Do not accept"), [Status.REPORTED, Status.VERIFYING], [Status.REJECTED],
           CENTRE | {Role.INSPECTOR}, effects.reject, note=required_note(), negative=True),
        _t("dispatch", _("Dispatch"), [Status.FILED, Status.RETURNED], [Status.PENDING_APPROVAL, Status.DISPATCHED],
           {Role.DISPATCHER, Role.SHIFT_LEADER}, effects.dispatch, note=Note(),
           inputs=(Input("department", "department", _("Department"),
                         help=_("Overrides the routing rules; without it, the department they name")),)),
        _t("approve", _("Approve the dispatch"), [Status.PENDING_APPROVAL], [Status.DISPATCHED], {Role.GRID_CHIEF},
           effects.approve),
        _t("refuse", _("Refuse the dispatch"), [Status.PENDING_APPROVAL], [Status.FILED], {Role.GRID_CHIEF},
           effects.refuse, note=required_note(_("Reason for refusing")), negative=True),
        _t("cancel", _("Cancel the case"), [Status.FILED, Status.RETURNED], [Status.CANCELLED], {Role.SHIFT_LEADER},
           effects.cancel, note=required_note(), negative=True),
        _t("handle", _("Report as handled"), [Status.DISPATCHED], [Status.HANDLED], {Role.DEPARTMENT_HANDLER},
           effects.handle, note=required_note(_("What was done")),
           photos=Photos(PhotoKind.AFTER, _("Photos of the result"), min=1,
                         required_message=_("Add at least one photo of the result."))),
        _t("send_back", _("Send back (wrong department)"), [Status.DISPATCHED], [Status.RETURNED],
           {Role.DEPARTMENT_HANDLER}, effects.send_back, note=required_note(_("Why it is the wrong department")),
           negative=True),
        # 延期 and 挂账 are asked for by the department and decided by the centre (REQUESTS). A
        # request is an event on a dispatched case, not a state. `suspend` is the shift leader's
        # approval; it closes an open suspension request, and may also be done without one.
        _t("request_extension", _("Request more time (extension)"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.DEPARTMENT_HANDLER}, effects.request_extension,
           note=required_note(_("Why more time is needed")), request=("extension", OPENS),
           inputs=(
               Input("amount", "amount", _("More time"), help=_("More time: how much (with unit)")),
               Input("unit", "unit", _("Unit"), help=_("With amount")),
               Input("deadline", "deadline", _("New deadline"),
                     help=_("Or a new deadline (ISO 8601 with a time zone) instead of amount + unit")),
           ),
           available=effects.has_deadline),
        _t("approve_extension", _("Approve the extension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER, Role.GRID_CHIEF}, effects.approve_extension, request=("extension", DECIDES)),
        _t("refuse_extension", _("Refuse the extension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER, Role.GRID_CHIEF}, effects.refuse_request, note=required_note(),
           request=("extension", DECIDES), negative=True),
        _t("request_suspension", _("Request suspension (long-term)"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.DEPARTMENT_HANDLER}, effects.request_suspension,
           note=required_note(_("Why it cannot be handled now")), request=("suspension", OPENS)),
        _t("refuse_suspension", _("Refuse the suspension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER}, effects.refuse_request, note=required_note(), request=("suspension", DECIDES),
           negative=True),
        _t("suspend", _("Suspend (long-term)"), [Status.DISPATCHED], [Status.SUSPENDED], {Role.SHIFT_LEADER},
           effects.suspend, note=required_note(), request=("suspension", MAY_DECIDE), negative=True),
        _t("resume", _("Resume"), [Status.SUSPENDED], [Status.DISPATCHED], {Role.SHIFT_LEADER}, effects.resume),
        _t("send_to_check", _("Send an inspector to check"), [Status.HANDLED], [Status.CHECKING], CENTRE,
           effects.send_to_check, note=Note(), inputs=(INSPECTOR,)),
        # 核查通过 → 结案: the inspector confirms on site, the shift leader closes (结案) the case.
        _t("check_pass", _("Check passed"), [Status.CHECKING], [Status.CHECKED], {Role.INSPECTOR},
           effects.check_pass, note=Note(), photos=ON_SITE),
        _t("check_fail", _("Check failed: rework"), [Status.CHECKING], [Status.DISPATCHED], {Role.INSPECTOR},
           effects.check_fail, note=required_note(_("What is still wrong")), negative=True, photos=ON_SITE),
        # 三长: the chief named responsible confirms on site, in front of their place, that the
        # fix holds; like a passed check, the shift leader then closes the case.
        _t("confirm_fix", _("Confirm the fix on site"), [Status.HANDLED, Status.CHECKING], [Status.CHECKED],
           {Role.PLACE_CHIEF}, effects.confirm_fix, note=Note(_("What you saw on site"))),
        # From handled only for categories that do not need an on-site check.
        _t("close", _("Close the case"), [Status.CHECKED, Status.HANDLED], [Status.CLOSED], {Role.SHIFT_LEADER},
           effects.close, note=Note(), available=effects.close_available),
        # 回访: a phone call to the reporter after closure, with the result (响应, 解决, 满意); the case
        # stays closed. 重办: a closed case the reporter is not satisfied with goes back to dispatch,
        # counted as a rework (the citizen's own 不满意 reopens it too: cases.services.case_citizen_rating).
        _t("callback", _("Record a callback"), [Status.CLOSED], [Status.CLOSED], CENTRE, effects.callback,
           note=Note(_("What the reporter said")),
           inputs=(
               Input("satisfaction", "satisfaction", _("Satisfaction"), required=True,
                     message=_("Say how satisfied the reporter is.")),
               Input("solved", "yes_no", _("Solved, in the reporter's words"), required=True,
                     message=_("Say whether the reporter considers the problem solved.")),
               Input("contacted", "yes_no", _("Contacted by the department"), required=True,
                     message=_("Say whether the department contacted or answered the reporter.")),
           )),
        _t("reopen", _("Reopen"), [Status.CLOSED], [Status.FILED], {Role.SHIFT_LEADER}, effects.reopen,
           note=required_note(_("Why it is reopened")), negative=True),
        # A duplicate report (same problem, same place) is merged into the case that goes on.
        _t("merge", _("Merge into another case (duplicate)"), [Status.REPORTED, Status.VERIFYING, Status.FILED],
           [Status.MERGED], CENTRE, effects.merge, note=Note(), negative=True,
           inputs=(Input("into", "case", _("Duplicate of case (tracking number)"), required=True,
                         message=_("Say which case this one duplicates."),
                         help=_("The case this report duplicates: its id or tracking number")),)),
        # 督办 and 催办: an order beside the status, not a state (cases.supervision). Issued and
        # reminded on open cases; answered and signed off whatever the case became meanwhile.
        _t("supervise", _("Issue a supervision order (督办)"), OPEN, OPEN, ISSUERS, effects.supervise,
           note=required_note(_("What must be done")), order=ISSUES,
           inputs=(
               Input("amount", "amount", _("Answer within"), required=True,
                     message=_("Say within how much working time the order must be answered."),
                     help=_("Working time the addressee has to answer (with unit)")),
               Input("unit", "order_unit", _("Unit"), help=_("working_hours or working_days (default)")),
               Input("department", "order_department", _("Department to answer"),
                     help=_("Without it (and without a person): the case's handling department")),
               Input("person", "person", _("Or a person to answer"),
                     help=_("A user: a chief of the case's grids or a member of its department")),
           )),
        _t("remind", _("Send a reminder (催办)"), OPEN, OPEN, ISSUERS, effects.remind, note=Note(), order=FOLLOWS),
        _t("answer_supervision", _("Answer the supervision order"), ALL_STATUSES, ALL_STATUSES, ANSWERERS,
           effects.answer_supervision, note=required_note(_("Answer")), order=ANSWERS),
        _t("sign_off", _("Sign the supervision order off (销号)"), ALL_STATUSES, ALL_STATUSES, ISSUERS,
           effects.sign_off, note=Note(), order=SIGNS_OFF),
        # 镇街三级: the center holding a case passes it up (上报) to the center above, a center above
        # assigns it down (交办) to the center of its location below it, or takes it over (接管).
        # The status does not change; who holds the case (Case.center), and so who acts on it, does.
        _t("escalate", _("Escalate to the center above"), OPEN, OPEN, CENTRE, effects.escalate,
           note=required_note(_("Why the center above should take it")), available=effects.escalate_available,
           actor_rule=effects.escalate_actor),
        _t("assign_down", _("Assign down to the town's center"), OPEN, OPEN, CENTRE, effects.assign_down,
           note=required_note(_("What the center below should do")), available=effects.assign_down_available),
        _t("take_over", _("Take over from the town's center"), OPEN, OPEN, CENTRE, effects.take_over,
           note=required_note(), available=effects.take_over_available, actor_rule=effects.take_over_actor),
    ]
}  # fmt: skip

# The actions on a closed case (closed stays terminal for everything else: the figures, the public).
AFTER_CLOSURE = ("callback", "reopen")

# The events of a case's history that are not actions, with their labels.
EVENT_LABELS = {
    "report": Status.REPORTED.label,
    "merged_in": _("A duplicate report was merged into this case"),
    "sla_warning": _("Time limit warning: 80 per cent used"),  # no "%": gettext would read "% u" as a format
    "sla_overdue": _("Overdue: escalated"),
    "approval_escalated": _("Approval passed one level up"),
    "citizen_rating": _("Rated by the citizen"),
}


def event_label(action: str) -> str:
    """The label of any event in a case's history: the action's, or the event's own."""
    transition = TRANSITIONS.get(action)
    if transition is not None:
        return str(transition.label)
    return str(EVENT_LABELS.get(action, action))


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
