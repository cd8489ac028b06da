"""The dashboard and the assessment API read in a number of statements that does not grow with
the grids or the cases: measured on October's city, then again with 60 more micro grids (units
without cases, each once a statement of its own) and more cases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.facts import facts_refresh
from cases.models import Source
from cases.services import case_report
from tests.assessments.conftest import IN_M2, at
from tests.grids.factories import GridFactory, square

pytestmark = pytest.mark.django_db
OCT = "period=month&day=2026-10-05"
QUARTER = "period=quarter&day=2026-10-05"


@pytest.fixture
def supervisor_client(client, october):
    client.force_login(october["supervisor"])
    return client


def grow(city) -> None:
    """60 more micro grids in C1 (no cases), 40 more reports."""
    for n in range(60):
        GridFactory(level="micro", code=f"MX{n:02d}", parent=city["community"],
                    boundary=square(118.70 + n * 0.001, 34.99, 0.0005))  # fmt: skip
    for n in range(40):
        case_report(source=Source.HOTLINE, point=IN_M2, description="more", now=at(5 + n % 20, 9))
    facts_refresh()


def statements(client, url: str) -> list[str]:
    client.get(url)  # what a process keeps (the settings, the catalogue) is read once
    with CaptureQueriesContext(connection) as read:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in read.captured_queries]


@pytest.mark.parametrize(
    "url",
    [
        f"/assessments/?{OCT}",
        f"/assessments/?{QUARTER}",
        f"/assessments/?{OCT}&grid=community",
        f"/api/assessments/figures/?{OCT}",
        f"/api/assessments/rankings/micro/?{OCT}",
        f"/api/assessments/rankings/department/?{OCT}",
        f"/api/assessments/breakdown/category/?{OCT}",
        f"/api/assessments/trend/?{OCT}",
        f"/api/assessments/map/?{OCT}&parent=community",
        f"/api/assessments/allocation/?{OCT}",
    ],
)
def test_it_reads_in_a_fixed_number_of_statements_whatever_the_grids(supervisor_client, october, url):
    url = url.replace("=community", f"={october['community'].pk}")
    before = statements(supervisor_client, url)
    grow(october)
    after = statements(supervisor_client, url)
    assert len(after) == len(before), "\n".join(after)
    assert len(after) <= 30


def test_it_reads_the_dashboard_in_few_statements(supervisor_client, october):
    sql = statements(supervisor_client, f"/assessments/?{QUARTER}")
    # session, user, roles; the rollup's freshness (2); the cards: three periods in one statement
    # (cases only), overdue now; the ranking of the large grids, the departments and
    # both breakdowns in one statement per table; the grids and departments ranked; the stored
    # months, the current month; the filters' departments and categories
    assert len(sql) <= 20, "\n".join(sql)
    assert sum('MAX("cases_caseevent"."id")' in s for s in sql) == 1  # freshness checked once
    assert not any("assessments_assessmentsettings" in s for s in sql)  # the settings are the process's
