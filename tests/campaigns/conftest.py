"""The lifecycle personas (tests.cases.conftest), in English, and a micro grid M9 in the
neighbouring community C9 (whose chief is "neighbour")."""

import pytest
from django.utils import translation

from tests.cases.conftest import city as lifecycle_city
from tests.grids.factories import GridFactory, square

__all__ = ["lifecycle_city"]


@pytest.fixture
def city(lifecycle_city):
    GridFactory(
        level="micro", code="M9", parent=lifecycle_city["other_community"], boundary=square(118.60, 34.91, 0.01)
    )
    return lifecycle_city


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield
