"""Grid import tells everything at once: every problem of a file in one pass (parents,
containment and overlaps included), overlaps between siblings refused above the sliver
tolerance, retired grids left out of the overlap and coverage checks."""

import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from grids.models import Grid, Place
from grids.selectors import grid_coverage_problems
from grids.services import GridImportError, grid_import
from tests.grids.test_import import collection, county, grid_feature, place_feature, ring

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def problems_of(data) -> list[str]:
    with pytest.raises(GridImportError) as caught:
        grid_import(data=data)
    return [str(problem) for problem in caught.value.problems]


def test_it_lists_every_kind_of_problem_in_one_pass():
    grid_import(data=county())  # D → L → C → M1, M2 (0.01° squares side by side), a shop and a street in M1
    before = (Grid.objects.count(), Place.objects.count())
    bowtie = {"type": "Polygon", "coordinates": [[[118.60, 34.92], [118.61, 34.93], [118.61, 34.92], [118.60, 34.93], [118.60, 34.92]]]}  # fmt: skip
    features = [
        grid_feature("C2", "community", "L", box=(118.596, 34.921, 0.003)),  # 1: fine
        grid_feature("", "micro", "C2"),  # 2: missing code
        grid_feature("C2", "micro", "C"),  # 3: duplicate code
        {**grid_feature("X1", "micro", "C"), "properties": {"code": "X1", "level": "micro", "parent": "C"}},  # 4: no name
        grid_feature("X2", "huge", "C"),  # 5: unknown level
        {**grid_feature("X3", "micro", "C"), "geometry": bowtie},  # 6: self-intersecting polygon
        grid_feature("X4", "micro", "C", valid_from="yesterday"),  # 7: bad date
        grid_feature("X5", "micro", "NOPE", box=(118.60, 34.91, 0.005)),  # 8: unknown parent
        grid_feature("X6", "micro", "X1", box=(118.60, 34.91, 0.005)),  # 9: parent refused above (#4)
        grid_feature("X7", "micro", "L", box=(118.60, 34.91, 0.005)),  # 10: level breaks the tree
        grid_feature("X8", "micro", "C", box=(118.65, 34.95, 0.005)),  # 11: outside its parent
        grid_feature("X9", "micro", "C", box=(118.605, 34.90, 0.002)),  # 12: overlaps M1 (already imported)
        grid_feature("Y1", "micro", "C", box=(118.60, 34.912, 0.004)),  # 13: fine by itself …
        grid_feature("Y2", "micro", "C", box=(118.602, 34.914, 0.004)),  # 14: … overlaps Y1 (same file)
        grid_feature("Y3", "micro", "C", box=(118.61, 34.912, 0.004), region_class="9"),  # 15: unknown class
        grid_feature("Y4", "community", "L", box=(118.61, 34.912, 0.004), region_class="1"),  # 16: class on a community
        place_feature("P1", "shop", "ZZ", {"type": "Point", "coordinates": [118.605, 34.905]}),  # 17: unknown grid
        place_feature("P2", "shop", "M1", {"type": "Point", "coordinates": [118.615, 34.905]}),  # 18: outside M1
        place_feature("P3", "shop", "M1", {"type": "LineString", "coordinates": [[118.601, 34.901], [118.602, 34.902]]}),  # 19
        place_feature("P4", "shop", "X1", {"type": "Point", "coordinates": [118.605, 34.905]}),  # 20: grid refused (#4)
    ]  # fmt: skip
    problems = problems_of(collection(*features))
    expected = {
        2: "missing code",
        3: "duplicate code (also feature #1)",
        4: "missing name",
        5: "unknown level 'huge'",
        6: "invalid polygon",
        7: "valid_from must be a date",
        8: "unknown parent NOPE",
        9: "refers to X1, which is refused (feature #4)",
        10: "a micro grid's parent must be a community grid, not large",
        11: "lies outside its parent C",
        12: "overlaps its sibling M1 (already imported) by",
        14: "overlaps its sibling Y1 (feature #13) by",
        15: "unknown region class 9",
        16: "only micro grids have a region class",
        17: "unknown grid ZZ",
        18: "lies outside its micro grid M1",
        19: "a shop must be drawn as Point, not LineString",
        20: "refers to X1, which is refused (feature #4)",
    }
    for index, reason in expected.items():
        assert any(p.startswith(f"feature #{index}") and reason in p for p in problems), (index, reason, problems)
    assert len(problems) == len(expected), problems
    assert (Grid.objects.count(), Place.objects.count()) == before


