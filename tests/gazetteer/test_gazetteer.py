"""The gazetteer: import (all or nothing, every bad row named), search by 汉字, pinyin and
initials, street + door number, reverse lookup, and the API's gate."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from accounts.roles import Role
from gazetteer.models import Entry
from gazetteer.selectors import gazetteer_reverse, gazetteer_search
from gazetteer.services import GazetteerImportError, gazetteer_import

pytestmark = pytest.mark.django_db
# 兴隆路 runs east from 118.600 to 118.610 at 34.905 (about 913 m), doors 1–99 on one segment.
WEST, EAST, LAT = 118.600, 118.610, 34.905


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def feature(code, kind, name, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, "kind": kind, "name": name, **props}, "geometry": geometry}


def point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]}


def line(*coords):
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def town():
    return {
        "type": "FeatureCollection",
        "features": [
            feature("ST1", "street", "兴隆路", line((WEST, LAT), (EAST, LAT)), number_from=1, number_to=99),
            feature(
                "ST2",
                "street",
                "兴大大街",
                line((118.605, 34.90), (118.605, 34.91)),
                number_from=2,
                number_to=60,
                parity="even",
            ),  # fmt: skip
            feature("B1", "building", "兴隆小区3号楼", point(118.6091, 34.9052), street="兴隆路", number="88"),
            feature("P1", "poi", "兴隆超市", point(118.6011, 34.9051), street="兴隆路", number="3"),
            feature("P2", "poi", "县第一中学", point(118.620, 34.920)),
        ],
    }


@pytest.fixture
def gazetteer():
    return gazetteer_import(data=json.dumps(town()))


def test_it_imports_streets_buildings_and_places_with_their_pinyin(gazetteer):
    assert (gazetteer.created, gazetteer.updated) == (5, 0)
    street = Entry.objects.get(code="ST1")
    assert (street.pinyin, street.initials) == ("xinglonglu", "xll")
    assert (street.number_from, street.number_to, street.street) == (1, 99, "兴隆路")
    assert Entry.objects.get(code="B1").address == "兴隆路88号"
    again = gazetteer_import(data=town())
    assert (again.created, again.updated) == (0, 5) and Entry.objects.count() == 5


def test_it_refuses_a_file_with_bad_rows_naming_each_and_writes_nothing(gazetteer):
    data = town()
    data["features"][0]["properties"]["name"] = "改名"
    data["features"] += [
        feature("", "poi", "无编码", point(118.6, 34.9)),
        feature("ST1", "poi", "重复", point(118.6, 34.9)),
        feature("X1", "river", "河", point(118.6, 34.9)),
        feature("X2", "street", "一条点状的路", point(118.6, 34.9)),
        feature("X3", "street", "倒过来的路", line((118.6, 34.9), (118.61, 34.9)), number_from=50, number_to=10),
        feature("X4", "poi", "坐标颠倒", point(34.9, 218.6)),
        feature("X5", "poi", "有号无街", point(118.6, 34.9), number="5"),
        feature("X6", "poi", "", point(118.6, 34.9)),
    ]
    with pytest.raises(GazetteerImportError) as caught:
        gazetteer_import(data=data)
    problems = caught.value.problems
    assert problems == [
        "feature #6: missing code",
        "feature #7 (code ST1): duplicate code (also feature #1)",
        "feature #8 (code X1): unknown kind 'river' (expected street, building or poi)",
        "feature #9 (code X2): a street must be drawn as LineString / MultiLineString, not Point",
        "feature #10 (code X3): number_from is greater than number_to",
        "feature #11 (code X4): coordinates out of range: longitude first, then latitude, in degrees",
        "feature #12 (code X5): a door number needs its street",
        "feature #13 (code X6): missing name",
    ]
    assert Entry.objects.get(code="ST1").name == "兴隆路" and Entry.objects.count() == 5


def test_it_imports_csv_with_points_and_lines_and_refuses_bad_rows():
    good = (
        "code,kind,name,street,number,number_from,number_to,parity,lon,lat,wkt\n"
        'ST1,street,兴隆路,,,1,99,,,,"LINESTRING(118.6 34.905, 118.61 34.905)"\n'
        "P1,poi,兴隆超市,兴隆路,3,,,,118.6011,34.9051,\n"
    )
    summary = gazetteer_import(data=good, format="csv")
    assert summary.created == 2 and Entry.objects.get(code="ST1").geometry.geom_type == "LineString"
    bad = good + "P2,poi,坏点,,,,,,东经,北纬,\nP3,building,楼,兴隆路,8,,,odd-ish,118.6,34.9,\n"
    with pytest.raises(GazetteerImportError) as caught:
        gazetteer_import(data=bad, format="csv")
    assert caught.value.problems == [
        "row 4 (code P2): malformed geometry",
        "row 5 (code P3): parity must be all, odd or even, not 'odd-ish'",
    ]
    with pytest.raises(GazetteerImportError, match="missing columns: lon \\+ lat or wkt"):
        gazetteer_import(data="code,kind,name\nA,poi,甲\n", format="csv")


def names(text):
    return [found.name for found in gazetteer_search(text=text)]


def test_it_finds_by_chinese_text(gazetteer):
    assert names("兴隆")[:3] == ["兴隆路", "兴隆小区3号楼", "兴隆超市"]
    assert "县第一中学" in names("第一中学")  # from the middle of a name
    assert names("不存在的地方") == []


def test_it_finds_by_pinyin_and_by_initials(gazetteer):
    assert names("xinglonglu") == ["兴隆路"]
    assert names("XingLong")[0] == "兴隆路"
    assert names("xll") == ["兴隆路"]
    assert set(names("xl")) >= {"兴隆路", "兴隆小区3号楼", "兴隆超市"}
    assert names("xddj") == ["兴大大街"]


def test_it_places_a_door_number_on_its_street(gazetteer):
    (door, *_rest) = gazetteer_search(text="兴隆路50号")
    assert (door.kind, door.address) == ("door", "兴隆路50号")
    # 50 of 1–99 is half way along: the middle of the street
    assert door.lon == pytest.approx((WEST + EAST) / 2, abs=1e-4) and door.lat == pytest.approx(LAT, abs=1e-6)
    # a building with exactly that address wins, also spelt in pinyin initials
    for text in ("兴隆路88号", "xll88", "xinglonglu 88"):
        found = gazetteer_search(text=text)[0]
        assert (found.kind, found.name, found.address) == ("building", "兴隆小区3号楼", "兴隆路88号"), text
    assert all(found.kind != "door" for found in gazetteer_search(text="兴大大街7号"))  # odd, on an even-only street
    assert gazetteer_search(text="兴大大街8号")[0].address == "兴大大街8号"


def test_reverse_lookup_names_the_nearest_address(gazetteer):
    at_shop = gazetteer_reverse(point=Point(118.6012, 34.9052, srid=4326))
    assert (at_shop.address, at_shop.name) == ("兴隆路3号", "兴隆超市") and at_shop.distance_m < 15
    # a point on the street 30 % of the way along and away from any building: the door number there
    on_street = gazetteer_reverse(point=Point(WEST + 0.3 * (EAST - WEST), LAT + 0.0001, srid=4326))
    assert on_street.kind == "door" and on_street.address == "兴隆路30号"
    assert gazetteer_reverse(point=Point(118.70, 34.95, srid=4326)) is None  # far from everything


def test_the_api_searches_and_reverses_for_staff_only(gazetteer, client, make_user):
    search = "/api/gazetteer/search/"
    reverse = "/api/gazetteer/reverse/"
    assert client.get(search, {"q": "xll"}).status_code in (401, 403)
    client.force_login(make_user("norole"))
    assert client.get(search, {"q": "xll"}).status_code == 403
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    body = client.get(search, {"q": "xll"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [item["name"] for item in body] == ["兴隆路"] and body[0]["kind_label"] == "Street"
    assert client.get(search).status_code == 400
    answer = client.get(reverse, {"lon": 118.6012, "lat": 34.9052}).json()
    assert answer["found"] and answer["result"]["address"] == "兴隆路3号"
    assert client.get(reverse, {"lon": 118.70, "lat": 34.95}).json() == {
        "found": False,
        "within_m": 50.0,
        "result": None,
    }
    assert client.get(reverse, {"lon": "east", "lat": 34.9}).status_code == 400
