"""The demo county's command centers in tiers (镇街三级): the county's city-management command
center over the whole territory, and one center per street (街道) over its large grids, as
Taierzhuang runs a center in each town connected to the district's. The demo's center staff
(intake, shiftlead, dispatcher) work for the county's center; the town operator for the
street whose large grid holds the old town centre (where the demo chiefs answer).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from demo.names import STREETS
from demo.territory import ADMIN_CODE
from grids.models import CommandCenter, Grid, Level

DISTRICT_CENTER = (f"{ADMIN_CODE}-ZHZX", "临沭县城市管理指挥中心")
DISTRICT_STAFF = ("intake", "shiftlead", "dispatcher")
TOWN_OPERATOR = "town_operator"


def demo_town_centers(geojson: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(code, name, large grid codes) per street of the demo county, from its large grids' names."""
    larges = [f["properties"] for f in geojson["features"] if f["properties"].get("level") == Level.LARGE]
    centers = []
    for n, street in enumerate(STREETS, start=1):
        codes = sorted(p["code"] for p in larges if p["name"].startswith(street))
        centers.append((f"{ADMIN_CODE}-ZHZX-{n:02d}", f"{street}指挥中心", codes))
    return centers


def demo_centers_save(*, geojson: dict[str, Any], operator_large: str) -> None:
    """The centers upserted by code, their grids and staff set; the demo staff logins must exist.
    `operator_large`: the code of the large grid whose town's center the town operator works for."""
    User = get_user_model()
    district_grid = Grid.objects.get(level=Level.DISTRICT, code=f"{ADMIN_CODE}000000000")
    district, _ = CommandCenter.objects.update_or_create(
        code=DISTRICT_CENTER[0], defaults={"name": DISTRICT_CENTER[1], "parent": None}
    )
    district.grids.set([district_grid])
    district.members.set(User.objects.filter(username__in=DISTRICT_STAFF))
    operator = User.objects.filter(username=TOWN_OPERATOR).first()
    for code, name, larges in demo_town_centers(geojson):
        town, _ = CommandCenter.objects.update_or_create(code=code, defaults={"name": name, "parent": district})
        town.grids.set(Grid.objects.filter(code__in=larges))
        if operator is not None:
            if operator_large in larges:
                town.members.add(operator)
            else:
                town.members.remove(operator)


ESCALATIONS = [
    ("占道经营涉及多个部门，超出街道处置权限，请区中心协调。", "请街道先行劝离，区综合执法大队配合。"),
    ("违建位于两街道交界处，需区级统一认定。", None),
]


def demo_escalations_load() -> int:
    """A few of the town's open cases escalated (上报) by the town operator, one assigned back
    down (交办) by the county's shift leader, through the case service; once."""
    from cases.models import CaseEvent, Status
    from cases.services import CaseActionError, case_transition

    User = get_user_model()
    operator = User.objects.filter(username=TOWN_OPERATOR).first()
    leader = User.objects.filter(username="shiftlead").first()
    town = CommandCenter.objects.filter(members=operator, parent__isnull=False).first() if operator else None
    if town is None or leader is None or CaseEvent.objects.filter(action="escalate").exists():
        return 0
    candidates = list(town.cases.filter(status__in=[Status.REPORTED, Status.FILED]).order_by("-reported_at")[:5])
    done = 0
    for case, (reason, down) in zip(candidates, ESCALATIONS, strict=False):
        try:
            case_transition(case_id=case.pk, action="escalate", actor=operator, note=reason)
            if down:
                case_transition(case_id=case.pk, action="assign_down", actor=leader, note=down)
        except CaseActionError:
            continue
        done += 1
    return done


def demo_patrol_reports_load() -> int:
    """The demo street chief's report from patrol on their street (source place_patrol); once."""
    from cases.models import Case, Source
    from cases.services import case_report
    from grids.models import Place

    User = get_user_model()
    chief = User.objects.filter(username="street_chief").first()
    place = Place.objects.filter(chief__user=chief).first() if chief else None
    if place is None or Case.objects.filter(source=Source.PLACE_PATROL).exists():
        return 0
    point = place.geometry.interpolate_normalized(0.5) if place.geometry.geom_type == "LineString" else place.geometry
    case_report(
        source=Source.PLACE_PATROL, point=point, address=place.name, actor=chief,
        description="巡查发现：人行道上共享单车乱停放，堵塞盲道。",
    )  # fmt: skip
    return 1