def test_it_refuses_siblings_that_overlap_naming_the_area():
    grid_import(data=county())
    # X reaches 0.001° (about 111 m) down into M2 along its 0.01° (913 m) width: about 0.1 km²
    data = collection(grid_feature("X", "micro", "C", box=(118.61, 34.90, 0.0)))
    data["features"][0]["geometry"]["coordinates"] = [
        [[118.61, 34.909], [118.62, 34.909], [118.62, 34.92], [118.61, 34.92], [118.61, 34.909]]
    ]
    (problem,) = problems_of(data)
    assert problem.startswith("feature #1 (code X): overlaps its sibling M2 (already imported) by 101,")
    assert "m² (at most 1 m² is tolerated)" in problem
    assert not Grid.objects.filter(code="X").exists()


def test_it_accepts_a_sliver_under_the_tolerance_and_says_so(settings):
    grid_import(data=county())
    # X reaches 1e-6° (about 11 cm) into M2 along its 0.01° (913 m) width: about 100 m²
    sliver = [[118.61, 34.909999], [118.62, 34.909999], [118.62, 34.92], [118.61, 34.92], [118.61, 34.909999]]
    data = collection(grid_feature("X", "micro", "C", box=(118.61, 34.90, 0.0)))
    data["features"][0]["geometry"]["coordinates"] = [sliver]
    (problem,) = problems_of(data)  # above the default tolerance of 1 m²
    assert "overlaps its sibling M2" in problem
    settings.GRID_OVERLAP_TOLERANCE_M2 = 200
    summary = grid_import(data=data)
    assert summary.grids_created == 1
    (warning,) = summary.warnings
    assert warning.startswith("feature #1 (code X): overlaps its sibling M2 (already imported) by 10")
    assert "under the tolerance of 200 m²: accepted" in warning


def test_siblings_touching_along_an_edge_do_not_overlap():
    grid_import(data=county())
    summary = grid_import(data=collection(grid_feature("X", "micro", "C", box=(118.60, 34.91, 0.01))))
    assert summary.grids_created == 1 and summary.warnings == []


def test_retired_grids_are_left_out_of_the_overlap_check():
    grid_import(data=county())
    retired = county()["features"][4]  # M2
    retired["properties"]["valid_to"] = "2020-12-31"
    grid_import(data=collection(retired))
    # X takes M2's place: M2 is retired, so they do not overlap
    summary = grid_import(data=collection(grid_feature("X", "micro", "C", box=(118.61, 34.90, 0.01))))
    assert summary.grids_created == 1
    # and a retired grid in the file is not checked against its siblings either
    grid_import(data=collection({**retired, "properties": {**retired["properties"], "name": "旧网格"}}))
    assert Grid.objects.get(code="M2").name == "旧网格"


def test_validation_ignores_retired_grids(capsys):
    grid_import(data=county())
    m2 = Grid.objects.get(code="M2")
    grid_import(data=collection(grid_feature("X", "micro", "C", box=(118.61, 34.90, 0.01), valid_to="2020-12-31")))
    # X overlaps M2 exactly, but X is retired: no overlap; retire M2 too and its place is a gap
    kinds = [(p.kind, p.parent.code) for p in grid_coverage_problems(parents=Grid.objects.filter(code="C"))]
    assert ("overlap", "C") not in kinds
    m2.valid_to = datetime.date(2021, 1, 1)
    m2.save()
    gaps = [p for p in grid_coverage_problems(parents=Grid.objects.filter(code="C")) if p.kind == "gap"]
    assert any(p.area_m2 > 1_000_000 for p in gaps)  # M2's square, no longer covered


def test_the_command_speaks_the_installation_language(tmp_path):
    data = county()
    data["features"][4]["properties"]["parent"] = "NOPE"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    from django.core.management import CommandError

    with translation.override("zh-hans"), pytest.raises(CommandError) as caught:
        call_command("import_grids", str(path))
    message = str(caught.value)
    assert message.startswith("未导入任何内容") and "NOPE" in message
    assert "Nothing was imported" not in message and "feature #" not in message


def test_ring_helper_is_closed():
    assert ring(0, 0, 1)[0] == ring(0, 0, 1)[-1]
