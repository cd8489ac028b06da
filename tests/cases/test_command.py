"""The command center's feeds (issue 14 items 1–3): the supervision map's GeoJSON is the queue's
list; batch actions apply case by case; new arrivals; the wall's figures; the queue's orders."""

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case, CaseEvent, Category, Department, Source, Status, Urgency
from cases.selectors import OPEN_STATUSES, case_list, case_page_sorted
from cases.services import case_batch, case_report
from tests.cases.conftest import IN_M1, NOW
from tests.cases.test_api import AUTH_QUERIES, IN_M2, LIST, OPEN, dispatched, filed, move, post

pytestmark = pytest.mark.django_db

MAP = "/api/cases/map/"
BATCH = "/api/cases/batch/"
ARRIVALS = "/api/cases/arrivals/"
WALL = "/api/cases/wall/"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def in_m2(**extra):
    return case_report(source=Source.HOTLINE, point=IN_M2, description="M2", **extra)


def mixed(city, report):
    """Cases at every kind of stage in both micro grids, some closed, one overdue."""
    cases = {
        "reported": report(),
        "filed": filed(city, report),
        "dispatched": dispatched(city, report),
        "urgent": report(urgency=Urgency.URGENT),
        "m2": in_m2(),
        "m2_filed": move(in_m2(), ("file", "clerk", {"category": city["garbage"]}), city=city),
        "rejected": move(report(), ("reject", "clerk", {"note": "重复"}), city=city),
    }
    late = dispatched(city, report)
    Case.objects.filter(pk=late.pk).update(overdue=True, handling_deadline=timezone.now() - datetime.timedelta(hours=2))
    cases["late"] = late
    return cases


def feed_ids(client, params=None) -> list[int]:
    response = client.get(MAP, params or {})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["type"] == "FeatureCollection"
    return [feature["properties"]["id"] for feature in data["features"]]


def list_ids(client, params) -> list[int]:
    """Every case GET /api/cases/ lists for `params`, following its pages."""
    ids, url, query = [], LIST, {**params, "page_size": 100}
    while url:
        data = client.get(url, query).json()
        ids += [item["id"] for item in data["results"]]
        url, query = data["next"], None
    return ids


# ---- the map's feed -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dispatcher", "chief", "handler", "supervisor"])
@pytest.mark.parametrize(
    "params",
    [{}, {"urgency": "urgent"}, {"status": "filed"}, {"grid": "a"}, {"overdue": "true"}, {"status": "rejected"}],
)
def test_it_feeds_the_map_exactly_the_open_cases_the_queue_lists(as_user, city, report, who, params):
    mixed(city, report)
    client = as_user(city[who])
    params = {**params, "grid": city["a"].pk} if "grid" in params else params
    listed = list_ids(
        client, {"status": params.get("status", OPEN), **{k: v for k, v in params.items() if k != "status"}}
    )
    listed = [pk for pk in listed if Case.objects.get(pk=pk).status in OPEN_STATUSES]
    assert feed_ids(client, params) == listed
    # and the queue page shows the same cases for a status tab
    if "status" in params and params["status"] in OPEN_STATUSES:
        page = client.get("/cases/", params)
        assert [c.pk for c in page.context["rows"]] == feed_ids(client, params)


def test_it_shows_a_grid_chief_only_their_cases_on_the_map(as_user, city, report):
    cases = mixed(city, report)
    chief = feed_ids(as_user(city["chief"]))
    assert cases["m2"].pk not in chief and cases["m2_filed"].pk not in chief
    assert cases["reported"].pk in chief and cases["late"].pk in chief
    assert feed_ids(as_user(city["neighbour"])) == []
    assert cases["m2"].pk in feed_ids(as_user(city["dispatcher"]))


def test_it_describes_each_case_on_the_map(as_user, city, report):
    cases = mixed(city, report)
    Case.objects.filter(pk=cases["dispatched"].pk).update(
        handling_deadline=timezone.now() + datetime.timedelta(days=30)
    )
    features = {f["properties"]["id"]: f for f in as_user(city["dispatcher"]).get(MAP).json()["features"]}
    late = features[cases["late"].pk]["properties"]
    assert late["light"] == "red" and late["overdue"] is True and late["url"] == f"/cases/{cases['late'].pk}/"
    assert late["light_label"] == "超期"
    fresh = features[cases["dispatched"].pk]["properties"]
    assert fresh["light"] == "green" and fresh["overdue"] is False
    assert features[cases["reported"].pk]["properties"]["light"] == "none"
    assert features[cases["urgent"].pk]["properties"]["urgent"] is True
    assert features[cases["reported"].pk]["properties"]["supervised"] is False
    lon, lat = features[cases["m2"].pk]["geometry"]["coordinates"]
    assert (lon, lat) == (IN_M2.x, IN_M2.y)
    assert cases["rejected"].pk not in features


