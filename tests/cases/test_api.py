"""The cases API (/api/cases/, /api/categories/, /api/departments/, /api/schema/, /api/docs/).

Every endpoint: happy path, anonymous, wrong role, another grid's or department's
case, unknown id, invalid payload, the database afterwards. Objects outside a
user's scope are 404 when read; acting on them is the service's 403.
"""

import datetime
import re

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from accounts.tokens import api_token_create
from audit.models import AuditEvent
from cases.clocks import case_clock
from cases.models import Case, CaseEvent, Category, Department, Source, Status, Urgency
from cases.selectors import work_calendar
from cases.services import case_report, case_transition
from cases.transitions import TRANSITIONS
from tests.cases.conftest import IN_M1, NOW, SHANGHAI
from tests.grids.factories import PersonFactory
from tests.photos import after_photo, with_after_photo

pytestmark = pytest.mark.django_db

IN_M2 = Point(118.615, 34.905, srid=4326)
OUTSIDE = {"lon": 116.4, "lat": 39.9}
# Session and user (authentication), then the user's groups (roles).
AUTH_QUERIES = 3
LIST = "/api/cases/"
OPEN = "reported,verifying,filed,pending_approval,dispatched,returned,suspended,handled,checking,checked"


def detail_url(case) -> str:
    return reverse("cases_api:detail", args=[case.pk if isinstance(case, Case) else case])


def action_url(case, action: str) -> str:
    return reverse(f"cases_api:{action}", args=[case.pk if isinstance(case, Case) else case])


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def act(client, case, action, **data):
    """JSON, or multipart/form-data when photos go with it (handling and checking on site need
    one: added if none given)."""
    if action in ("handle", "check_pass", "check_fail"):
        data.setdefault("photos", [after_photo()])
    if "photos" in data:
        return client.post(action_url(case, action), data)
    return post(client, action_url(case, action), data)


def move(case, *steps, city):
    """Set a case up through the service: (action, persona key, extra kwargs) steps."""
    for action, who, *extra in steps:
        params = with_after_photo(action, extra[0] if extra else {})
        case = case_transition(case_id=case.pk, action=action, actor=city[who], now=NOW, **params)
    return case


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


def filed(city, report, **kwargs):
    return move(report(**kwargs), ("file", "clerk", {"category": city["garbage"]}), city=city)


def dispatched(city, report, **kwargs):
    case = filed(city, report, **kwargs)
    return move(case, ("dispatch", "dispatcher"), ("approve", "chief"), city=city)


def in_m2(**extra):
    return case_report(source=Source.HOTLINE, point=IN_M2, description="井盖缺失", now=NOW, **extra)


