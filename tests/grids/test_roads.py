"""Roads (路长制): GeoJSON import (all or nothing, every problem named) and export; a case on a
segment names the segment's city manager, its inspector and the road chief; road and segment
figures and the road ranking; a road chief sees the cases on their road."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from assessments.facts import facts_refresh
from assessments.selectors import Period, road_ranking, segment_figures
from cases.models import Source
from cases.scope import cases_visible_to
from cases.services import case_report, case_transition
from grids.models import PlaceKind, Road, RoadSegment
from grids.roads import RoadImportError, road_export, road_import
from grids.selectors import responsible_at_point
from tests.cases.conftest import NOW, city  # noqa: F401  (the personas and catalogue of the case tests)
from tests.grids.factories import PersonFactory, PlaceFactory

ON_ROAD = Point(118.6025, 34.9050, srid=4326)  # in M1, on segment 1 of 振兴路
OFF_ROAD = Point(118.6050, 34.9090, srid=4326)  # in M1, 400 m north of the road


def line(x0, x1, y=34.905):
    return {"type": "LineString", "coordinates": [[x0, y], [x1, y]]}


def roads_file(**changes):
    features = [
        {"type": "Feature", "properties": {"road": "R1", "name": "振兴路", "level": "first",
                                           "chief_name": "路长甲", "chief_phone": "13900000001"},
         "geometry": {"type": "MultiLineString", "coordinates": [line(118.600, 118.604)["coordinates"],
                                                                 line(118.604, 118.608)["coordinates"]]}},
        {"type": "Feature", "properties": {"segment": "R1-001", "road": "R1", "seq": 1, "name": "振兴路第1段",
                                           "manager_name": "管理员甲", "manager_phone": "13900000002",
                                           "inspector_name": "监督员甲", "inspector_phone": "13900000003",
                                           "duties": {"sanitation": "环卫一队", "greenery": "园林一班"}},
         "geometry": line(118.600, 118.604)},
        {"type": "Feature", "properties": {"segment": "R1-002", "road": "R1", "seq": 2, "name": "振兴路第2段",
                                           "manager_name": "管理员乙", "manager_phone": "13900000004"},
         "geometry": line(118.604, 118.608)},
    ]  # fmt: skip
    for index, props in changes.items():
        features[int(index[1:])]["properties"].update(props)
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture
def road(city):
    road_import(data=roads_file())
    return Road.objects.get(code="R1")


def test_it_imports_roads_with_ordered_segments_and_their_people(road):
    segments = list(road.segments.select_related("manager", "inspector"))
    assert [(s.seq, s.code, s.manager.name) for s in segments] == [(1, "R1-001", "管理员甲"), (2, "R1-002", "管理员乙")]
    assert road.level == "first" and road.chief.name == "路长甲"
    assert segments[0].inspector.name == "监督员甲" and segments[0].duties["sanitation"] == "环卫一队"
    assert segments[0].reach.contains(ON_ROAD)


def test_a_bad_file_lists_every_problem_and_changes_nothing(city):
    bad = roads_file(f1={"road": "R9", "seq": 0}, f2={"seq": "x", "duties": {"painting": "?"}})
    bad["features"].append({"type": "Feature", "properties": {"segment": "R1-003", "road": "R1", "seq": 3, "name": "x"},
                            "geometry": {"type": "Point", "coordinates": [118.6, 34.9]}})  # fmt: skip
    with pytest.raises(RoadImportError) as refused:
        road_import(data=bad)
    text = str(refused.value)
    for expected in ("R9", "seq", "duties", "LineString"):
        assert expected in text, expected
    assert len(refused.value.problems) >= 4
    assert not Road.objects.exists() and not RoadSegment.objects.exists()


def test_export_is_what_import_reads_back(road, tmp_path):
    exported = road_export()
    path = tmp_path / "roads.geojson"
    call_command("export_roads", str(path))
    call_command("import_roads", str(path))
    assert road_export() == exported
    assert RoadSegment.objects.count() == 2


def test_a_case_on_a_segment_names_its_people_and_the_road_chief(road, city, client):
    responsibility = responsible_at_point(point=ON_ROAD)
    assert responsibility.role == "segment_manager" and responsibility.person.name == "管理员甲"
    case = case_report(source=Source.HOTLINE, point=ON_ROAD, description="路面垃圾", now=NOW)
    assert case.road_segment.code == "R1-001" and case.responsible.name == "管理员甲"
    off = case_report(source=Source.HOTLINE, point=OFF_ROAD, description="别处", now=NOW)
    assert off.road_segment is None and off.responsible_role == "micro_chief"
    client.force_login(city["clerk"])
    shown = client.get(reverse("cases_api:detail", args=[case.pk])).json()["responsible"]
    assert shown["role"] == "segment_manager"
    assert shown["segment"]["road"] == "振兴路" and shown["segment"]["road_chief"] == "路长甲"
    assert shown["segment"]["manager"] == "管理员甲" and shown["segment"]["inspector"] == "监督员甲"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "振兴路第1段" in page and "监督员甲" in page and "路长甲" in page


def test_a_shop_on_the_road_answers_first_and_the_case_stays_on_the_segment(road, city):
    shop = PlaceFactory(kind=PlaceKind.SHOP, code="S1", micro_grid=city["a"], geometry=ON_ROAD)
    shop.chief = PersonFactory(name="店长甲")
    shop.save()
    case = case_report(source=Source.HOTLINE, point=ON_ROAD, description="门前堆物", now=NOW)
    assert case.responsible.name == "店长甲" and case.road_segment.code == "R1-001"


def test_roads_and_segments_are_ranked_on_the_cases_on_them(road, city):
    for _ in range(2):
        case = case_report(source=Source.HOTLINE, point=ON_ROAD, description="路面垃圾", now=NOW)
        case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"], now=NOW)
    facts_refresh()
    period, later = Period.containing("month", NOW.date()), NOW + datetime.timedelta(hours=1)
    (ranked,) = road_ranking(period=period, now=later, min_cases=1)
    assert ranked.unit == road and ranked.figures["assessed"] == 2 and ranked.rank == 1
    by_segment = {s.code: f["assessed"] for s, f in segment_figures(road=road, period=period, now=later)}
    assert by_segment == {"R1-001": 2, "R1-002": 0}


def test_a_road_chief_sees_the_cases_on_their_road(road, city, make_user):
    chief = make_user("road_chief", Role.PLACE_CHIEF)
    road.chief.user = chief
    road.chief.save()
    on, off = (case_report(source=Source.HOTLINE, point=p, description="x", now=NOW) for p in (ON_ROAD, OFF_ROAD))
    assert list(cases_visible_to(user=chief)) == [on]
    assert off not in cases_visible_to(user=chief)


def test_a_segment_may_not_take_the_order_of_one_already_on_the_road(road):
    extra = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"segment": "R1-003", "road": "R1", "seq": 1, "name": "振兴路第3段"},
         "geometry": line(118.608, 118.610)},
    ]}  # fmt: skip
    with pytest.raises(RoadImportError, match="R1-001"):
        road_import(data=extra)
    # Swapping two orders within one file is fine.
    swapped = roads_file(f1={"seq": 2}, f2={"seq": 1})
    road_import(data=swapped)
    assert list(road.segments.order_by("seq").values_list("code", flat=True)) == ["R1-002", "R1-001"]
