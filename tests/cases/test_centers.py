"""Tiered command centers (镇街三级): a town center's staff see and act only within the town;
上报 (escalate) and 交办 (assign down) move who holds a case, with events; the district sees
everything and can take over; the 镇街 ranking."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.http import QueryDict
from django.urls import reverse

from accounts.roles import Role
from assessments.facts import facts_refresh
from assessments.params import parse, scope_for
from assessments.selectors import Period, center_ranking, figures
from cases.models import Case, CaseEvent, Source, Status
from cases.scope import cases_visible_to
from cases.services import CaseNotFound, IllegalTransition, InvalidInput, NotPermitted, case_report, case_transition
from grids.models import CommandCenter, Level
from tests.cases.conftest import IN_M1, NOW
from tests.grids.factories import GridFactory, rect, square

IN_M3 = Point(118.601, 34.927, srid=4326)
CENTRE_ROLES = (Role.INTAKE_CLERK, Role.DISPATCHER, Role.SHIFT_LEADER)


@pytest.fixture
def towns(city, make_user):
    """Two towns: T1 covers L1 (M1, M2), T2 covers L2 (M3); the district's center covers all."""
    large2 = GridFactory(
        level=Level.LARGE, code="L2", parent=city["district"], boundary=rect(118.59, 34.925, 0.04, 0.005)
    )
    community2 = GridFactory(
        level=Level.COMMUNITY, code="C2", parent=large2, boundary=rect(118.59, 34.925, 0.04, 0.005)
    )
    GridFactory(level=Level.MICRO, code="M3", parent=community2, boundary=square(118.60, 34.926, 0.003))
    district = CommandCenter.objects.create(code="DC", name="区指挥中心")
    district.grids.add(city["district"])
    t1 = CommandCenter.objects.create(code="T1", name="一镇指挥中心", parent=district)
    t1.grids.add(city["large"])
    t2 = CommandCenter.objects.create(code="T2", name="二镇指挥中心", parent=district)
    t2.grids.add(large2)
    users = {
        "t1_op": make_user("t1_op", *CENTRE_ROLES),
        "t2_op": make_user("t2_op", *CENTRE_ROLES),
        "district_op": make_user("district_op", *CENTRE_ROLES),
    }
    t1.members.add(users["t1_op"])
    t2.members.add(users["t2_op"])
    district.members.add(users["district_op"])
    return {"district_center": district, "t1": t1, "t2": t2, **users}


def report_at(point, **extra):
    return case_report(source=Source.HOTLINE, point=point, description="占道经营", now=NOW, **extra)


def test_it_gives_a_case_the_center_of_its_location(towns):
    assert report_at(IN_M1).center == towns["t1"]
    assert report_at(IN_M3).center == towns["t2"]


def test_a_town_operator_sees_only_the_towns_cases(towns, client):
    mine, theirs = report_at(IN_M1), report_at(IN_M3)
    assert list(cases_visible_to(user=towns["t1_op"])) == [mine]
    assert set(cases_visible_to(user=towns["district_op"])) == {mine, theirs}
    client.force_login(towns["t1_op"])
    queue = client.get(reverse("cases:queue")).content.decode()
    assert mine.tracking_number in queue and theirs.tracking_number not in queue
    assert client.get(reverse("cases:detail", args=[theirs.pk])).status_code == 404
    listed = client.get(reverse("cases_api:cases")).json()["results"]
    assert [row["tracking_number"] for row in listed] == [mine.tracking_number]


def test_a_town_operator_acts_only_within_the_town(towns, city):
    mine, theirs = report_at(IN_M1), report_at(IN_M3)
    case_transition(case_id=mine.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)
    with pytest.raises(CaseNotFound):
        case_transition(case_id=theirs.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)
    assert Case.objects.get(pk=theirs.pk).status == Status.REPORTED


def test_a_town_escalates_and_the_district_assigns_down_with_events(towns, city):
    case = report_at(IN_M1)
    with pytest.raises(InvalidInput):
        case_transition(case_id=case.pk, action="escalate", actor=towns["t1_op"], now=NOW)
    case_transition(case_id=case.pk, action="escalate", actor=towns["t1_op"], note="需区执法局联合处置", now=NOW)
    case.refresh_from_db()
    assert case.center == towns["district_center"] and case.status == Status.REPORTED
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert event.note == "需区执法局联合处置" and event.actor == towns["t1_op"]
    assert event.payload["from"]["id"] == towns["t1"].pk and event.payload["to"]["id"] == towns["district_center"].pk
    # Still the town's to see, no longer the town's to act on; a second escalation has nowhere to go.
    assert case in cases_visible_to(user=towns["t1_op"])
    with pytest.raises(NotPermitted):
        case_transition(case_id=case.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)
    with pytest.raises(IllegalTransition):
        case_transition(case_id=case.pk, action="escalate", actor=towns["district_op"], note="再上报", now=NOW)
    # The district assigns it back down: the town of its location holds it again and acts.
    case_transition(case_id=case.pk, action="assign_down", actor=towns["district_op"], note="请镇街先行处置", now=NOW)
    case.refresh_from_db()
    assert case.center == towns["t1"]
    down = CaseEvent.objects.get(case=case, action="assign_down")
    assert down.payload["to"]["id"] == towns["t1"].pk and down.note == "请镇街先行处置"
    case_transition(case_id=case.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)