def status_of(case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


# ---- everyone must log in and hold a role -------------------------------


ENDPOINTS = [
    ("get", LIST),
    ("post", LIST),
    ("get", "/api/cases/{id}/"),
    ("post", "/api/cases/{id}/actions/file/"),
    ("post", "/api/cases/{id}/actions/no_such_action/"),
    ("get", "/api/categories/"),
    ("get", "/api/departments/"),
    ("get", "/api/schema/?format=json"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_it_refuses_anonymous_users(client, city, report, method, url):
    case = report()
    response = getattr(client, method)(url.format(id=case.pk), content_type="application/json")
    assert response.status_code == 403
    assert error(response)["code"] == "not_authenticated"
    assert status_of(case) == Status.REPORTED and Case.objects.count() == 1


def test_it_refuses_the_doc_page_to_anonymous_users(client, city):
    assert client.get("/api/docs/").status_code == 403


@pytest.mark.parametrize(("method", "url"), ENDPOINTS[:-1])
def test_it_refuses_users_without_a_role(as_user, city, report, method, url):
    case = report()
    client = as_user(city["outsider"])
    response = getattr(client, method)(url.format(id=case.pk), {}, content_type="application/json")
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert status_of(case) == Status.REPORTED and Case.objects.count() == 1


def test_it_accepts_a_token(client, city, report):
    case = report()
    _token, key = api_token_create(user=city["clerk"], name="intake app")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get(LIST, **auth).json()["count"] == 1
    # no session, no CSRF token: an app's POST
    response = post(client, action_url(case, "file"), {"category": city["garbage"].pk}, **auth)
    assert response.status_code == 200
    assert status_of(case) == Status.FILED
    assert CaseEvent.objects.get(case=case, action="file").actor == city["clerk"]


def test_it_refuses_an_unknown_token(client, city):
    response = client.get(LIST, HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 403
    assert error(response)["code"] == "authentication_failed"


def test_it_checks_csrf_for_browser_sessions(city, report):
    from django.test import Client

    case = report()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(city["clerk"])
    response = post(browser, action_url(case, "file"), {"category": city["garbage"].pk})
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert status_of(case) == Status.REPORTED


# ---- GET /api/cases/ ----------------------------------------------------


def test_it_lists_cases_newest_first_without_contact_details(as_user, city, report):
    older = report(reporter_name="王小明", reporter_phone="13812341234")
    newer = in_m2()
    data = as_user(city["dispatcher"]).get(LIST).json()
    assert data["count"] == 2 and data["count_kind"] == "exact"
    assert data["next"] is None and data["previous"] is None
    assert [item["id"] for item in data["results"]] == [newer.pk, older.pk]
    item = data["results"][1]
    assert item["tracking_number"] == older.tracking_number
    assert item["status"] == "reported" and item["status_label"] == "已上报"
    assert item["micro_grid"] == {"id": city["a"].pk, "code": "M1", "name": city["a"].name}
    assert (item["lon"], item["lat"]) == (118.605, 34.905)
    assert item["reported_at"] == "2026-11-18T09:00:00+08:00"
    assert "13812341234" not in str(data) and "王小明" not in str(data)
    assert not {"reporter", "reporter_phone", "reporter_name"} & set(item)


def test_it_filters_by_several_statuses(as_user, city, report):
    reported, filed_case = report(), filed(city, report)
    closed = move(filed(city, report), ("cancel", "leader", {"note": "重复"}), city=city)
    client = as_user(city["dispatcher"])

    def ids(**params):
        return {item["id"] for item in client.get(LIST, params).json()["results"]}

    assert ids(status="reported") == {reported.pk}
    assert ids(status=["reported", "filed"]) == {reported.pk, filed_case.pk}
    assert ids(status="filed,cancelled") == {filed_case.pk, closed.pk}


def test_it_filters_by_grid_subtree(as_user, city, report):
    m1, m2 = report(), in_m2()
    client = as_user(city["supervisor"])

    def ids(grid):
        return {item["id"] for item in client.get(LIST, {"grid": grid.pk}).json()["results"]}

    assert ids(city["a"]) == {m1.pk}
    assert ids(city["b"]) == {m2.pk}
    assert ids(city["community"]) == ids(city["large"]) == ids(city["district"]) == {m1.pk, m2.pk}
    assert ids(city["other_community"]) == set()


def test_it_filters_by_category_urgency_source_department_and_overdue(as_user, city, report):
    garbage = dispatched(city, report)
    urgent = in_m2(urgency=Urgency.URGENT)
    Case.objects.filter(pk=garbage.pk).update(overdue=True)
    client = as_user(city["inspector"])

    def ids(**params):
        return {item["id"] for item in client.get(LIST, params).json()["results"]}

    assert ids(category=city["garbage"].pk) == {garbage.pk}
    assert ids(urgency="urgent") == {urgent.pk}
    assert ids(source="hotline") == {urgent.pk}
    assert ids(source="inspector") == {garbage.pk}
    assert ids(department=Department.objects.get(code="sanitation").pk) == {garbage.pk}
    assert ids(overdue="true") == {garbage.pk}
    assert ids(overdue="false") == {urgent.pk}
    assert ids() == {garbage.pk, urgent.pk}


def test_it_filters_by_local_dates(as_user, city):
    # 00:30 in Shanghai on the 18th is still the 17th in UTC
    early = case_report(source=Source.CITIZEN, point=IN_M1, now=datetime.datetime(2026, 11, 18, 0, 30, tzinfo=SHANGHAI))
    late = case_report(source=Source.CITIZEN, point=IN_M1, now=datetime.datetime(2026, 11, 17, 23, 59, tzinfo=SHANGHAI))
    client = as_user(city["clerk"])

    def ids(**params):
        return {item["id"] for item in client.get(LIST, params).json()["results"]}

    assert ids(reported_from="2026-11-18") == {early.pk}
    assert ids(reported_to="2026-11-17") == {late.pk}
    assert ids(reported_from="2026-11-17", reported_to="2026-11-18") == {early.pk, late.pk}
    assert ids(reported_from="2026-11-19") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": "reported,lost"}, "status"),
        ({"urgency": "very"}, "urgency"),
        ({"source": "rumour"}, "source"),
        ({"grid": "abc"}, "grid"),
        ({"overdue": "maybe"}, "overdue"),
        ({"reported_from": "18/11/2026"}, "reported_from"),
        ({"reported_from": "2026-11-19", "reported_to": "2026-11-18"}, "reported_to"),
        ({"page_size": "101"}, "page_size"),
        ({"cursor": "bm90IG1pbmU"}, "cursor"),
    ],
)
def test_it_refuses_bad_filters(as_user, city, params, field):
    response = as_user(city["dispatcher"]).get(LIST, params)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]
    assert body["message"].startswith(f"{field}：")  # "%(field)s: %(message)s" in Chinese


def test_it_pages_by_position(as_user, city, report):
    cases = [report() for _ in range(5)]  # reported at the same moment: the id settles the order
    client = as_user(city["dispatcher"])
    first = client.get(LIST, {"page_size": 2, "status": "reported"}).json()
    assert (first["count"], first["count_kind"], first["page_size"]) == (5, "exact", 2)
    assert [item["id"] for item in first["results"]] == [cases[4].pk, cases[3].pk]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == [cases[2].pk, cases[1].pk]
    assert "status=reported" in second["next"] and "page_size=2" in second["next"]
    assert [item["id"] for item in client.get(second["previous"]).json()["results"]] == [cases[4].pk, cases[3].pk]
    last = client.get(second["next"]).json()
    assert last["next"] is None and [item["id"] for item in last["results"]] == [cases[0].pk]
    newer = report()  # a case reported meanwhile does not shift the pages already handed out
    assert [item["id"] for item in client.get(first["next"]).json()["results"]] == [cases[2].pk, cases[1].pk]
    assert client.get(LIST, {"page_size": 2}).json()["results"][0]["id"] == newer.pk
    assert client.get(LIST, {"page_size": 100}).json()["page_size"] == 100


def test_it_answers_an_empty_first_page(as_user, city):
    data = as_user(city["dispatcher"]).get(LIST).json()
    assert (data["count"], data["next"], data["previous"], data["results"]) == (0, None, None, [])


def test_it_says_when_a_count_is_not_exact(as_user, city, report, monkeypatch):
    monkeypatch.setattr("cases.selectors.COUNT_CAP", {"postgresql": 3, "sqlite": 3})
    for _ in range(5):
        report()
    data = as_user(city["dispatcher"]).get(LIST).json()
    if connection.vendor == "postgresql":
        assert data["count_kind"] == "about" and data["count"] >= 4
    else:
        assert (data["count_kind"], data["count"]) == ("at_least", 3)
    assert len(data["results"]) == 5


@pytest.mark.parametrize("who", ["clerk", "leader", "dispatcher", "inspector", "supervisor"])
def test_it_lists_every_case_to_the_centre_inspectors_and_supervisors(as_user, city, report, who):
    report(), in_m2()
    assert as_user(city[who]).get(LIST).json()["count"] == 2


def test_it_lists_a_chiefs_subtree_and_the_cases_awaiting_their_approval(as_user, city, report):
    mine = report()
    elsewhere, to_approve = in_m2(), in_m2()
    Case.objects.filter(pk=to_approve.pk).update(approver=city["a"].chief)
    ids = {item["id"] for item in as_user(city["chief"]).get(LIST).json()["results"]}
    assert ids == {mine.pk, to_approve.pk}
    assert elsewhere.pk not in ids


def test_it_lists_nothing_to_a_chief_of_a_grid_without_cases(as_user, city, report):
    report(), in_m2()
    assert as_user(city["neighbour"]).get(LIST).json()["count"] == 0


def test_it_lists_a_community_chiefs_whole_subtree(as_user, city, report, make_user):
    from accounts.roles import Role

    chief = make_user("community_chief", Role.GRID_CHIEF)
    city["community"].chief.user = chief
    city["community"].chief.save()
    report(), in_m2()
    assert as_user(chief).get(LIST).json()["count"] == 2


def test_it_lists_a_departments_cases_to_its_handlers(as_user, city, report):
    sanitation = dispatched(city, report)
    report(), filed(city, report)  # no department yet
    assert [item["id"] for item in as_user(city["handler"]).get(LIST).json()["results"]] == [sanitation.pk]
    assert as_user(city["other_handler"]).get(LIST).json()["count"] == 0


@pytest.mark.parametrize("who", ["dispatcher", "chief", "handler"])
@pytest.mark.parametrize("params", [{}, {"status": OPEN}, {"grid": "community"}])
def test_it_lists_with_a_fixed_number_of_queries(as_user, city, report, who, params, django_assert_num_queries):
    client = as_user(city[who])
    params = (
        {**params, "grid": city["community"].pk, "page_size": 5} if "grid" in params else {**params, "page_size": 5}
    )
    dispatched(city, report)
    # the count (up to a cap) and the page; the scope is subqueries of the same statements; a grid
    # filter first reads the grid's level
    expected = AUTH_QUERIES + 2 + ("grid" in params)
    with django_assert_num_queries(expected):
        assert client.get(LIST, params).json()["count"] == 1
    for _ in range(12):
        dispatched(city, report)
        in_m2()
    with django_assert_num_queries(expected):
        data = client.get(LIST, params).json()
    assert len(data["results"]) == 5 and data["next"]
    with django_assert_num_queries(expected):
        assert len(client.get(data["next"]).json()["results"]) == 5


# ---- GET /api/cases/<id>/ ------------------------------------------------


def test_it_shows_a_case_with_its_timeline_clock_and_actions(as_user, city, report):
    case = dispatched(city, report, reporter_name="王小明", reporter_phone="13812341234", address="人民路1号")
    data = as_user(city["dispatcher"]).get(detail_url(case)).json()
    assert data["id"] == case.pk and data["tracking_number"] == case.tracking_number
    assert (data["status"], data["status_label"]) == ("dispatched", "已派遣")
    assert data["address"] == "人民路1号" and data["description"] == "路边暴露垃圾"
    assert data["category"]["id"] == city["garbage"].pk and data["category"]["code"] == "E0102"
    assert data["department"]["code"] == "sanitation"
    assert data["grids"] == {
        level: {"id": city[key].pk, "code": city[key].code, "name": city[key].name}
        for level, key in [("micro", "a"), ("community", "community"), ("large", "large"), ("district", "district")]
    }
    assert data["responsible"] == {"name": "M1长", "role": "micro_chief", "role_label": "微网格长", "segment": None}
    assert data["approver"] == "M1长"
    assert data["reporter"] == {"name": "王小明", "phone": "13812341234", "masked": False}
    assert [(e["action"], e["from_status"], e["to_status"]) for e in data["events"]] == [
        ("report", "", "reported"),
        ("file", "reported", "filed"),
        ("dispatch", "filed", "pending_approval"),
        ("approve", "pending_approval", "dispatched"),
    ]
    approve = data["events"][-1]
    assert approve["actor"] == "M1长"  # a chief is named as the grid knows them
    assert approve["at"] == "2026-11-18T09:00:00+08:00" and approve["action_label"] == "同意派遣"
    assert data["events"][1]["actor"] == "clerk"
    assert data["events"][0]["actor"] is None
    # 4 working hours from Wednesday 09:00, long past by now
    assert data["clock"]["deadline"] == "2026-11-18T14:30:00+08:00"
    assert data["clock"]["started_at"] == "2026-11-18T09:00:00+08:00"
    assert data["clock"]["light"] == "red" and data["clock"]["elapsed_fraction"] > 1
    assert data["clock"]["stopped_at"] is None and data["clock"]["paused"] is False
    assert data["actions"] == []  # a dispatcher has nothing to do on a dispatched case


def test_it_offers_the_actions_of_the_users_roles(as_user, city, report):
    case = filed(city, report)
    leader = as_user(city["leader"]).get(detail_url(case)).json()["actions"]
    assert [(a["action"], a["needs_note"]) for a in leader] == [
        ("dispatch", False), ("cancel", True), ("merge", False), ("supervise", True),
    ]  # fmt: skip
    assert leader[0]["url"] == action_url(case, "dispatch")
    dispatcher = as_user(city["dispatcher"]).get(detail_url(case)).json()["actions"]
    assert [a["action"] for a in dispatcher] == ["dispatch", "merge"]
    move(case, ("dispatch", "dispatcher"), city=city)
    chief = as_user(city["chief"]).get(detail_url(case)).json()["actions"]
    assert [a["action"] for a in chief] == ["approve", "refuse"]


def test_it_starts_a_clock_green_at_dispatch(as_user, city, report):
    case = filed(city, report)
    case_transition(case_id=case.pk, action="dispatch", actor=city["dispatcher"])
    case_transition(case_id=case.pk, action="approve", actor=city["chief"])
    clock = as_user(city["dispatcher"]).get(detail_url(case)).json()["clock"]
    assert clock["light"] == "green" and clock["elapsed_fraction"] < 0.8


def test_it_shows_no_clock_before_dispatch(as_user, city, report):
    assert as_user(city["dispatcher"]).get(detail_url(filed(city, report))).json()["clock"] is None


@pytest.mark.parametrize(
    ("who", "masked"),
    [
        ("clerk", False),
        ("leader", False),
        ("dispatcher", False),
        ("inspector", True),
        ("supervisor", True),
        ("chief", True),
        ("handler", True),
    ],
)
def test_it_masks_the_reporters_contact_for_those_who_do_not_call_back(as_user, city, report, who, masked):
    case = dispatched(city, report, reporter_name="王小明", reporter_phone="13812341234")
    response = as_user(city[who]).get(detail_url(case))
    assert response.status_code == 200
    reporter = response.json()["reporter"]
    if masked:
        assert reporter == {"name": "王**", "phone": "138****1234", "masked": True}
        assert "13812341234" not in response.content.decode()
    else:
        assert reporter == {"name": "王小明", "phone": "13812341234", "masked": False}


def test_it_audits_who_saw_a_reporters_phone(as_user, city, report):
    case = report(reporter_phone="13812341234")
    as_user(city["clerk"]).get(detail_url(case))
    viewed = AuditEvent.objects.get(action="case.contact_viewed")
    assert (viewed.actor_id, viewed.object_type, viewed.object_id) == (city["clerk"].pk, "cases.case", str(case.pk))
    assert viewed.details == {"where": "api"}
    as_user(city["inspector"]).get(detail_url(case))  # masked for an inspector: nothing to record
    assert AuditEvent.objects.filter(action="case.contact_viewed").count() == 1


@pytest.mark.parametrize("who", ["chief", "neighbour", "handler"])
def test_it_hides_a_case_outside_the_users_scope(as_user, city, who):
    case = in_m2()
    response = as_user(city[who]).get(detail_url(case))
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_it_hides_another_departments_case(as_user, city, report):
    case = dispatched(city, report)
    assert as_user(city["handler"]).get(detail_url(case)).status_code == 200
    assert as_user(city["other_handler"]).get(detail_url(case)).status_code == 404


def test_it_answers_404_for_an_unknown_case(as_user, city):
    response = as_user(city["dispatcher"]).get(detail_url(999999))
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


@pytest.mark.parametrize("who", ["dispatcher", "chief"])
def test_it_shows_a_case_with_a_fixed_number_of_queries(as_user, city, report, who, django_assert_num_queries):
    client = as_user(city[who])
    case = dispatched(city, report, reporter_phone="13812341234")
    # the case with its grids and people, its events with their actors, its photos (with those of
    # duplicates merged in); whether a grid chief may act on it is asked only when the case offers
    # them an action. The calendar is the process's (read at the first request). The dispatcher sees
    # the reporter's phone: that view is written to the audit log (a savepoint, the chain head
    # locked, the row, the head moved on, release).
    client.get(detail_url(case))
    expected = AUTH_QUERIES + 3 + (5 if who == "dispatcher" else 0)
    with django_assert_num_queries(expected):
        client.get(detail_url(case))
    move(case, ("handle", "handler", {"note": "已清运"}), ("send_to_check", "dispatcher"), city=city)
    with django_assert_num_queries(expected):
        assert len(client.get(detail_url(case)).json()["events"]) == 6


# ---- the handling clock --------------------------------------------------


def at(day, hour, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def clock_of(case, now):
    case = Case.objects.select_related("category").get(pk=case.pk)
    return case_clock(case=case, events=list(case.events.order_by("at", "id")), calendar=work_calendar(), now=now)


def test_it_turns_the_clock_yellow_from_80_percent_and_red_past_the_deadline(city, report):
    case = dispatched(city, report)  # Wednesday 09:00, 4 working hours → 14:30
    assert clock_of(case, at(18, 11)).light == "green"  # 2 h of 4
    assert clock_of(case, at(18, 14)).light == "yellow"  # 3.5 h of 4
    assert clock_of(case, at(18, 14, 30)).light == "yellow"
    assert clock_of(case, at(18, 15)).light == "red"
    assert clock_of(case, at(18, 11)).elapsed_fraction == pytest.approx(0.5)


def test_it_stops_the_clock_when_handled(city, report):
    case = dispatched(city, report)
    case_transition(
        case_id=case.pk, action="handle", actor=city["handler"], note="已清运", now=at(18, 11), photos=[after_photo()]
    )
    clock = clock_of(case, at(25, 9))
    assert clock.stopped_at == at(18, 11) and clock.light == "green"


def test_it_leaves_suspended_time_off_the_clock(city, report):
    case = dispatched(city, report)
    case_transition(case_id=case.pk, action="suspend", actor=city["leader"], note="待协调", now=at(18, 10))
    paused = clock_of(case, at(24, 9))  # a week later, still suspended
    assert paused.paused and paused.light == "green" and paused.elapsed_fraction == pytest.approx(0.25)
    case_transition(case_id=case.pk, action="resume", actor=city["leader"], now=at(24, 9))
    resumed = clock_of(case, at(24, 10))
    assert not resumed.paused
    assert resumed.deadline == at(24, 12)  # the 3 h left run from the resume
    assert resumed.elapsed_fraction == pytest.approx(0.5)


def test_it_restarts_the_clock_for_a_rework(city, report):
    case = dispatched(city, report)
    move(case, ("handle", "handler", {"note": "已清运"}), ("send_to_check", "dispatcher"), city=city)
    case_transition(case_id=case.pk, action="check_fail", actor=city["inspector"], note="仍有残留", now=at(19, 9),
                    photos=[after_photo()])  # fmt: skip
    clock = clock_of(case, at(19, 10))
    assert clock.started_at == at(19, 9) and clock.stopped_at is None
    assert clock.elapsed_fraction == pytest.approx(0.25)


# ---- POST /api/cases/ (intake) -------------------------------------------


def intake(**extra):
    return {
        "lon": 118.605,
        "lat": 34.905,
        "address": "人民路1号",
        "source": "inspector",
        "description": "路边暴露垃圾",
        "reporter_name": "王小明",
        "reporter_phone": "138 1234 1234",
        **extra,
    }


@pytest.mark.parametrize("who", ["clerk", "dispatcher", "inspector", "chief"])
def test_it_takes_in_a_report(as_user, city, who):
    response = post(as_user(city[who]), LIST, intake(category=city["garbage"].pk, urgency="urgent"))
    assert response.status_code == 201
    data = response.json()
    case = Case.objects.get()
    assert data["id"] == case.pk and data["status"] == "reported"
    assert data["grids"]["micro"]["code"] == "M1" and data["responsible"]["name"] == "M1长"
    assert (case.micro_grid, case.category, case.urgency, case.source) == (
        city["a"],
        city["garbage"],
        "urgent",
        "inspector",
    )
    assert (case.address, case.reporter_name, case.reporter_phone) == ("人民路1号", "王小明", "138 1234 1234")
    assert (case.location.x, case.location.y) == (118.605, 34.905)
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor) == ("report", city[who])


def test_it_takes_in_a_report_with_the_least_it_needs(as_user, city):
    response = post(as_user(city["clerk"]), LIST, {"lon": "118.615", "lat": "34.905", "source": "hotline"})
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.micro_grid, case.category, case.urgency) == (city["b"], None, "normal")


