"""GeoJSON import and export: the happy path, and every bad input writing nothing."""

import json

import pytest
from django.utils import translation

from grids.models import Grid, Level, Person, Place
from grids.services import GridImportError, grid_export, grid_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def ring(x0, y0, size):
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def grid_feature(code, level, parent=None, box=(118.60, 34.90, 0.02), **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"网格{code}", "level": level, "parent": parent, **props},
        "geometry": {"type": "Polygon", "coordinates": [ring(*box)]},
    }


def place_feature(code, kind, grid, geometry, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"地点{code}", "kind": kind, "grid": grid, **props},
        "geometry": geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def county():
    """District D → large L → community C → micros M1, M2, and a shop and a street in M1."""
    return collection(
        grid_feature("D", "district", box=(118.59, 34.89, 0.04), chief_name="区长", chief_phone="13800000001"),
        grid_feature("L", "large", "D", box=(118.595, 34.895, 0.03), chief_name="大网格长", chief_phone="13800000002"),
        grid_feature("C", "community", "L", box=(118.60, 34.90, 0.02), chief_name="社区网格长"),
        grid_feature("M1", "micro", "C", box=(118.60, 34.90, 0.01), chief_name="微网格长甲", chief_phone="13900000001"),
        grid_feature("M2", "micro", "C", box=(118.61, 34.90, 0.01), chief_name="微网格长乙", chief_phone="13900000002"),
        place_feature(
            "S1", "shop", "M1", {"type": "Point", "coordinates": [118.605, 34.905]}, chief_name="店长", reach_m=12
        ),
        place_feature(
            "R1",
            "street",
            "M1",
            {"type": "LineString", "coordinates": [[118.601, 34.903], [118.609, 34.903]]},
            chief_name="街长",
        ),
    )


def counts():
    return Grid.objects.count(), Place.objects.count(), Person.objects.count()


def test_it_imports_grids_places_and_chiefs():
    progress = []
    summary = grid_import(data=json.dumps(county()), progress=lambda done, total, stage: progress.append((done, total)))
    assert summary.grids_created == 5 and summary.places_created == 2 and summary.people_created == 7
    micro = Grid.objects.select_related("parent__parent__parent", "chief").get(code="M1")
    assert micro.level == Level.MICRO and micro.parent.code == "C" and micro.parent.parent.parent.code == "D"
    assert micro.chief.name == "微网格长甲" and micro.chief.phone == "13900000001"
    # 0.01° × 0.01° at 34.9° N is about 913 m × 1,109 m
    assert micro.area_m2 == pytest.approx(1_013_000, rel=0.01)
    shop = Place.objects.get(code="S1")
    assert shop.micro_grid == micro and shop.chief.name == "店长" and shop.reach_m == 12
    assert shop.reach.contains(shop.geometry)
    assert progress[-1] == (7, 7)


def test_it_upserts_by_code_so_a_second_import_changes_nothing():
    grid_import(data=county())
    before = counts()
    data = county()
    data["features"][3]["properties"]["name"] = "新名字"
    summary = grid_import(data=data)
    assert counts() == before
    assert summary.grids_updated == 5 and summary.grids_created == 0 and summary.people_created == 0
    assert Grid.objects.get(code="M1").name == "新名字"


def test_it_adds_children_to_grids_already_in_the_database():
    grid_import(data=collection(*county()["features"][:3]))
    grid_import(data=collection(grid_feature("M9", "micro", "C", box=(118.60, 34.91, 0.01))))
    assert Grid.objects.get(code="M9").parent.code == "C"


def test_export_reads_back_unchanged():
    grid_import(data=county())
    exported = grid_export()
    Place.objects.all().delete()
    Grid.objects.order_by("-level").filter(level="micro").delete()
    for level in ("community", "large", "district"):
        Grid.objects.filter(level=level).delete()
    grid_import(data=json.dumps(exported))
    assert grid_export() == exported
    assert [f["properties"]["code"] for f in exported["features"]] == ["D", "L", "C", "M1", "M2", "R1", "S1"]


