"""Which inspector (监督员) goes to verify or check a case.

Suggested: an inspector whose patrol grid (cases.models.Patrol) holds the case, the nearest grid
first (a micro grid's patroller before the community's), then the least loaded (the fewest cases
waiting for them to verify or check), then by name. Without any patrol here, the least loaded of
all. The dispatcher may pick another; the case records who was sent (Case.inspector), and each
inspector's task list shows their own first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from accounts.roles import Role
from cases.models import Case, Status

WAITING_FOR_INSPECTOR = (Status.VERIFYING, Status.CHECKING)


@dataclass(frozen=True)
class Candidate:
    user: object
    name: str
    patrols_here: bool
    load: int

    @property
    def label(self) -> str:
        here = _("patrols here") if self.patrols_here else _("elsewhere")
        return _("%(name)s (%(here)s, %(load)s waiting)") % {"name": self.name, "here": here, "load": self.load}


def inspector_candidates(*, case: Case) -> list[Candidate]:
    """Every active inspector, the suggested one first (see the module's rule); one query."""
    chain = [case.micro_grid_id, case.community_grid_id, case.large_grid_id, case.district_grid_id]
    depth = {grid_id: n for n, grid_id in enumerate(chain) if grid_id}
    inspectors = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.INSPECTOR.value)
        .select_related("patrol", "person")
        .annotate(load=Count("inspection_cases", filter=Q(inspection_cases__status__in=WAITING_FOR_INSPECTOR)))
    )
    ranked = []
    for user in inspectors:
        patrol = getattr(user, "patrol", None)
        nearness = depth.get(patrol.grid_id) if patrol is not None else None
        person = getattr(user, "person", None)
        name = person.name if person is not None else (user.get_full_name() or user.get_username())
        key = (nearness if nearness is not None else len(chain), user.load, user.get_username())
        ranked.append((key, Candidate(user, name, nearness is not None, user.load)))
    ranked.sort(key=lambda pair: pair[0])
    return [candidate for _key, candidate in ranked]


def inspector_suggested(*, case: Case):
    candidates = inspector_candidates(case=case)
    return candidates[0].user if candidates else None


def inspector_choices(*, case: Case) -> list[tuple]:
    """The choices of the inspector select: the suggestion as the empty choice, then everyone."""
    candidates = inspector_candidates(case=case)
    blank = _("Suggested: %(label)s") % {"label": candidates[0].label} if candidates else _("Any inspector (the pool)")
    return [("", blank), *((c.user.pk, c.label) for c in candidates)]
