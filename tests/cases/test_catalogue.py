"""The shipped catalogue and departments, their loading, and routing to a department."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cases.catalogue import CatalogueError, catalogue_load, departments_load
from cases.models import Category, CategoryKind, Department, LimitUnit, MajorCategory, PublicCategory, RoutingRule
from cases.selectors import department_for
from grids.selectors import GridLocation
from tests.grids.factories import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue():
    departments_load()
    catalogue_load()


def test_it_loads_the_shipped_catalogue(catalogue):
    assert Department.objects.count() == 6
    assert set(Department.objects.values_list("short_name", flat=True)) == {
        "环卫",
        "园林",
        "市政",
        "综合执法",
        "住建",
        "交警",
    }
    assert Category.objects.count() == 50
    assert MajorCategory.objects.filter(kind=CategoryKind.COMPONENT).count() == 6
    assert MajorCategory.objects.filter(kind=CategoryKind.EVENT).count() == 6
    garbage = Category.objects.select_related("major", "default_department").get(major__kind="event", code="0102")
    assert garbage.name == "暴露垃圾" and garbage.full_code == "E0102"
    assert garbage.time_limit(urgent=False) == (4, LimitUnit.WORKING_HOURS)
    assert garbage.time_limit(urgent=True) == (4, LimitUnit.WORKING_HOURS)  # no urgent limit: the same
    assert garbage.default_department.short_name == "环卫"
    assert garbage.public_category == PublicCategory.SANITATION
    cover = Category.objects.get(major__kind="component", code="0102")
    assert cover.name == "污水井盖" and cover.time_limit(urgent=True) == (2, LimitUnit.HOURS)
    # emergencies (事件 04) dispatch without waiting for the chief
    assert not Category.objects.get(major__kind="event", code="0401").needs_approval
    assert garbage.needs_approval


def test_it_loads_again_without_changing_anything(catalogue):
    ids = sorted(Category.objects.values_list("pk", flat=True))
    summary = catalogue_load()
    assert (summary.created, summary.updated) == (0, 50)
    assert sorted(Category.objects.values_list("pk", flat=True)) == ids


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda row: row.replace("working_hours", "fortnights", 1), "unknown time unit 'fortnights'"),
        (lambda row: row.replace(",环卫,", ",清洁公司,", 1), "unknown department '清洁公司'"),
        (lambda row: row.replace("event,", "incident,", 1), "unknown kind 'incident'"),
    ],
)
def test_it_refuses_a_bad_catalogue_and_loads_nothing(change, message):
    departments_load()
    from cases.catalogue import DATA

    lines = (DATA / "catalogue.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines) if "暴露垃圾" in line)
    lines[row] = change(lines[row])
    with pytest.raises(CatalogueError, match=f"line {row + 1}: {message}"):
        catalogue_load(text="\n".join(lines))
    assert Category.objects.count() == 0 and MajorCategory.objects.count() == 0


def test_it_refuses_a_file_without_the_columns():
    with pytest.raises(CatalogueError, match="missing columns: .*limit"):
        catalogue_load(text="kind,major_code\nevent,01\n")


def test_the_command_loads_all_or_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,major_code\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was loaded: missing columns"):
        call_command("load_catalogue", "--catalogue", str(bad))
    assert Department.objects.count() == 0  # the departments' load was rolled back too
    call_command("load_catalogue")
    assert "Categories: 50 created" in capsys.readouterr().out


def test_it_routes_by_the_deepest_rule_then_citywide_then_default(catalogue):
    tree = build_tree()
    garbage = Category.objects.get(major__kind="event", code="0102")
    sanitation, enforcement, housing = (
        Department.objects.get(code=c) for c in ("sanitation", "enforcement", "housing")
    )
    here = GridLocation(point=None, micro=tree["a"])
    assert department_for(category=garbage, grid_ids=[g.pk for g in here.chain]) == sanitation
    RoutingRule.objects.create(category=garbage, grid=None, department=housing)
    assert department_for(category=garbage, grid_ids=[g.pk for g in here.chain]) == housing
    RoutingRule.objects.create(category=garbage, grid=tree["large"], department=enforcement)
    assert department_for(category=garbage, grid_ids=[g.pk for g in here.chain]) == enforcement
    # outside the jurisdiction only the city-wide rule applies
    assert department_for(category=garbage, grid_ids=[]) == housing
