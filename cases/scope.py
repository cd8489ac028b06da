"""Whose case is it: who may see a case, who may act on it, who approves its dispatch.

The three questions side by side, built from the same pieces, so a difference between them
is one written down here and not a drift:

| who | sees | may act (within their role's actions) | approves dispatches |
|---|---|---|---|
| command center (intake, shift leader, dispatcher) | every case | every case | – |
| inspector (city-wide patrols) | every case | every case | – |
| supervisor 领导 | every case | every case, but only the supervision actions (督办, 催办, 销号) have the role | – |
| grid chief | cases in the subtrees of the grids they chief, those waiting for their approval, and those naming them responsible (三长: street, shop, lane chiefs) | cases in their subtrees and those waiting for their approval — not the ones they are only named responsible for: a 三长 follows a case, the grid chief decides | the dispatches waiting in their subtrees or naming them approver |
| department handler | cases of their departments | the same | – |
| place chief 三长 (street, shop, lane, road chief) | cases naming them responsible, those they reported on patrol, and a road chief's those on their roads' segments | cases naming them responsible (confirm a fix in front of their place) | – |
| anyone else | nothing | nothing | – |

Command centers in tiers (镇街三级, grids.models.CommandCenter) narrow the city-wide rows: a
member of town centers only (no district's center among theirs) sees the cases located in
their centers' subtrees (and any their center holds), and acts only on the cases their center
holds (Case.center: the center of the location at intake, moved by 上报 escalate and 交办
assign down). Staff of the district's center, or of no center at all, keep the whole city. The
dashboard (assessments.params.scope_for), the queue, the API and the maps read it from here.

Reports (上报) are taken in by the command center, inspectors and grid chiefs on patrol
(REPORTERS), on the intake page and in the API alike. A user holding several roles has the union. Who approves looks only at the grid-chief part
of a user, even if another role of theirs sees every case: an approvals page lists decisions
that are theirs. "May act" is checked by cases.services under the row lock; the pages and the
API offer only the actions it would allow (cases.viewmodel).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q, QuerySet

from accounts.roles import CENTRE, Role, user_roles
from cases.models import Case, CaseEvent, Status
from grids.models import Grid
from grids.selectors import centers_known

# Roles that act on any case (their actions are still only those the transition table gives them:
# a supervisor's are the supervision orders').
ACTS_CITY_WIDE = CENTRE | {Role.INSPECTOR, Role.SUPERVISOR}
# Roles that see every case.
SEES_ALL = ACTS_CITY_WIDE
# Roles that take in reports (上报): the command center, inspectors, grid chiefs on patrol.
REPORTERS = CENTRE | {Role.INSPECTOR, Role.GRID_CHIEF, Role.PLACE_CHIEF}


def report_sources(roles: Iterable[str]) -> list[str] | None:
    """The sources a person may name for a report they take in: a 三长 (place chief and nothing
    else) reports from their own patrol only; None for everyone else (any source: the centre
    types in the hotline's and the citizens' reports). The page's form and the API both ask."""
    from cases.models import Source

    held = set(roles)
    if held and held <= {Role.PLACE_CHIEF}:
        return [Source.PLACE_PATROL]
    return None


def town_centers_of(user) -> list[int] | None:
    """The town centers whose staff `user` is, when that is all they are; None when `user` works
    for the district's center, or for none (the whole city). Cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_town_centers_cache", False)
    if cached is not False:
        return cached
    centers = centers_known()
    if not any(parent is not None for parent in centers.parent.values()):
        return None  # one center (or none) for the whole installation: nothing to ask
    mine = list(user.command_centers.values_list("pk", flat=True)) if user.pk else []
    result = None if not mine or any(centers.parent.get(pk) is None for pk in mine) else sorted(mine)
    user._town_centers_cache = result
    return result


def centers_subtree_q(center_ids: Iterable[int]) -> Q:
    """The cases located in the subtrees the centers cover (a case carries its whole chain of
    grids, so "in the subtree of G" is "G is one of them")."""
    centers = centers_known()
    tops = sorted({grid for pk in center_ids for grid in centers.tops.get(pk, ())})
    return Q(micro_grid__in=tops) | Q(community_grid__in=tops) | Q(large_grid__in=tops) | Q(district_grid__in=tops)


def _center_q(user, *, acting: bool) -> Q | None:
    """The city-wide roles' part: everything (None), or a town's."""
    towns = town_centers_of(user)
    if towns is None:
        return None
    held = Q(center__in=towns)
    return held if acting else held | centers_subtree_q(towns)


def _chief_q(user, *, followed: bool) -> Q:
    """The cases of a grid chief: in the subtree of a grid they chief (a case carries its whole
    chain of grids, so "in the subtree of G" is "G is one of them"), or waiting for their
    approval; with `followed`, also those naming them responsible (三长)."""
    chiefed = Grid.objects.filter(chief__user=user).values("pk")
    q = (
        Q(micro_grid__in=chiefed)
        | Q(community_grid__in=chiefed)
        | Q(large_grid__in=chiefed)
        | Q(district_grid__in=chiefed)
        | Q(approver__user=user)
    )
    return q | Q(responsible__user=user) if followed else q


def _place_chief_q(user, *, acting: bool) -> Q:
    """A 三长's cases: those naming them responsible; to see, also those they reported on patrol,
    and a road chief's (路长) those on the segments of their roads."""
    q = Q(responsible__user=user)
    if acting:
        return q
    q |= Q(road_segment__road__chief__user=user)
    reported = CaseEvent.objects.filter(action="report", actor=user).values("case_id")
    return q | Q(pk__in=reported)