@pytest.mark.parametrize("who", ["handler", "supervisor"])
def test_it_refuses_reports_from_roles_that_do_not_take_them_in(as_user, city, who):
    response = post(as_user(city[who]), LIST, intake())
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lon": None}, "lon"),
        ({"lat": "north"}, "lat"),
        ({"lon": 181}, "lon"),
        ({"source": "rumour"}, "source"),
        ({"source": None}, "source"),
        ({"urgency": "very"}, "urgency"),
        ({"category": 999999}, "category"),
        ({"reporter_phone": "call me"}, "reporter_phone"),
        ({"address": "路" * 201}, "address"),
        ({"request_id": "x" * 65}, "request_id"),
    ],
)
def test_it_refuses_a_bad_report_and_stores_nothing(as_user, city, change, field):
    payload = {key: value for key, value in intake(**change).items() if value is not None}
    response = post(as_user(city["clerk"]), LIST, payload)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid" and field in body["fields"]
    assert body["fields"][field][0]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_it_refuses_a_report_outside_the_city_with_the_services_message(as_user, city):
    response = post(as_user(city["clerk"]), LIST, intake(**OUTSIDE), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert body["message"] == "The location is outside the city's grids; check the point on the map."
    assert Case.objects.count() == 0


def test_it_refuses_malformed_json(as_user, city):
    response = as_user(city["clerk"]).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "parse_error"


def test_it_takes_a_repeated_report_once(as_user, city):
    client = as_user(city["clerk"])
    first = post(client, LIST, intake(request_id="r-1"))
    again = post(client, LIST, intake(request_id="r-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_it_refuses_a_report_with_the_request_id_of_an_action(as_user, city, report):
    case = report()
    case_transition(case_id=case.pk, action="file", actor=city["clerk"], category=city["garbage"], request_id="r-9")
    response = post(as_user(city["clerk"]), LIST, intake(request_id="r-9"))
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["request_id"]
    assert Case.objects.count() == 1


# ---- POST /api/cases/<id>/actions/<action>/ ------------------------------


def test_it_runs_the_whole_loop_through_the_api(client, city):
    def as_(who):
        client.force_login(city[who])
        return client

    response = post(as_("inspector"), LIST, intake())
    assert response.status_code == 201
    case_id = response.json()["id"]
    steps = [
        ("clerk", "file", {"category": city["garbage"].pk}, "filed"),
        ("dispatcher", "dispatch", {}, "pending_approval"),
        ("chief", "approve", {}, "dispatched"),
        ("handler", "handle", {"note": "已清运"}, "handled"),
        ("dispatcher", "send_to_check", {}, "checking"),
        ("inspector", "check_fail", {"note": "仍有残留"}, "dispatched"),
        ("handler", "handle", {"note": "再次清运"}, "handled"),
        ("dispatcher", "send_to_check", {}, "checking"),
        ("inspector", "check_pass", {}, "checked"),
        ("leader", "close", {}, "closed"),
    ]
    for who, action, data, expected in steps:
        response = act(as_(who), case_id, action, **data)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == expected
        assert status_of(Case(pk=case_id)) == expected
    case = Case.objects.get(pk=case_id)
    assert case.rework_count == 1 and case.closed_at is not None
    assert case.department.code == "sanitation" and case.approver == city["a"].chief
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "actor__username", "note"))
    assert events[0] == ("report", "inspector", "")
    assert events[1:] == [(action, city[who].username, data.get("note", "")) for who, action, data, _ in steps]
    final = as_("supervisor").get(detail_url(case_id)).json()
    assert final["status"] == "closed" and final["actions"] == [] and len(final["events"]) == 11


def test_it_answers_the_case_after_an_action(as_user, city, report):
    case = filed(city, report, reporter_phone="13812341234")
    response = act(as_user(city["dispatcher"]), case, "dispatch")
    data = response.json()
    assert data["id"] == case.pk and data["status"] == "pending_approval"
    assert data["events"][-1]["action"] == "dispatch" and data["events"][-1]["actor"] == "dispatcher"
    assert data["reporter"]["phone"] == "13812341234"


def test_it_answers_the_case_to_a_handler_who_sent_it_back(as_user, city, report):
    case = dispatched(city, report)
    client = as_user(city["handler"])
    response = act(client, case, "send_back", note="不属于环卫")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert client.get(detail_url(case)).status_code == 404  # no longer their department's
    case.refresh_from_db()
    assert case.department is None and case.send_back_count == 1


def test_it_files_with_a_category_and_urgency(as_user, city, report):
    case = report()
    lamp = Category.objects.exclude(pk=city["garbage"].pk).first()
    response = act(as_user(city["clerk"]), case, "file", category=lamp.pk, urgency="urgent", note="核实无误")
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.category, case.urgency) == ("filed", lamp, "urgent")
    assert CaseEvent.objects.get(case=case, action="file").note == "核实无误"


