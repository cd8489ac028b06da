"""The city of tests.cases.conftest, English messages, media in a folder of the test's own."""

import pytest
from django.utils import translation

from tests.cases.conftest import IN_M1, NOW, city, report  # noqa: F401  (fixtures)

__all__ = ["IN_M1", "NOW"]


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
