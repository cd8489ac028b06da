"""Intake on its short path: one statement to locate the point and name who answers there, one
for the tracking number (not holding the day's row for the transaction), the case and its event,
and the answer built from what was written: the same case the detail API then shows, in a number
of statements that does not grow with the data."""

import datetime
import threading
import uuid
from unittest import mock

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.tokens import api_token_create
from cases.models import Case, DailySequence, Source
from cases.services import InvalidInput, case_report
from grids.models import Place, PlaceKind
from grids.selectors import grid_at_point, responsible_at_point, roads_exist
from tests.cases.conftest import IN_M1, NOW
from tests.grids.factories import PersonFactory

pytestmark = pytest.mark.django_db
LIST = "/api/cases/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def clerk_api(client, city):
    _token, key = api_token_create(user=city["clerk"], name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
    return client


def body(city, **extra) -> dict:
    return {
        "lon": IN_M1.x, "lat": IN_M1.y, "source": "hotline", "category": city["garbage"].pk,
        "description": "路边暴露垃圾", "reporter_name": "王小明", "reporter_phone": "13812341234",
        "request_id": str(uuid.uuid4()), **extra,
    }  # fmt: skip


def statements(queries) -> list[str]:
    """What the database was sent; the test's transaction shows BEGIN and COMMIT as a savepoint and its release."""
    return [q["sql"] or "(a prepared statement)" for q in queries]


def test_it_answers_a_report_as_the_detail_api_then_shows_it(clerk_api, city):
    answer = clerk_api.post(LIST, body(city), content_type="application/json")
    assert answer.status_code == 201
    shown = clerk_api.get(f"{LIST}{answer.json()['id']}/").json()
    assert answer.json() == shown
    assert shown["responsible"] == {"name": "M1长", "role": "micro_chief", "role_label": "微网格长", "segment": None}
    assert [step["step"] for step in shown["step_clocks"]] == ["dispatch"]


@pytest.mark.parametrize("more", [0, 40])
def test_it_takes_a_report_in_nine_statements_whatever_the_data(clerk_api, city, report, more):
    for _ in range(more):
        report()
    clerk_api.post(LIST, body(city), content_type="application/json")  # the process reads its calendar once
    with CaptureQueriesContext(connection) as taken:
        assert clerk_api.post(LIST, body(city), content_type="application/json").status_code == 201
    sql = statements(taken.captured_queries)
    # token and user, roles, the point's grids and who answers there, the day's number, BEGIN,
    # the case, its event, COMMIT, the reporter's name for the timeline
    assert len(sql) == 9, "\n".join(sql)
    assert sum(s.startswith('INSERT INTO "cases_case') for s in sql) == 2  # the case, its event
    assert sum("cases_tracking_next" in s or "cases_dailysequence" in s for s in sql) == 1  # the day's number
    assert not any("cases_calendarday" in s or "cases_category" in s for s in sql)
    assert not any(s.startswith("SELECT") and "cases_case" in s for s in sql)  # nothing read back


def test_it_answers_a_repeated_request_with_the_first_case(clerk_api, city):
    sent = body(city)
    first = clerk_api.post(LIST, sent, content_type="application/json")
    again = clerk_api.post(LIST, sent, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1


def test_it_answers_a_repeated_request_even_if_the_point_is_now_refused(city):
    request_id = str(uuid.uuid4())
    case = case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=request_id, now=NOW)
    city["a"].boundary = city["b"].boundary  # the grid was redrawn: the point is outside now
    city["a"].save()
    again = case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=request_id, now=NOW)
    assert again.repeated and again.pk == case.pk
    with pytest.raises(InvalidInput, match="outside"):
        case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=str(uuid.uuid4()), now=NOW)


def test_it_refuses_someone_elses_request_id(city):
    request_id = str(uuid.uuid4())
    case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=request_id, now=NOW)
    with pytest.raises(InvalidInput, match="already used"):
        case_report(source=Source.HOTLINE, point=IN_M1, actor=city["leader"], request_id=request_id, now=NOW)
    assert Case.objects.count() == 1