def test_it_dispatches_to_the_department_chosen(as_user, city, report):
    case = filed(city, report)
    enforcement = Department.objects.get(code="enforcement")
    assert act(as_user(city["dispatcher"]), case, "dispatch", department=enforcement.pk).status_code == 200
    case.refresh_from_db()
    assert case.department == enforcement and case.status == "pending_approval"


def test_it_refuses_an_illegal_action_with_the_current_status(as_user, city, report):
    case = report()
    response = act(as_user(city["dispatcher"]), case, "dispatch")
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "illegal_transition"
    assert body["current_status"] == "reported"
    assert body["message"]
    assert status_of(case) == "reported" and CaseEvent.objects.filter(case=case).count() == 1


def test_it_refuses_a_stale_action_with_the_current_status(as_user, city, report):
    case = filed(city, report)
    response = act(as_user(city["clerk"]), case, "verify", expected_status="reported")
    assert response.status_code == 409
    assert error(response)["code"] == "stale" and error(response)["current_status"] == "filed"
    assert status_of(case) == "filed"


@pytest.mark.parametrize(
    ("who", "action"),
    [("inspector", "dispatch"), ("supervisor", "dispatch"), ("handler", "approve"), ("clerk", "cancel")],
)
def test_it_refuses_an_action_to_the_wrong_role(as_user, city, report, who, action):
    case = (
        move(filed(city, report), ("dispatch", "dispatcher"), city=city) if action == "approve" else filed(city, report)
    )
    before = status_of(case)
    response = act(as_user(city[who]), case, action, note="试试")
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert status_of(case) == before and not CaseEvent.objects.filter(case=case, action=action).exists()


