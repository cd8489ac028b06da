"""What each role finds on its home page: links to what exists so far."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, user_roles


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    description: str


def _grid_map() -> Link:
    return Link(
        _("Grid map"), reverse("grids:map"), _("The grid hierarchy with chiefs, drill down large → community → micro.")
    )


def _admin() -> Link:
    return Link(_("Administration"), reverse("admin:index"), _("Grids, places, chiefs, users; GeoJSON import."))


def _case_new() -> Link:
    return Link(
        _("New report"), reverse("cases:new"), _("Take in a report: point on the map, grid and chief found at once.")
    )


def _case_queue() -> Link:
    return Link(_("Cases"), reverse("cases:queue"), _("The case queue with counts per status and filters."))


def _case_approvals() -> Link:
    return Link(
        _("Dispatches to approve"), reverse("cases:approvals"), _("Approve or refuse dispatches in your grids.")
    )


def _case_work() -> Link:
    return Link(_("Work queue"), reverse("cases:work"), _("Cases dispatched to your department: handle or send back."))


def _case_tasks() -> Link:
    return Link(_("My tasks"), reverse("cases:tasks"), _("Reports to verify and handled cases to check on site."))


def _case_inbox() -> Link:
    return Link(
        _("Inbox"),
        reverse("cases:inbox"),
        _("Requests to decide, escalations, overdue cases, failed notifications, supervision orders due."),
    )


def _case_mine() -> Link:
    return Link(
        _("My places and my cases"),
        reverse("cases:mine"),
        _("The streets, shops, lanes and roads you answer for, their cases, and reports from your patrol."),
    )


def _assessments() -> Link:
    return Link(
        _("Assessment dashboard"),
        reverse("assessments:dashboard"),
        _("Closure rates, rankings, trends and the map; CSV and Excel exports."),
    )


def _bulletin() -> Link:
    return Link(
        _("Bulletin"), reverse("assessments:bulletin"), _("The monthly or quarterly bulletin, printable and as PDF.")
    )


def _assets() -> Link:
    return Link(
        _("Component inventory"),
        reverse("assets:index"),
        _("Manhole covers, lamps, bins…: each asset with its code, maintainer and case history."),
    )


def _devices() -> Link:
    return Link(
        _("Devices and alerts"), reverse("devices:index"), _("Cameras and sensors; the alerts waiting for a look.")
    )


def _campaigns() -> Link:
    return Link(_("Campaigns"), reverse("campaigns:index"), _("Special campaigns: their cases and figures."))


def _exchange() -> Link:
    return Link(
        _("Exchange with upstream systems"),
        reverse("exchange:messages"),
        _("Callbacks to 12345 and pushes to the higher-level platform: sent, pending, failed."),
    )


def _users() -> Link:
    return Link(
        _("Users and roles"),
        reverse("admin:auth_user_changelist"),
        _("Create, disable and give roles to accounts; API tokens."),
    )


def _lockouts() -> Link:
    return Link(
        _("Lockouts"),
        reverse("admin:axes_accessattempt_changelist"),
        _("Accounts and addresses locked after failed logins; unlock them."),
    )


def _api_tokens() -> Link:
    return Link(
        _("API tokens"),
        reverse("admin:accounts_apitoken_changelist"),
        _("Every user's API tokens, by device and expiry; revoke them."),
    )


def _two_factor() -> Link:
    return Link(
        _("Two-factor login"),
        reverse("admin:accounts_twofactordevice_changelist"),
        _("Who logs in with an authenticator app; remove a lost phone's."),
    )


def _audit_log() -> Link:
    return Link(_("Audit log"), reverse("audit:search"), _("Search the security audit log and export it as CSV."))


ROLE_LINKS = {
    Role.INTAKE_CLERK: [_case_new, _case_queue, _grid_map, _devices, _assets, _exchange],
    Role.SHIFT_LEADER: [
        _case_inbox,
        _case_queue,
        _case_new,
        _case_approvals,
        _case_work,
        _case_tasks,
        _grid_map,
        _assessments,
        _devices,
        _campaigns,
        _assets,
        _exchange,
    ],  # fmt: skip
    Role.DISPATCHER: [_case_queue, _case_new, _grid_map, _assets, _campaigns, _exchange],
    Role.GRID_CHIEF: [_case_approvals, _case_queue, _grid_map, _assessments, _assets],
    Role.DEPARTMENT_HANDLER: [_case_work, _case_queue, _grid_map, _assessments, _assets],
    Role.INSPECTOR: [_case_tasks, _case_new, _case_queue, _grid_map, _assets, _devices],
    Role.PLACE_CHIEF: [_case_mine, _case_new, _grid_map],
    Role.SUPERVISOR: [_assessments, _case_inbox, _bulletin, _campaigns, _case_queue, _grid_map, _devices, _assets],
    Role.SYSTEM_ADMIN: [_admin, _grid_map, _exchange],
    Role.SECURITY_ADMIN: [_users, _lockouts, _api_tokens, _two_factor],
    Role.AUDIT_ADMIN: [_audit_log],
}


@dataclass(frozen=True)
class Section:
    role: Role | None
    title: str
    links: list[Link]


def _my_grids(user) -> list[Link]:
    """The grids a chief answers for, each opening the map on it."""
    from grids.models import Grid

    grids = Grid.objects.filter(chief__user=user).defer("boundary").order_by("code")
    base = reverse("grids:map")
    return [
        Link(
            _("My grid: %(name)s") % {"name": grid.name},
            f"{base}?parent={grid.parent_id or ''}&grid={grid.pk}",
            _("%(level)s %(code)s on the map, with its chief and lower grids.")
            % {"level": grid.get_level_display(), "code": grid.code},
        )
        for grid in grids
    ]


def home_links(*, user) -> list[Section]:
    sections = []
    for role in user_roles(user):
        links = [make() for make in ROLE_LINKS[role]]
        if role == Role.GRID_CHIEF:
            links = _my_grids(user) + links
        sections.append(Section(role, role.label, links))
    if user.is_staff:
        sections.append(Section(None, _("System administrator"), [_admin(), _grid_map()]))
    if not sections:
        sections.append(Section(None, _("No role yet"), [_grid_map()]))
    return sections