def test_it_numbers_the_days_reports_uniquely_and_may_leave_gaps(city):
    request_id = str(uuid.uuid4())
    first = case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=request_id, now=NOW)
    case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], request_id=request_id, now=NOW)  # again
    third = case_report(source=Source.HOTLINE, point=IN_M1, actor=city["clerk"], now=NOW)
    assert first.tracking_number == "202611180001"
    assert third.tracking_number == "202611180003"  # the repeated request drew 0002 and did not use it
    next_day = case_report(source=Source.HOTLINE, point=IN_M1, now=NOW + datetime.timedelta(days=1))
    assert next_day.tracking_number == "202611190001"
    if connection.vendor == "sqlite":  # one row per day; PostgreSQL has a sequence per day instead
        assert dict(DailySequence.objects.values_list("day", "last")) == {
            datetime.date(2026, 11, 18): 3,
            datetime.date(2026, 11, 19): 1,
        }


def test_it_finds_the_place_chief_in_the_same_statement_as_the_grid(city, django_assert_num_queries):
    shop_chief = PersonFactory(name="店长")
    reach = Point(IN_M1.x, IN_M1.y, srid=4326).buffer(0.0002)
    Place.objects.create(kind=PlaceKind.SHOP, code="S1", name="小店", micro_grid=city["a"], geometry=IN_M1,
                         reach=reach, chief=shop_chief)  # fmt: skip
    Place.objects.create(kind=PlaceKind.STREET, code="R1", name="人民路", micro_grid=city["a"], geometry=IN_M1,
                         reach=reach, chief=PersonFactory(name="路长"))  # fmt: skip
    roads_exist()  # the process knows once whether there are road segments (路长制): none here
    with django_assert_num_queries(1):
        location = grid_at_point(point=IN_M1, responsible=True)
        found = responsible_at_point(point=IN_M1, location=location)
        assert (found.person.name, found.role, found.place.code) == ("店长", "shop_chief", "S1")
    case = case_report(source=Source.HOTLINE, point=IN_M1, now=NOW)
    assert (case.responsible, case.responsible_role) == (shop_chief, "shop_chief")


@pytest.mark.django_db(transaction=True)
def test_it_does_not_hold_the_days_number_while_a_report_commits(city):
    """A report still inside its transaction does not keep the next clerk waiting for a number."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: every write waits for the open transaction")
    first = case_report(source=Source.HOTLINE, point=IN_M1, now=NOW)  # the day's row exists
    inside, done = threading.Event(), threading.Event()
    numbers: list[str] = []
    create = Case.objects.create

    def create_and_wait(**kwargs):  # the slow clerk's case is written; its transaction stays open
        created = create(**kwargs)
        if threading.current_thread().name == "slow":
            inside.set()
            done.wait(timeout=20)
        return created

    def clerk():
        try:
            numbers.append(case_report(source=Source.HOTLINE, point=IN_M1, now=NOW).tracking_number)
        finally:
            connection.close()

    with mock.patch.object(Case.objects, "create", side_effect=create_and_wait):
        slow = threading.Thread(target=clerk, name="slow")
        slow.start()
        assert inside.wait(timeout=20)
        quick = threading.Thread(target=clerk, name="quick")
        quick.start()
        quick.join(timeout=10)
        finished_while_open = not quick.is_alive()
        done.set()
        slow.join(timeout=20)
        quick.join(timeout=20)
    assert finished_while_open
    assert first.tracking_number == "202611180001"
    assert sorted(numbers) == ["202611180002", "202611180003"]


def test_it_goes_on_after_the_days_last_number_when_the_day_was_numbered_by_its_row(city):
    """Numbers drawn from the row per day (SQLite, or PostgreSQL before its sequences) are not drawn again."""
    DailySequence.objects.create(day=datetime.date(2026, 11, 18), last=41)
    assert case_report(source=Source.HOTLINE, point=IN_M1, now=NOW).tracking_number == "202611180042"