def test_it_answers_404_to_an_action_on_another_grids_case(as_user, city, report):
    # A case the user may not see answers as if it did not exist: its status is not told.
    case = move(filed(city, report), ("dispatch", "dispatcher"), city=city)
    response = act(as_user(city["neighbour"]), case, "approve")
    assert response.status_code == 404
    body = error(response)
    assert body["code"] == "not_found" and body["current_status"] is None
    assert status_of(case) == "pending_approval"


def test_it_answers_404_to_an_action_on_another_departments_case(as_user, city, report):
    case = dispatched(city, report)
    response = act(as_user(city["other_handler"]), case, "handle", note="已清运")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
    assert status_of(case) == "dispatched"


def test_it_refuses_an_action_on_a_case_seen_but_not_theirs_to_decide(as_user, city, report, make_user):
    # A shop chief (三长, with the grid-chief role) sees the case named theirs, but does not approve it.
    shop_chief = make_user("shop_chief", Role.GRID_CHIEF)
    case = move(filed(city, report), ("dispatch", "dispatcher"), city=city)
    person = PersonFactory(name="店长", user=shop_chief)
    Case.objects.filter(pk=case.pk).update(responsible=person)
    response = act(as_user(shop_chief), case, "approve")
    assert response.status_code == 403
    body = error(response)
    assert body["code"] == "not_permitted" and body["current_status"] == "pending_approval"
    assert status_of(case) == "pending_approval"