def test_it_feeds_only_the_cases_in_the_view(as_user, city, report):
    cases = mixed(city, report)
    client = as_user(city["dispatcher"])
    west = feed_ids(client, {"bbox": "118.60,34.90,118.61,34.91"})
    east = feed_ids(client, {"bbox": "118.61,34.90,118.62,34.91"})
    assert cases["m2"].pk in east and cases["m2"].pk not in west
    assert cases["reported"].pk in west and cases["reported"].pk not in east


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "3,0,1,1", "0,0,90,90", "nan,0,1,1"])
def test_it_refuses_a_wrong_view(as_user, city, bbox):
    response = as_user(city["dispatcher"]).get(MAP, {"bbox": bbox})
    assert response.status_code == 400
    assert "bbox" in response.json()["error"]["fields"]


def test_it_says_how_many_when_there_are_more_than_it_shows(as_user, city, report, monkeypatch):
    monkeypatch.setattr("cases.selectors.MAP_LIMIT", 3)
    for _ in range(5):
        report()
    data = as_user(city["dispatcher"]).get(MAP).json()
    assert data["truncated"] is True and data["shown"] == 3 and len(data["features"]) == 3
    assert data["total"] == {"n": 5, "kind": "exact", "text": "5"}


@pytest.mark.parametrize("who", ["dispatcher", "chief"])
@pytest.mark.parametrize("params", [{}, {"grid": "community"}, {"bbox": "118.59,34.89,118.63,34.93"}])
def test_it_feeds_the_map_in_a_fixed_number_of_queries(as_user, city, report, who, params, django_assert_num_queries):
    client = as_user(city[who])
    params = {**params, "grid": city["community"].pk} if "grid" in params else params
    dispatched(city, report)
    client.get(MAP, params)  # the process's catalogue and calendar
    # the rows (the scope is a subquery); a grid filter first reads the grid's level
    expected = AUTH_QUERIES + 1 + ("grid" in params)
    with django_assert_num_queries(expected):
        client.get(MAP, params)
    for _ in range(10):
        dispatched(city, report)
        report(urgency=Urgency.URGENT)
        in_m2()
    with django_assert_num_queries(expected):
        assert len(client.get(MAP, params).json()["features"]) >= 21


def test_it_counts_in_one_more_query_when_it_caps(as_user, city, report, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr("cases.selectors.MAP_LIMIT", 2)
    for _ in range(4):
        report()
    client = as_user(city["dispatcher"])
    client.get(MAP)
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert client.get(MAP).json()["truncated"] is True


def test_it_keeps_the_map_feed_from_anonymous_and_roleless_users(client, city, make_user):
    assert client.get(MAP).status_code in (401, 403)
    client.force_login(city["outsider"])
    assert client.get(MAP).status_code == 403


# ---- batch actions -----------------------------------------------------------------


def statuses(*cases) -> list[str]:
    return [Case.objects.get(pk=c.pk).status for c in cases]


def test_it_dispatches_a_selection_and_leaves_the_one_that_fails_untouched(as_user, city, report):
    a, b, c = filed(city, report), filed(city, report), report()  # c is not filed: it cannot be dispatched
    events_of_c = CaseEvent.objects.filter(case=c).count()
    updated_c = Case.objects.get(pk=c.pk).updated_at
    response = post(as_user(city["dispatcher"]), BATCH, {"action": "dispatch", "ids": [a.pk, c.pk, b.pk]})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["id"] for r in results] == [a.pk, c.pk, b.pk]
    assert [r["ok"] for r in results] == [True, False, True]
    assert results[0]["status"] == Status.PENDING_APPROVAL and results[0]["tracking_number"] == a.tracking_number
    assert results[1]["code"] == "illegal_transition" and "已上报" in results[1]["message"]
    assert results[1]["status"] == Status.REPORTED
    assert statuses(a, b, c) == [Status.PENDING_APPROVAL, Status.PENDING_APPROVAL, Status.REPORTED]
    assert CaseEvent.objects.filter(case=c).count() == events_of_c
    assert Case.objects.get(pk=c.pk).updated_at == updated_c