def test_only_the_holding_towns_staff_escalate(towns):
    case = report_at(IN_M1)
    with pytest.raises(NotPermitted):
        case_transition(case_id=case.pk, action="escalate", actor=towns["district_op"], note="x", now=NOW)
    with pytest.raises(CaseNotFound):
        case_transition(case_id=case.pk, action="escalate", actor=towns["t2_op"], note="x", now=NOW)


def test_the_district_takes_over_and_a_town_cannot(towns):
    case = report_at(IN_M1)
    with pytest.raises(NotPermitted):
        case_transition(case_id=case.pk, action="take_over", actor=towns["t1_op"], note="x", now=NOW)
    case_transition(case_id=case.pk, action="take_over", actor=towns["district_op"], note="重点案件区级督办", now=NOW)
    case.refresh_from_db()
    assert case.center == towns["district_center"]
    assert CaseEvent.objects.filter(case=case, action="take_over").count() == 1


def test_the_case_page_offers_the_town_escalate_and_the_district_assign_down(towns, client):
    case = report_at(IN_M1)
    client.force_login(towns["t1_op"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:act", args=[case.pk, "escalate"]) in page
    assert reverse("cases:act", args=[case.pk, "take_over"]) not in page
    response = client.post(
        reverse("cases:act", args=[case.pk, "escalate"]),
        {
            "expected_status": "reported",
            "note": "超出镇街处置权限",
            "request_id": "5f0c1f7e-1111-4c1a-9a55-000000000001",
        },
    )
    assert response.status_code == 302
    client.force_login(towns["district_op"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:act", args=[case.pk, "assign_down"]) in page and "区指挥中心" in page
    held = client.get(reverse("cases:queue"), {"center": towns["district_center"].pk}).content.decode()
    assert case.tracking_number in held


def test_the_api_escalates_for_the_town_and_hides_the_case_from_another(towns, client):
    case = report_at(IN_M1)
    url = reverse("cases_api:escalate", args=[case.pk])
    client.force_login(towns["t2_op"])
    assert client.post(url, {"note": "x"}, content_type="application/json").status_code == 404
    client.force_login(towns["t1_op"])
    answer = client.post(url, {"note": "需区级协调"}, content_type="application/json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["center"]["name"] == "区指挥中心" and body["events"][-1]["center"] == "区指挥中心"


def test_a_town_operators_dashboard_is_the_towns(towns, city, client):
    scope = scope_for(towns["t1_op"])
    assert scope.grids == [city["large"]] and scope.centers == [towns["t1"]]
    assert scope_for(towns["district_op"]).everything
    _period, slice, _scope, _form = parse(QueryDict(), user=towns["t1_op"])
    assert slice.center == towns["t1"] and slice.grid is None
    mine, theirs = report_at(IN_M1), report_at(IN_M3)
    case_transition(case_id=mine.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)
    case_transition(case_id=theirs.pk, action="file", actor=towns["t2_op"], category=city["garbage"], now=NOW)
    facts_refresh()
    later = NOW + datetime.timedelta(hours=1)
    assert figures(period=Period.containing("month", NOW.date()), slice=slice, now=later)["assessed"] == 1
    client.force_login(towns["t1_op"])
    assert client.get(reverse("assessments:dashboard")).status_code == 200
    refused = client.get(reverse("assessments_api:figures"), {"center": towns["t2"].pk})
    assert refused.status_code == 400
    client.force_login(towns["district_op"])
    page = client.get(reverse("assessments:dashboard")).content.decode()
    assert 'id="ranking-center"' in page and "一镇指挥中心" in page and "二镇指挥中心" in page


def test_the_town_ranking_lists_each_town_on_its_territory(towns, city):
    for _ in range(2):
        case = report_at(IN_M1)
        case_transition(case_id=case.pk, action="file", actor=towns["t1_op"], category=city["garbage"], now=NOW)
    facts_refresh()
    later = NOW + datetime.timedelta(hours=1)
    ranked = center_ranking(period=Period.containing("month", NOW.date()), now=later, min_cases=1)
    by_code = {r.unit.code: r for r in ranked}
    assert set(by_code) == {"T1", "T2"}
    assert by_code["T1"].figures["assessed"] == 2 and by_code["T1"].rank == 1
    assert by_code["T2"].figures["assessed"] == 0 and by_code["T2"].rank is None


def test_a_town_operators_map_and_wall_show_only_the_towns_cases(towns, client):
    """The command center's own views (the supervision map's feed, the wall) are scoped to its
    subtree by the same rule as the queue (cases.scope)."""
    mine, theirs = report_at(IN_M1), report_at(IN_M3)
    client.force_login(towns["t1_op"])
    feed = client.get(reverse("cases_api:map")).json()
    assert [feature["properties"]["tracking_number"] for feature in feed["features"]] == [mine.tracking_number]
    assert client.get(reverse("cases_api:wall")).json()["open"]["n"] == 1
    client.force_login(towns["district_op"])
    feed = client.get(reverse("cases_api:map")).json()
    assert {feature["properties"]["tracking_number"] for feature in feed["features"]} == {
        mine.tracking_number,
        theirs.tracking_number,
    }
    assert client.get(reverse("cases_api:wall")).json()["open"]["n"] == 2