def test_it_answers_404_for_an_action_on_an_unknown_case(as_user, city):
    response = act(as_user(city["clerk"]), 999999, "file")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_it_answers_404_for_an_unknown_action(as_user, city, report):
    case = report()
    response = post(as_user(city["clerk"]), f"/api/cases/{case.pk}/actions/teleport/")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found" and "teleport" in error(response)["message"]
    assert status_of(case) == "reported"


def test_it_answers_405_for_a_get_on_an_action(as_user, city, report):
    response = as_user(city["clerk"]).get(action_url(report(), "file"))
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("action", "who", "payload", "field"),
    [
        ("handle", "handler", {}, "note"),
        ("handle", "handler", {"note": ""}, "note"),
        ("file", "clerk", {"category": 999999}, "category"),
        ("file", "clerk", {"urgency": "very"}, "urgency"),
        ("dispatch", "dispatcher", {"department": "sanitation"}, "department"),
        ("verify", "clerk", {"expected_status": "lost"}, "expected_status"),
        ("verify", "clerk", {"note": "长" * 2001}, "note"),
    ],
)
def test_it_refuses_a_bad_action_payload(as_user, city, report, action, who, payload, field):
    case = {"handle": dispatched, "dispatch": filed}.get(action, lambda city, report: report())(city, report)
    before = status_of(case)
    response = act(as_user(city[who]), case, action, **payload)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid" and list(body["fields"]) == [field]
    assert status_of(case) == before


