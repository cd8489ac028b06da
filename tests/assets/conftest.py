"""The lifecycle personas (tests.cases.conftest) and a few assets in micro grid M1.

M1 is x 118.60–118.61, y 34.90–34.91 (tests.grids.factories.build_tree). The shipped catalogue
has 上水井盖 C0101 and 路灯 C0120 (default department 市政, municipal) and 垃圾箱 C0305 (环卫).
"""

import pytest
from django.contrib.gis.geos import LineString, Point
from django.utils import translation

from assets.models import Asset
from assets.services import asset_save
from cases.models import Category, Department
from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401  (fixtures)

__all__ = ["IN_M1", "NOW", "code", "make_asset"]
DIVISION = "371329"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def code(category: str, serial: int) -> str:
    """A standard asset code in the test county: division + the subcategory's 4 digits + serial."""
    return f"{DIVISION}{category}{serial:06d}"


def make_asset(category: str = "0101", serial: int = 1, *, at=(118.6045, 34.9045), line=None, maintainer=None, **extra):
    geometry = LineString(line, srid=4326) if line else Point(*at, srid=4326)
    asset = Asset(
        code=code(category, serial),
        category=Category.objects.get(major__kind="component", code=category),
        geometry=geometry,
        maintainer=Department.objects.get(code=maintainer) if maintainer else None,
        **extra,
    )
    return asset_save(asset=asset)


@pytest.fixture
def cover(city):  # noqa: F811  (the fixture imported above)
    """上水井盖 in M1, maintained by 住建 (housing), not its subcategory's default 市政 (municipal)."""
    return make_asset("0101", 1, maintainer="housing", name="人民路 12 号门前", owner="县自来水公司")