def test_it_applies_a_batch_through_the_single_action_with_its_events(as_user, city, report):
    a, b = filed(city, report), filed(city, report)
    enforcement = Department.objects.get(code="enforcement")
    data = {"action": "dispatch", "ids": [a.pk, b.pk], "department": enforcement.pk, "note": "统一派遣"}
    assert all(r["ok"] for r in post(as_user(city["dispatcher"]), BATCH, data).json()["results"])
    for case in (a, b):
        case = Case.objects.get(pk=case.pk)
        assert case.department == enforcement
        event = case.events.order_by("-at", "-id").first()
        assert (event.action, event.note, event.actor) == ("dispatch", "统一派遣", city["dispatcher"])


def test_it_refuses_a_stale_case_of_a_batch_alone(as_user, city, report):
    a, b = filed(city, report), filed(city, report)
    data = {"action": "dispatch", "ids": [a.pk, b.pk], "expected_status": {str(a.pk): "filed", str(b.pk): "reported"}}
    results = post(as_user(city["dispatcher"]), BATCH, data).json()["results"]
    assert [r["ok"] for r in results] == [True, False] and results[1]["code"] == "stale"
    assert statuses(a, b) == [Status.PENDING_APPROVAL, Status.FILED]


def test_it_files_a_selection_with_a_category(as_user, city, report):
    a, b = report(), report()
    data = {"action": "file", "ids": [a.pk, b.pk], "category": city["garbage"].pk, "urgency": "urgent"}
    assert all(r["ok"] for r in post(as_user(city["clerk"]), BATCH, data).json()["results"])
    assert {(c.status, c.category_id, c.urgency) for c in Case.objects.filter(pk__in=[a.pk, b.pk])} == {
        (Status.FILED, city["garbage"].pk, Urgency.URGENT)
    }


def test_it_keeps_cases_out_of_scope_out_of_a_batch(as_user, city, report):
    """A grid chief (who may not dispatch) and a handler of another department learn nothing."""
    mine, theirs = filed(city, report), move(in_m2(), ("file", "clerk", {"category": city["garbage"]}), city=city)
    response = post(as_user(city["chief"]), BATCH, {"action": "dispatch", "ids": [mine.pk, theirs.pk]})
    assert response.status_code == 403
    assert statuses(mine, theirs) == [Status.FILED, Status.FILED]


def test_it_answers_not_found_for_a_case_the_actor_may_not_see(as_user, city, report, make_user):
    from accounts.roles import Role

    a = filed(city, report)
    results = post(as_user(city["dispatcher"]), BATCH, {"action": "dispatch", "ids": [a.pk, 999_999]}).json()["results"]
    assert results[1] == {
        "id": 999_999, "ok": False, "tracking_number": "", "status": None, "code": "not_found",
        "message": results[1]["message"], "repeated": False,
    }  # fmt: skip
    assert results[0]["ok"] is True
    # a handler may not close anything: the whole batch is refused for the role
    handler = make_user("h2", Role.DEPARTMENT_HANDLER)
    assert post(as_user(handler), BATCH, {"action": "close", "ids": [a.pk]}).status_code == 403


def test_it_refuses_a_batch_without_the_note_its_action_needs_and_applies_nothing(city, report):
    a = filed(city, report)
    with pytest.raises(Exception) as refused:
        case_batch(case_ids=[a.pk], action="cancel", actor=city["leader"], note="")
    assert getattr(refused.value, "code", "") == "invalid"
    assert statuses(a) == [Status.FILED]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"action": "approve", "ids": [1]}, "action"),
        ({"action": "dispatch", "ids": []}, "ids"),
        ({"action": "dispatch", "ids": list(range(1, 102))}, "ids"),
        ({"action": "dispatch"}, "ids"),
        ({"action": "dispatch", "ids": ["x"]}, "ids.0"),
        ({"action": "dispatch", "ids": [1], "request_id": "nope"}, "request_id"),
    ],
)
def test_it_refuses_a_wrong_batch(as_user, city, data, field):
    response = post(as_user(city["dispatcher"]), BATCH, data)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_it_refuses_inputs_the_action_does_not_take(as_user, city, report):
    a = filed(city, report)
    data = {"action": "dispatch", "ids": [a.pk], "category": city["garbage"].pk}
    response = post(as_user(city["dispatcher"]), BATCH, data)
    assert response.status_code == 400
    assert statuses(a) == [Status.FILED]