def _department_q(user) -> Q:
    return Q(department__in=user.departments.values("pk"))


def _scope(user, roles: Iterable[str], *, all_roles: frozenset, followed: bool, acting: bool) -> QuerySet[Case]:
    roles = set(roles)
    q = Q()
    if roles & all_roles:
        town = _center_q(user, acting=acting)
        if town is None:
            return Case.objects.all()
        q |= town
    if Role.GRID_CHIEF in roles:
        q |= _chief_q(user, followed=followed)
    if Role.DEPARTMENT_HANDLER in roles:
        q |= _department_q(user)
    if Role.PLACE_CHIEF in roles:
        q |= _place_chief_q(user, acting=acting)
    return Case.objects.filter(q) if q else Case.objects.none()


def cases_visible_to(*, user) -> QuerySet[Case]:
    """The cases `user` may see (the table above, column "sees")."""
    return _scope(user, user_roles(user), all_roles=SEES_ALL, followed=True, acting=False)


def cases_actionable_by(*, user, roles: Iterable[str]) -> QuerySet[Case]:
    """The cases `user` may act on with `roles` (those of their roles an action allows)."""
    return _scope(user, roles, all_roles=ACTS_CITY_WIDE, followed=False, acting=True)


def may_act(*, user, case: Case, roles: Iterable[str]) -> bool:
    """Whether `user`, with `roles`, may act on `case` (one query at most)."""
    roles = set(roles)
    if roles & ACTS_CITY_WIDE and town_centers_of(user) is None:
        return True
    return cases_actionable_by(user=user, roles=roles).filter(pk=case.pk).exists()


def may_see(*, user, case_id: int) -> bool:
    return cases_visible_to(user=user).filter(pk=case_id).exists()


def cases_awaiting_approval(*, user) -> QuerySet[Case]:
    """The dispatch proposals `user` may decide as a grid chief, longest waiting first."""
    if Role.GRID_CHIEF not in user_roles(user):
        return Case.objects.none()
    return (
        cases_actionable_by(user=user, roles={Role.GRID_CHIEF})
        .filter(status=Status.PENDING_APPROVAL)
        .select_related("category__major", "department", "micro_grid", "community_grid", "approver")
        .defer("community_grid__boundary")
        .order_by("updated_at", "id")
    )


def cases_at_work(*, user) -> QuerySet[Case]:
    """The dispatched cases of `user`'s departments, the nearest deadline first."""
    if Role.DEPARTMENT_HANDLER not in user_roles(user):
        return Case.objects.none()
    return (
        Case.objects.filter(_department_q(user), status=Status.DISPATCHED)
        .select_related("category__major", "department", "micro_grid", "community_grid")
        .defer("community_grid__boundary")
        .order_by(F("handling_deadline").asc(nulls_last=True), "dispatched_at", "id")
    )


# Who reads the exchange page (messages to 12345 and the higher-level platform: sent, pending,
# failed) and sends a failed one again: the command center, and the system administrator who
# keeps the upstream systems' registry. Leaders, chiefs and departments do not: the page shows
# every case's traffic, whoever's grid or department it is.
EXCHANGE_DESK = CENTRE | {Role.SYSTEM_ADMIN}