def assert_rejected(data, *expected):
    grid_import(data=county())
    before = counts()
    names = list(Grid.objects.order_by("code").values_list("name", flat=True))
    with pytest.raises(GridImportError) as caught:
        grid_import(data=data)
    message = str(caught.value)
    for text in expected:
        assert text in message
    assert counts() == before
    assert list(Grid.objects.order_by("code").values_list("name", flat=True)) == names
    return caught.value


def renamed(data):
    for feature in data["features"]:
        feature["properties"]["name"] = "改过的名字"
    return data


def test_it_rejects_a_missing_code():
    data = renamed(county())
    del data["features"][4]["properties"]["code"]
    assert_rejected(data, "feature #5", "missing code")


def test_it_rejects_an_unknown_parent():
    data = renamed(county())
    data["features"][4]["properties"]["parent"] = "NOPE"
    assert_rejected(data, "feature #5 (code M2)", "unknown parent NOPE")


def test_it_rejects_an_invalid_polygon():
    data = renamed(county())
    bowtie = [[118.60, 34.90], [118.61, 34.91], [118.61, 34.90], [118.60, 34.91], [118.60, 34.90]]
    data["features"][3]["geometry"]["coordinates"] = [bowtie]
    assert_rejected(data, "feature #4 (code M1)", "invalid polygon", "Self-intersection")


def test_it_rejects_an_unclosed_ring():
    data = renamed(county())
    data["features"][3]["geometry"]["coordinates"][0].pop()
    assert_rejected(data, "feature #4 (code M1)", "closed")


def test_it_rejects_a_child_outside_its_parent():
    data = renamed(county())
    data["features"][4]["geometry"]["coordinates"] = [ring(118.625, 34.90, 0.01)]
    assert_rejected(data, "feature #5 (code M2)", "outside its parent C")


def test_it_rejects_a_duplicate_code():
    data = renamed(county())
    data["features"].append(grid_feature("M1", "micro", "C", box=(118.60, 34.91, 0.01)))
    assert_rejected(data, "feature #8 (code M1)", "duplicate code (also feature #4)")


def test_it_rejects_a_level_that_breaks_the_tree():
    data = renamed(county())
    data["features"][4]["properties"]["parent"] = "L"  # micro directly under a large grid
    assert_rejected(data, "feature #5 (code M2)", "community")


def test_it_rejects_a_changed_level_for_an_existing_code():
    data = renamed(county())
    data["features"][4]["properties"]["level"] = "community"
    data["features"][4]["properties"]["parent"] = "L"
    assert_rejected(data, "(code M2)", "level cannot change")


def test_it_rejects_a_place_outside_its_micro_grid_or_in_a_bigger_grid():
    data = renamed(county())
    data["features"][5]["geometry"]["coordinates"] = [118.615, 34.905]  # lies in M2, says M1
    data["features"][6]["properties"]["grid"] = "C"
    assert_rejected(data, "feature #6 (code S1): lies outside its micro grid M1", "feature #7 (code R1)", "micro grid")


def test_it_rejects_a_shop_drawn_as_a_line():
    data = renamed(county())
    data["features"][5]["geometry"] = {"type": "LineString", "coordinates": [[118.601, 34.901], [118.602, 34.902]]}
    assert_rejected(data, "feature #6 (code S1)", "Point")


def test_it_reports_every_bad_feature_at_once():
    data = renamed(county())
    del data["features"][2]["properties"]["name"]
    data["features"][3]["properties"]["level"] = "huge"
    error = assert_rejected(
        data,
        "feature #3 (code C): missing name",
        "feature #4 (code M1): unknown level",
        "feature #5 (code M2): refers to C, which is refused (feature #3)",
    )
    assert [p.index for p in error.problems] == [3, 4, 5]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("not json", "not valid JSON"),
        (json.dumps({"type": "Feature"}), "not a GeoJSON FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "holds no features"),
        (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]}), "properties"),
    ],
)
def test_it_rejects_a_file_that_is_not_a_feature_collection(payload, expected):
    assert_rejected(payload, expected)


def test_it_rejects_missing_geometry():
    data = renamed(county())
    data["features"][4]["geometry"] = None
    assert_rejected(data, "feature #5 (code M2): missing geometry")