def test_it_applies_a_repeated_batch_once(as_user, city, report):
    a, b = filed(city, report), filed(city, report)
    client = as_user(city["dispatcher"])
    data = {"action": "dispatch", "ids": [a.pk, b.pk], "request_id": str(uuid.uuid4())}
    first = post(client, BATCH, data).json()["results"]
    again = post(client, BATCH, data).json()["results"]
    assert [r["ok"] for r in first] == [True, True] and [r["ok"] for r in again] == [True, True]
    assert [r["repeated"] for r in again] == [True, True]
    assert CaseEvent.objects.filter(case__in=[a, b], action="dispatch").count() == 2


def test_it_closes_and_sends_to_check_in_batches(as_user, city, report):
    from tests.photos import with_after_photo

    def handled():
        case = dispatched(city, report)
        return move(case, ("handle", "handler", with_after_photo("handle", {"note": "已清运"})), city=city)

    a, b = handled(), handled()
    results = post(as_user(city["dispatcher"]), BATCH, {"action": "send_to_check", "ids": [a.pk, b.pk]}).json()
    assert [r["status"] for r in results["results"]] == [Status.CHECKING, Status.CHECKING]
    move(a, ("check_pass", "inspector"), city=city)
    results = post(as_user(city["leader"]), BATCH, {"action": "close", "ids": [a.pk, b.pk]}).json()["results"]
    assert [r["ok"] for r in results] == [True, False]
    assert statuses(a, b) == [Status.CLOSED, Status.CHECKING]


def test_it_sends_cases_to_check_by_the_inspector_the_batch_names(as_user, city, report, make_user):
    from tests.photos import with_after_photo

    def handled():
        case = dispatched(city, report)
        return move(case, ("handle", "handler", with_after_photo("handle", {"note": "已清运"})), city=city)

    other = make_user("inspector2", Role.INSPECTOR)
    a, b = handled(), handled()
    body = {"action": "send_to_check", "ids": [a.pk, b.pk], "inspector": other.pk}
    results = post(as_user(city["dispatcher"]), BATCH, body).json()["results"]
    assert [r["ok"] for r in results] == [True, True]
    assert [case.inspector_id for case in Case.objects.filter(pk__in=[a.pk, b.pk])] == [other.pk, other.pk]
    not_inspector = {**body, "ids": [handled().pk], "inspector": city["clerk"].pk}
    (refused,) = post(as_user(city["dispatcher"]), BATCH, not_inspector).json()["results"]
    assert not refused["ok"] and refused["code"] == "invalid" and "clerk" in refused["message"]


# ---- new arrivals, the wall ------------------------------------------------------------------


def test_it_counts_the_new_reports_since_the_list_was_read(as_user, city, report):
    report()
    since = timezone.now()
    client = as_user(city["dispatcher"])
    assert client.get(ARRIVALS, {"since": since.isoformat()}).json() == {"count": 0, "kind": "exact", "label": ""}
    for _ in range(3):
        case_report(source=Source.HOTLINE, point=IN_M1, description="新")
    in_m2()
    data = client.get(ARRIVALS, {"since": since.isoformat()}).json()
    assert data["count"] == 4 and data["label"] == "4 条新上报，点击刷新"
    assert client.get(ARRIVALS, {"since": since.isoformat(), "grid": city["b"].pk}).json()["count"] == 1
    assert as_user(city["chief"]).get(ARRIVALS, {"since": since.isoformat()}).json()["count"] == 3
    assert client.get(ARRIVALS).status_code == 400


def test_it_gives_the_wall_its_figures_within_scope(as_user, city, report, django_assert_num_queries):
    cases = mixed(city, report)
    # reported "today": the cases moved to now, as if the fixtures' morning were this one
    shift = timezone.now() - NOW
    for field in ("reported_at", "filed_at", "dispatched_at"):
        Case.objects.filter(**{f"{field}__lte": NOW}).update(**{field: F(field) + shift})
    client = as_user(city["dispatcher"])
    client.get(WALL)
    with django_assert_num_queries(AUTH_QUERIES + 4):
        data = client.get(WALL).json()
    assert data["today"]["reports"] == 8 and data["today"]["filed"] == 4 and data["today"]["dispatched"] == 2
    assert data["today"]["closed"] == 0
    stages = {s["status"]: s["n"] for s in data["stages"]}
    assert stages["reported"] == 3 and stages["filed"] == 2 and stages["dispatched"] == 2
    assert data["open"]["n"] == 7
    # marked overdue by the sweep, or dispatched and past its deadline (the fixtures' November one)
    assert [row["id"] for row in data["overdue"]] == [cases["dispatched"].pk, cases["late"].pk]
    assert data["newest"][0]["id"] == cases["late"].pk and len(data["newest"]) == 8
    chief = as_user(city["chief"]).get(WALL).json()
    assert chief["open"]["n"] == 5 and chief["today"]["reports"] == 6


