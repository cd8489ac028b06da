"""The case state machine as data: who may do what, from which states, to which.

cases.services.case_transition is the only code that applies these; pages and
the API read them to offer only the actions a user may take now.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from cases.models import Status

CENTRE = frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEADER, Role.DISPATCHER})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    targets: frozenset[str]  # more than one: the service picks (e.g. approval needed or not)
    roles: frozenset[str]
    needs_note: bool = False


def _t(action, label, sources, targets, roles, needs_note=False) -> Transition:
    return Transition(action, label, frozenset(sources), frozenset(targets), frozenset(roles), needs_note)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("verify", _("Send to an inspector to verify"), [Status.REPORTED], [Status.VERIFYING], CENTRE),
        _t("file", _("File the case"), [Status.REPORTED, Status.VERIFYING], [Status.FILED], CENTRE | {Role.INSPECTOR}),
        _t("reject", _("Do not accept"), [Status.REPORTED, Status.VERIFYING], [Status.REJECTED],
           CENTRE | {Role.INSPECTOR}, needs_note=True),
        _t("dispatch", _("Dispatch"), [Status.FILED, Status.RETURNED], [Status.PENDING_APPROVAL, Status.DISPATCHED],
           {Role.DISPATCHER, Role.SHIFT_LEADER}),
        _t("approve", _("Approve the dispatch"), [Status.PENDING_APPROVAL], [Status.DISPATCHED], {Role.GRID_CHIEF}),
        _t("refuse", _("Refuse the dispatch"), [Status.PENDING_APPROVAL], [Status.FILED], {Role.GRID_CHIEF},
           needs_note=True),
        _t("cancel", _("Cancel the case"), [Status.FILED, Status.RETURNED], [Status.CANCELLED],
           {Role.SHIFT_LEADER}, needs_note=True),
        _t("handle", _("Report as handled"), [Status.DISPATCHED], [Status.HANDLED], {Role.DEPARTMENT_HANDLER},
           needs_note=True),
        _t("send_back", _("Send back (wrong department)"), [Status.DISPATCHED], [Status.RETURNED],
           {Role.DEPARTMENT_HANDLER}, needs_note=True),
        # 延期 and 挂账 are asked for by the department and decided by the centre. A request is an
        # event on a dispatched case, not a state: at most one of each kind is open at a time
        # (cases.services checks that under the row lock). `suspend` is the shift leader's
        # approval; it closes an open suspension request, and may also be done without one.
        _t("request_extension", _("Request more time (extension)"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.DEPARTMENT_HANDLER}, needs_note=True),
        _t("approve_extension", _("Approve the extension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER, Role.GRID_CHIEF}),
        _t("refuse_extension", _("Refuse the extension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER, Role.GRID_CHIEF}, needs_note=True),
        _t("request_suspension", _("Request suspension (long-term)"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.DEPARTMENT_HANDLER}, needs_note=True),
        _t("refuse_suspension", _("Refuse the suspension"), [Status.DISPATCHED], [Status.DISPATCHED],
           {Role.SHIFT_LEADER}, needs_note=True),
        _t("suspend", _("Suspend (long-term)"), [Status.DISPATCHED], [Status.SUSPENDED], {Role.SHIFT_LEADER},
           needs_note=True),
        _t("resume", _("Resume"), [Status.SUSPENDED], [Status.DISPATCHED], {Role.SHIFT_LEADER}),
        _t("send_to_check", _("Send an inspector to check"), [Status.HANDLED], [Status.CHECKING], CENTRE),
        # 核查通过 → 结案: the inspector confirms on site, the shift leader closes (结案) the case.
        _t("check_pass", _("Check passed"), [Status.CHECKING], [Status.CHECKED], {Role.INSPECTOR}),
        _t("check_fail", _("Check failed: rework"), [Status.CHECKING], [Status.DISPATCHED], {Role.INSPECTOR},
           needs_note=True),
        # From handled only for categories that do not need an on-site check (cases.services checks).
        _t("close", _("Close the case"), [Status.CHECKED, Status.HANDLED], [Status.CLOSED], {Role.SHIFT_LEADER}),
        # A duplicate report (same problem, same place) is merged into the case that goes on.
        _t("merge", _("Merge into another case (duplicate)"), [Status.REPORTED, Status.VERIFYING, Status.FILED],
           [Status.MERGED], CENTRE),
    ]
}  # fmt: skip


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]