def test_it_passes_the_services_own_refusals_on(as_user, city, report):
    case = report()
    response = post(as_user(city["clerk"]), action_url(case, "file"), {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid" and body["message"] == "Choose a category before filing the case."
    assert body["current_status"] is None
    assert status_of(case) == "reported"


def test_it_applies_a_repeated_action_once(as_user, city, report):
    case = report()
    client = as_user(city["clerk"])
    first = act(client, case, "file", category=city["garbage"].pk, request_id="a-1")
    again = act(client, case, "file", category=city["garbage"].pk, request_id="a-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "filed"
    assert CaseEvent.objects.filter(case=case, action="file").count() == 1


def test_it_refuses_a_request_id_used_for_another_case(as_user, city, report):
    one, other = report(), report()
    client = as_user(city["clerk"])
    assert act(client, one, "verify", request_id="a-2").status_code == 200
    response = act(client, other, "verify", request_id="a-2")
    assert response.status_code == 400 and list(error(response)["fields"]) == ["request_id"]
    assert status_of(other) == "reported"


# ---- the catalogue -------------------------------------------------------


def test_it_lists_the_active_categories(as_user, city, django_assert_num_queries):
    Category.objects.filter(pk=city["garbage"].pk).update(urgent_limit=2, urgent_unit="hours")
    retired = Category.objects.exclude(pk=city["garbage"].pk).first()
    retired.active = False
    retired.save()
    client = as_user(city["handler"])
    with django_assert_num_queries(AUTH_QUERIES + 1):
        data = client.get("/api/categories/").json()
    assert len(data) == Category.objects.filter(active=True).count() == 49
    [garbage] = [item for item in data if item["id"] == city["garbage"].pk]
    assert garbage["full_code"] == "E0102" and garbage["kind"] == "event"
    assert garbage["limit"] == {"amount": 4.0, "unit": "working_hours"}
    assert garbage["urgent_limit"] == {"amount": 2.0, "unit": "hours"}
    assert garbage["department"]["code"] == "sanitation"
    assert garbage["major"]["name"] and garbage["filing_condition"]
    assert retired.pk not in {item["id"] for item in data}


def test_it_lists_the_active_departments_without_their_secrets(as_user, city, django_assert_num_queries):
    Department.objects.filter(code="sanitation").update(webhook_secret="s3cret", emails="a@example.com")
    client = as_user(city["chief"])
    with django_assert_num_queries(AUTH_QUERIES + 1):
        response = client.get("/api/departments/")
    data = response.json()
    assert {item["code"] for item in data} == set(Department.objects.values_list("code", flat=True))
    assert set(data[0]) == {"id", "code", "name", "short_name"}
    assert "s3cret" not in response.content.decode() and "example.com" not in response.content.decode()


# ---- schema and doc page ---------------------------------------------------


def test_it_publishes_a_valid_schema_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text(encoding="utf-8")
    assert "/api/cases/{case_id}/actions/dispatch/" in schema
    assert "CaseDispatchApiInputRequest" in schema


def test_it_serves_the_schema_with_one_operation_per_action(as_user, city):
    response = as_user(city["supervisor"]).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for action in TRANSITIONS:
        operation = paths[f"/api/cases/{{case_id}}/actions/{action}/"]["post"]
        assert operation["operationId"] == f"cases_{action}"
        assert set(operation["responses"]) == {"200", "400", "403", "404", "409"}
    body = response.json()["components"]["schemas"]
    assert "department" in body["CaseDispatchApiInputRequest"]["properties"]
    assert {"category", "urgency"} <= set(body["CaseFileApiInputRequest"]["properties"])
    assert "note" in body["CaseHandleApiInputRequest"]["required"]
    assert set(paths["/api/cases/"]) == {"get", "post"}


def test_it_serves_the_doc_page_from_its_own_static_files(as_user, city):
    client = as_user(city["dispatcher"])
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    foreign = [url for url in re.findall(r"https?://[^\s\"'<>)]+", html) if not url.startswith("http://testserver/")]
    assert foreign == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4
    for asset in assets:
        assert asset.startswith(("/static/drf_spectacular_sidecar/", "/static/css/", "/api/docs/?script"))
        assert client.get(asset).status_code == 200
    assert "<script>" not in html and "<style>" not in html  # the Content-Security-Policy runs no inline code
    assert '"/api/schema/"' in client.get("/api/docs/?script=").content.decode()


# ---- one error format (also for DRF's own errors) -------------------------


def test_it_names_the_fields_of_nested_errors():
    from rest_framework.exceptions import ValidationError

    from config.api import exception_handler

    response = exception_handler(
        ValidationError(
            {"location": {"lon": ["bad"]}, "items": [{}, {"name": ["missing"]}], "non_field_errors": ["x"]}
        ),
        {},
    )
    assert response.data == {
        "error": {"code": "invalid", "message": "x", "fields": {"location.lon": ["bad"], "items.1.name": ["missing"]}}
    }
    response = exception_handler(ValidationError("plain"), {})
    assert response.data["error"] == {"code": "invalid", "message": "plain", "fields": {}}


def test_it_leaves_bugs_to_django(city):
    from config.api import exception_handler

    assert exception_handler(ZeroDivisionError(), {}) is None


def test_it_keeps_time_in_shanghai(as_user, city, report):
    case = report()
    data = as_user(city["clerk"]).get(detail_url(case)).json()
    assert datetime.datetime.fromisoformat(data["reported_at"]) == NOW
    assert timezone.is_aware(datetime.datetime.fromisoformat(data["reported_at"]))


def test_it_runs_every_branch_through_the_api(client, city):
    """Rejection, approval refusal, send-back and re-dispatch, extension, suspension, rework, close."""

    def step(who, case_id, action, expected, **data):
        client.force_login(city[who])
        response = act(client, case_id, action, **data)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["status"] == expected, action
        return response.json()

    client.force_login(city["clerk"])
    refused = post(client, LIST, intake()).json()["id"]
    step("clerk", refused, "reject", "rejected", note="不属于城管范围")

    client.force_login(city["clerk"])
    case_id = post(client, LIST, intake()).json()["id"]
    step("clerk", case_id, "file", "filed", category=city["garbage"].pk)
    step("dispatcher", case_id, "dispatch", "pending_approval")
    step("chief", case_id, "refuse", "filed", note="应由执法处理")
    enforcement = Department.objects.get(code="enforcement")
    step("dispatcher", case_id, "dispatch", "pending_approval", department=enforcement.pk)
    step("chief", case_id, "approve", "dispatched")
    step("other_handler", case_id, "send_back", "returned", note="不是我局职责")
    step("dispatcher", case_id, "dispatch", "pending_approval")  # the routing rules: sanitation
    step("chief", case_id, "approve", "dispatched")
    before = Case.objects.get(pk=case_id).handling_deadline
    step("handler", case_id, "request_extension", "dispatched", note="车辆检修", amount="1", unit="working_days")
    step("leader", case_id, "approve_extension", "dispatched")
    assert Case.objects.get(pk=case_id).handling_deadline > before
    step("handler", case_id, "request_suspension", "dispatched", note="需协调产权单位")
    step("leader", case_id, "suspend", "suspended", note="同意挂账")
    step("leader", case_id, "resume", "dispatched")
    step("handler", case_id, "handle", "handled", note="已清运")
    step("dispatcher", case_id, "send_to_check", "checking")
    step("inspector", case_id, "check_fail", "dispatched", note="仍有残留")
    step("handler", case_id, "handle", "handled", note="再次清运")
    step("dispatcher", case_id, "send_to_check", "checking")
    step("inspector", case_id, "check_pass", "checked")
    final = step("leader", case_id, "close", "closed")
    case = Case.objects.get(pk=case_id)
    assert (case.rework_count, case.extension_count, case.send_back_count) == (1, 1, 1)
    assert case.department.code == "sanitation"
    # closed: what is left to the shift leader is the after-closure work, 回访 and 重办
    assert {a["action"] for a in final["actions"]} == {"callback", "reopen"}


def test_it_records_no_contact_view_for_the_one_who_took_the_report_in(as_user, city, report):
    case = case_report(source=Source.HOTLINE, point=IN_M1, reporter_phone="13812341234", actor=city["clerk"], now=NOW)
    as_user(city["clerk"]).get(detail_url(case))  # they typed it in: nothing new seen
    assert not AuditEvent.objects.filter(action="case.contact_viewed").exists()
    as_user(city["leader"]).get(detail_url(case))
    assert AuditEvent.objects.get(action="case.contact_viewed").actor_id == city["leader"].pk