def today_plan(user) -> str:
    """The plan of the wall's "today" aggregate for `user`, as the database would run it now."""
    from cases.selectors import wall_figures

    caught = []

    def keep(execute, sql, params, many, context):
        caught.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        wall_figures(user=user)
    sql, params = next((sql, params) for sql, params in caught if "filed_at" in sql and "COUNT(" in sql)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a test's few rows would be read whole anyway
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.parametrize("persona", ["dispatcher", "chief"])
def test_the_walls_today_reads_the_cases_of_today_from_their_indexes(city, report, persona):
    """Not every visible case: each moment of "today" (reported, filed, dispatched, closed since
    midnight) is a range of its own index (Case.Meta.indexes), the four joined by the database."""
    mixed(city, report)
    plan = today_plan(city[persona])
    for index in ("case_newest", "case_filed_at", "case_dispatched_at", "case_closed_at"):
        assert index in plan, plan
    if connection.vendor == "postgresql":
        assert "BitmapOr" in plan and "Seq Scan on cases_case" not in plan, plan
    else:
        assert "MULTI-INDEX OR" in plan and "SCAN cases_case" not in plan, plan


# ---- the queue's orders -------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["age", "deadline", "light"])
def test_it_pages_every_order_by_position_without_losing_or_repeating_a_case(city, report, sort):
    cases = [dispatched(city, report) for _ in range(4)] + [report() for _ in range(3)]
    now = timezone.now()
    for n, case in enumerate(cases[:4]):
        Case.objects.filter(pk=case.pk).update(handling_deadline=now + datetime.timedelta(hours=[5, 1, 5, 3][n]))
    Case.objects.filter(pk=cases[2].pk).update(overdue=True)
    listed = case_list(user=city["dispatcher"])
    pages, cursor = [], None
    while True:
        page = case_page_sorted(cases=listed, sort=sort, cursor=cursor, size=2)
        pages.append([c.pk for c in page.rows])
        if not page.next:
            break
        cursor = page.next
    ids = [pk for page in pages for pk in page]
    assert sorted(ids) == sorted(c.pk for c in cases) and len(ids) == len(set(ids))
    rows = {c.pk: Case.objects.get(pk=c.pk) for c in cases}
    keys = {
        "age": lambda pk: (rows[pk].reported_at, pk),
        "deadline": lambda pk: (rows[pk].handling_deadline is None, rows[pk].handling_deadline or now, pk),
        "light": lambda pk: (
            not rows[pk].overdue,
            rows[pk].handling_deadline is None,
            rows[pk].handling_deadline or now,
            pk,
        ),
    }
    assert ids == sorted(ids, key=keys[sort])
    # and back, page by page, from the last to the first
    backwards, cursor = [], page.previous
    while cursor:
        back = case_page_sorted(cases=listed, sort=sort, cursor=cursor, size=2)
        backwards.append([c.pk for c in back.rows])
        cursor = back.previous
    assert backwards == pages[-2::-1]


def test_it_sorts_the_api_list_and_refuses_a_cursor_of_another_order(as_user, city, report):
    a, b = dispatched(city, report), dispatched(city, report)
    Case.objects.filter(pk=a.pk).update(handling_deadline=timezone.now() + datetime.timedelta(hours=1))
    Case.objects.filter(pk=b.pk).update(handling_deadline=timezone.now() + datetime.timedelta(hours=9))
    client = as_user(city["dispatcher"])
    data = client.get(LIST, {"sort": "deadline", "page_size": 1}).json()
    assert [r["id"] for r in data["results"]] == [a.pk]
    assert [r["id"] for r in client.get(data["next"]).json()["results"]] == [b.pk]
    cursor = data["next"].split("cursor=")[1]
    assert client.get(LIST, {"sort": "age", "cursor": cursor}).status_code == 400
    assert client.get(LIST, {"sort": "sideways"}).status_code == 400
    assert Category.objects.exists()
