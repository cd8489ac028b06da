"""The management commands: import, export, validate."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from grids.models import Grid
from tests.grids.factories import GridFactory, build_tree, rect, square
from tests.grids.test_import import county

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_it_imports_a_file_and_shows_progress(tmp_path, capsys):
    path = tmp_path / "county.geojson"
    path.write_text(json.dumps(county()), encoding="utf-8")
    call_command("import_grids", str(path))
    out = capsys.readouterr().out
    assert "Checking 7 features" in out
    assert "7/7 (100%)" in out
    assert "5 grids created" in out
    assert Grid.objects.count() == 5


def test_it_fails_naming_the_feature_and_writes_nothing(tmp_path):
    data = county()
    data["features"][4]["properties"]["parent"] = "NOPE"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=r"Nothing was imported.*\n.*feature #5 \(code M2\): unknown parent NOPE"):
        call_command("import_grids", str(path))
    assert Grid.objects.count() == 0


def test_it_refuses_a_missing_file():
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_grids", "/nonexistent/file.geojson")


def test_it_exports_what_it_imports(tmp_path):
    build_tree()
    out = tmp_path / "out.geojson"
    call_command("export_grids", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in data["features"]] == ["D1", "L1", "C1", "M1", "M2"]
    assert data["features"][3]["properties"]["chief_name"] == "M1长"


def test_it_validates_a_clean_tiling(capsys):
    tree = build_tree()
    call_command("validate_grids", "--parent", tree["community"].code)
    assert "No overlaps or gaps" in capsys.readouterr().out


def test_it_reports_overlaps_and_gaps_between_siblings(capsys):
    tree = build_tree()
    # M3 overlaps M2 by 0.002° × 0.002° (about 180 m × 220 m); M1 shrinks and leaves a strip of C1 uncovered
    GridFactory(code="M3", level="micro", parent=tree["community"], boundary=square(118.618, 34.90, 0.002))
    tree["a"].boundary = rect(118.60, 34.90, 0.01, 0.009)
    tree["a"].save()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("validate_grids", "--parent", "C1")
    out = capsys.readouterr().out
    assert "OVERLAP in C1: M2 × M3" in out
    assert "GAP in C1" in out


def test_it_ignores_slivers_below_the_threshold(capsys):
    tree = build_tree()
    # M1 reaches 1e-6° (about 0.09 m) into M2 along their 1.1 km edge: a sliver of about 100 m²
    tree["a"].boundary = rect(118.60, 34.90, 0.010001, 0.01)
    tree["a"].save()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("validate_grids", "--parent", "C1")
    call_command("validate_grids", "--parent", "C1", "--min-area", "1000")
    assert "No overlaps or gaps" in capsys.readouterr().out
