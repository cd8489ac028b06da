"""The case pages: intake, queue, case page with its actions, approvals, work queue, inspector tasks.

Every page: anonymous, no role, wrong role, another grid's or department's case,
the happy path and the database afterwards. Pages are Chinese first; English
after the language cookie is set.
"""

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case, CaseEvent, CasePhoto, Department, PhotoKind, Source, Status, Urgency
from cases.services import case_report, case_transition
from cases.transitions import TRANSITIONS
from tests.cases.conftest import IN_M1, NOW, noise_jpeg
from tests.cases.test_api import IN_M2, OUTSIDE, filed, move
from tests.photos import after_photo  # noqa: E402

pytestmark = pytest.mark.django_db

QUEUE = "/cases/"
NEW = "/cases/new/"
APPROVALS = "/cases/approvals/"
WORK = "/cases/work/"
TASKS = "/cases/tasks/"


def detail(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def act_url(case, action: str) -> str:
    return reverse("cases:act", args=[case.pk, action])


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def body(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def status_of(case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def intake_data(**extra) -> dict:
    data = {
        "lon": IN_M1.x,
        "lat": IN_M1.y,
        "address": "人民路 12 号",
        "category": "",
        "urgency": Urgency.NORMAL,
        "source": Source.HOTLINE,
        "description": "路边暴露垃圾",
        "reporter_name": "张三丰",
        "reporter_phone": "13812341234",
        "request_id": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


def act(client, case, action: str, *, expected=None, follow=True, **data):
    fields = {
        "expected_status": expected or status_of(case),
        "request_id": str(uuid.uuid4()),
        **data,
    }
    return client.post(act_url(case, action), fields, follow=follow)


def pending(city, report):
    return move(filed(city, report), ("dispatch", "dispatcher"), city=city)


def dispatched(city, report):
    return move(pending(city, report), ("approve", "chief"), city=city)


def action_buttons(response) -> set[str]:
    """The actions the page offers: the last part of each form's /act/<action>/ address."""
    return set(re.findall(r'action="/cases/\d+/act/(\w+)/"', body(response)))


# ---- logging in and roles ------------------------------------------------------------


PAGES = [QUEUE, NEW, APPROVALS, WORK, TASKS, "/cases/{id}/"]


@pytest.mark.parametrize("url", PAGES)
def test_it_redirects_anonymous_users_to_login(client, city, report, url):
    url = url.format(id=report().pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_it_redirects_an_anonymous_action_to_login_and_changes_nothing(client, city, report):
    case = report()
    response = client.post(act_url(case, "file"), {"expected_status": "reported"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert status_of(case) == Status.REPORTED


@pytest.mark.parametrize("url", PAGES)
def test_it_refuses_users_without_a_role(as_user, city, report, url):
    response = as_user(city["outsider"]).get(url.format(id=report().pk))
    assert response.status_code == 403
    assert "没有角色" in body(response) or "no role" in body(response)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("handler", NEW),
        ("supervisor", NEW),
        ("clerk", APPROVALS),
        ("dispatcher", APPROVALS),
        ("chief", WORK),
        ("dispatcher", WORK),
        ("dispatcher", TASKS),
        ("handler", TASKS),
    ],
)
def test_it_refuses_a_page_to_the_wrong_role(as_user, city, who, url):
    assert as_user(city[who]).get(url).status_code == 403


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("clerk", NEW),
        ("leader", NEW),
        ("dispatcher", NEW),
        ("inspector", NEW),
        ("chief", APPROVALS),
        ("handler", WORK),
        ("inspector", TASKS),
        ("supervisor", QUEUE),
    ],
)
def test_it_opens_each_page_to_its_roles(as_user, city, who, url):
    assert as_user(city[who]).get(url).status_code == 200


def test_it_links_the_pages_from_home_and_the_top_bar(as_user, city):
    page = body(as_user(city["inspector"]).get(reverse("home")))
    assert f'href="{TASKS}"' in page
    assert f'href="{NEW}"' in page
    assert f'href="{QUEUE}"' in page
    page = body(as_user(city["chief"]).get(reverse("home")))
    assert f'href="{APPROVALS}"' in page
    page = body(as_user(city["handler"]).get(reverse("home")))
    assert f'href="{WORK}"' in page


def test_it_hides_the_cases_link_from_users_without_a_role(as_user, city):
    assert f'href="{QUEUE}"' not in body(as_user(city["outsider"]).get(reverse("home")))


# ---- intake ----------------------------------------------------------------------------


def test_it_renders_the_intake_form_with_a_map_and_a_fresh_request_id(as_user, city):
    client = as_user(city["clerk"])
    first, second = body(client.get(NEW)), body(client.get(NEW))
    assert 'src="/static/leaflet/leaflet.js"' in first
    assert 'src="/static/js/case-intake.js"' in first
    assert reverse("grids_api:locate") in first
    ids = [re.search(r'name="request_id" value="([0-9a-f-]{36})"', page).group(1) for page in (first, second)]
    assert ids[0] != ids[1]
    # subcategories grouped by their major category
    major = city["garbage"].major
    assert re.search(rf'<optgroup label="[^"]*{major.code} {major.name}">', first)
    assert f'value="{city["garbage"].pk}"' in first


def test_it_takes_in_a_report_and_opens_its_page(as_user, city):
    client = as_user(city["clerk"])
    response = client.post(NEW, intake_data(category=city["garbage"].pk, urgency=Urgency.URGENT))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(case)
    assert case.status == Status.REPORTED
    assert case.micro_grid == city["a"]
    assert case.category == city["garbage"]
    assert case.urgency == Urgency.URGENT
    assert case.source == Source.HOTLINE
    assert case.reporter_phone == "13812341234"
    assert case.events.get().actor == city["clerk"]
    page = client.get(response["Location"])
    assert case.tracking_number in " ".join(messages_of(page))


def test_it_takes_in_a_double_submitted_report_once(as_user, city):
    client = as_user(city["clerk"])
    data = intake_data()
    first = client.post(NEW, data)
    second = client.post(NEW, data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"] == detail(Case.objects.get())


def test_it_refuses_a_point_outside_the_city_and_stores_nothing(as_user, city):
    response = as_user(city["clerk"]).post(NEW, intake_data(**OUTSIDE))
    assert response.status_code == 200
    page = body(response)
    assert "该位置不在本辖区网格内" in page
    assert 'class="field-error" id="location-error"' in page
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0
    # what was typed is kept
    assert "路边暴露垃圾" in page


def test_it_asks_for_a_location(as_user, city):
    response = as_user(city["clerk"]).post(NEW, intake_data(lon="", lat=""))
    assert response.status_code == 200
    assert response.context["form"].errors["lon"]
    assert Case.objects.count() == 0


def test_it_checks_the_phone_number(as_user, city):
    response = as_user(city["clerk"]).post(NEW, intake_data(reporter_phone="call me"))
    assert response.status_code == 200
    assert "reporter_phone" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_it_suggests_the_inspector_source_to_inspectors(as_user, city):
    form = as_user(city["inspector"]).get(NEW).context["form"]
    assert form["source"].value() == Source.INSPECTOR


# ---- queue -----------------------------------------------------------------------------


def test_it_lists_the_cases_with_counts_per_status(as_user, city, report):
    first = report()
    second = filed(city, report)
    third = dispatched(city, report)
    response = as_user(city["dispatcher"]).get(QUEUE)
    assert response.status_code == 200
    tabs = {tab["value"]: tab["count"].n for tab in response.context["tabs"]}
    assert tabs[""] == 3
    assert tabs[Status.REPORTED] == tabs[Status.FILED] == tabs[Status.DISPATCHED] == 1
    assert tabs[Status.CLOSED] == 0
    page = body(response)
    for case in (first, second, third):
        assert f'href="{detail(case)}"' in page
    assert "环卫" in page  # the department of the dispatched case


def test_it_filters_the_queue_by_status(as_user, city, report):
    report()
    case = filed(city, report)
    response = as_user(city["dispatcher"]).get(QUEUE, {"status": Status.FILED})
    assert [c.pk for c in response.context["rows"]] == [case.pk]
    # the tabs still count every status
    assert {tab["value"]: tab["count"].n for tab in response.context["tabs"]}[""] == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"urgency": Urgency.URGENT}, {"urgent"}),
        ({"source": Source.HOTLINE}, {"in_m2"}),
        ({"overdue": "yes"}, {"overdue"}),
        ({"reported_from": "2026-11-19"}, {"later"}),
        ({"reported_to": "2026-11-18"}, {"urgent", "overdue", "in_m2"}),
    ],
)
def test_it_filters_the_queue(as_user, city, report, params, expected):
    cases = {
        "urgent": report(urgency=Urgency.URGENT),
        "overdue": report(),
        "in_m2": case_report(source=Source.HOTLINE, point=IN_M2, now=NOW),
        "later": case_report(source=Source.INSPECTOR, point=IN_M1, now=NOW + datetime.timedelta(days=1)),
    }
    Case.objects.filter(pk=cases["overdue"].pk).update(overdue=True)
    response = as_user(city["dispatcher"]).get(QUEUE, params)
    shown = {c.pk for c in response.context["rows"]}
    assert shown == {cases[key].pk for key in expected}


def test_it_filters_the_queue_by_category_grid_and_tracking_number(as_user, city, report):
    garbage = report(category=city["garbage"])
    other = case_report(source=Source.HOTLINE, point=IN_M2, now=NOW)
    client = as_user(city["dispatcher"])
    listed = lambda params: {c.pk for c in client.get(QUEUE, params).context["rows"]}  # noqa: E731
    assert listed({"category": city["garbage"].pk}) == {garbage.pk}
    assert listed({"grid": city["community"].pk}) == {garbage.pk, other.pk}
    assert listed({"grid": city["other_community"].pk}) == set()
    assert listed({"q": other.tracking_number}) == {other.pk}


def test_it_offers_large_and_community_grids_to_filter_by(as_user, city):
    choices = as_user(city["dispatcher"]).get(QUEUE).context["form"].fields["grid"].choices
    values = {value for _label, group in choices[1:] for value, _name in group}
    assert values == {city["large"].pk, city["community"].pk, city["other_community"].pk}


def test_it_shows_a_wrong_date_range_as_an_error(as_user, city, report):
    report()
    response = as_user(city["dispatcher"]).get(QUEUE, {"reported_from": "2026-11-20", "reported_to": "2026-11-01"})
    assert response.status_code == 200
    assert "reported_to" in response.context["form"].errors


def test_it_lists_only_the_cases_in_a_chiefs_grids(as_user, city, report):
    case = report()
    assert [c.pk for c in as_user(city["chief"]).get(QUEUE).context["rows"]] == [case.pk]
    response = as_user(city["neighbour"]).get(QUEUE)
    assert list(response.context["rows"]) == []
    assert case.tracking_number not in body(response)


def test_it_shows_an_empty_state(english, as_user, city):
    page = body(as_user(city["dispatcher"]).get(QUEUE))
    assert "No cases yet" in page
    page = body(as_user(city["dispatcher"]).get(QUEUE, {"status": Status.CLOSED}))
    assert "No cases match these filters" in page


def test_it_pages_the_queue_by_25_by_position(as_user, city, report):
    cases = [report() for _ in range(27)]  # all reported at the same moment: the id settles the order
    client = as_user(city["dispatcher"])
    first = client.get(QUEUE)
    assert [c.pk for c in first.context["rows"]] == [c.pk for c in cases[::-1][:25]]
    older = first.context["page"].next
    assert f'rel="next" href="?cursor={older}"' in body(first) and first.context["page"].previous is None
    second = client.get(QUEUE, {"cursor": older})
    assert [c.pk for c in second.context["rows"]] == [cases[1].pk, cases[0].pk]
    assert second.context["page"].next is None
    back = client.get(QUEUE, {"cursor": second.context["page"].previous})
    assert [c.pk for c in back.context["rows"]] == [c.pk for c in cases[::-1][:25]]
    assert back.context["page"].previous is None
    assert [c.pk for c in client.get(QUEUE, {"cursor": "not-a-cursor"}).context["rows"]][:1] == [cases[-1].pk]


def test_it_keeps_the_filters_in_the_tab_and_page_links(as_user, city, report):
    for _ in range(26):
        report(urgency=Urgency.URGENT)
    response = as_user(city["dispatcher"]).get(QUEUE, {"urgency": "urgent"})
    page = body(response)
    assert 'href="?urgency=urgent&amp;status=filed"' in page
    assert f'href="?urgency=urgent&amp;cursor={response.context["page"].next}"' in page


def test_it_counts_the_tabs_up_to_a_cap_and_says_so(english, as_user, city, report, monkeypatch):
    monkeypatch.setattr("cases.selectors.COUNT_CAP", {"postgresql": 3, "sqlite": 3})
    for _ in range(5):
        report()
    filed(city, report)
    response = as_user(city["dispatcher"]).get(QUEUE)
    tabs = {tab["value"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs[Status.FILED].kind == "exact" and tabs[Status.FILED].n == 1
    reported = tabs[Status.REPORTED]
    if connection.vendor == "postgresql":  # the planner's estimate, said as one
        assert reported.kind == "about" and reported.n >= 4 and str(reported).startswith("about ")
    else:
        assert (reported.kind, reported.n, str(reported)) == ("at_least", 3, "3+")
    assert tabs[""].kind == reported.kind


@pytest.mark.parametrize("who", ["dispatcher", "chief", "handler"])
@pytest.mark.parametrize("params", [{}, {"status": "dispatched"}, {"grid": "community"}])
def test_it_lists_the_queue_in_a_fixed_number_of_queries(as_user, city, report, who, params, django_assert_num_queries):
    client = as_user(city[who])
    params = {**params, "grid": city["community"].pk} if "grid" in params else params
    dispatched(city, report)
    client.get(QUEUE, params)  # the process's catalogue and calendar
    # session, user, groups; the category and grid choices; the counts per status, the rows
    # (the grid filter: its level)
    expected = 7 + ("grid" in params)
    with django_assert_num_queries(expected):
        client.get(QUEUE, params)
    for _ in range(30):
        dispatched(city, report)
        report()
    with django_assert_num_queries(expected):
        response = client.get(QUEUE, params)
    assert len(response.context["rows"]) >= 13
    with django_assert_num_queries(expected):
        assert client.get(QUEUE, {**params, "cursor": response.context["page"].next}).status_code == 200


def test_it_colours_the_deadlines_in_the_queue(as_user, city, report):
    case = dispatched(city, report)
    Case.objects.filter(pk=case.pk).update(handling_deadline=timezone.now() - datetime.timedelta(hours=1))
    response = as_user(city["dispatcher"]).get(QUEUE)
    assert response.context["rows"][0].light.colour == "red"
    assert "light-red" in body(response)
    Case.objects.filter(pk=case.pk).update(handling_deadline=timezone.now() + datetime.timedelta(days=30))
    response = as_user(city["dispatcher"]).get(QUEUE)
    assert response.context["rows"][0].light.colour == "green"


# ---- the case page ---------------------------------------------------------------------


def test_it_shows_a_case_with_its_facts_and_timeline(as_user, city, report):
    case = dispatched(city, report)
    page = body(as_user(city["dispatcher"]).get(detail(case)))
    assert case.tracking_number in page
    assert city["garbage"].filing_condition in page
    assert city["garbage"].closing_condition in page
    assert city["a"].name in page and city["community"].name in page
    assert "M1长" in page  # the responsible chief and the approver
    assert "派遣" in page and "同意派遣" in page  # the timeline's actions
    assert "已立案 → 待网格长审批" in page
    assert 'id="case-map"' in page and 'src="/static/js/case-map.js"' in page


def test_it_offers_the_dispatcher_dispatch_on_a_filed_case(as_user, city, report):
    case = filed(city, report)
    response = as_user(city["dispatcher"]).get(detail(case))
    assert action_buttons(response) == {"dispatch", "merge"}
    assert "派遣" in body(response)
    # the department select names the one the routing rules pick
    assert "环卫" in body(response)


@pytest.mark.parametrize(
    ("who", "actions"),
    [
        ("clerk", {"merge"}),
        ("leader", {"dispatch", "cancel", "merge", "supervise"}),
        ("supervisor", {"supervise"}),  # a leader's only action: 督办
        ("inspector", set()),
        ("chief", set()),
    ],
)
def test_it_offers_only_the_actions_of_the_role(as_user, city, report, who, actions):
    case = filed(city, report)
    assert action_buttons(as_user(city[who]).get(detail(case))) == actions


def test_it_offers_the_handler_nothing_on_a_filed_case(as_user, city, report):
    case = filed(city, report)
    assert as_user(city["handler"]).get(detail(case)).status_code == 404  # not theirs yet


def test_it_offers_the_handler_handling_on_a_dispatched_case(as_user, city, report):
    case = dispatched(city, report)
    offered = action_buttons(as_user(city["handler"]).get(detail(case)))
    assert {"handle", "send_back"} <= offered
    assert offered <= {"handle", "send_back", "request_extension", "request_suspension"}


@pytest.mark.skipif("request_extension" not in TRANSITIONS, reason="no extension requests")
def test_it_offers_deciding_an_extension_only_while_one_is_asked_for(as_user, city, report):
    case = dispatched(city, report)
    assert not {"approve_extension", "refuse_extension"} & action_buttons(as_user(city["leader"]).get(detail(case)))
    act(as_user(city["handler"]), case, "request_extension", note="需要调车", amount="2", unit="working_days")
    assert CaseEvent.objects.filter(case=case, action="request_extension").exists()
    assert "request_extension" not in action_buttons(as_user(city["handler"]).get(detail(case)))
    response = as_user(city["leader"]).get(detail(case))
    assert {"approve_extension", "refuse_extension"} <= action_buttons(response)
    assert "需要调车" in body(response)
    before = Case.objects.get(pk=case.pk).handling_deadline
    act(as_user(city["leader"]), case, "approve_extension")
    assert Case.objects.get(pk=case.pk).handling_deadline > before


def test_it_offers_the_chief_the_approval(as_user, city, report):
    case = pending(city, report)
    assert action_buttons(as_user(city["chief"]).get(detail(case))) == {"approve", "refuse"}


def test_it_hides_a_case_outside_the_users_scope(as_user, city, report):
    case = report()
    assert as_user(city["neighbour"]).get(detail(case)).status_code == 404
    assert as_user(city["other_handler"]).get(detail(dispatched(city, report))).status_code == 404
    assert as_user(city["dispatcher"]).get("/cases/999999/").status_code == 404


def test_it_masks_the_reporters_phone_for_a_grid_chief(as_user, city, report):
    case = report(reporter_name="张三丰", reporter_phone="13812341234")
    page = body(as_user(city["chief"]).get(detail(case)))
    assert "138****1234" in page
    assert "13812341234" not in page
    assert "张**" in page and "张三丰" not in page


def test_it_shows_the_reporters_phone_to_the_command_center(as_user, city, report):
    case = report(reporter_name="张三丰", reporter_phone="13812341234")
    page = body(as_user(city["clerk"]).get(detail(case)))
    assert 'href="tel:13812341234"' in page
    assert "张三丰" in page
    viewed = AuditEvent.objects.get(action="case.contact_viewed")  # who viewed it is in the audit log
    assert (viewed.actor_id, viewed.object_id, viewed.details) == (city["clerk"].pk, str(case.pk), {"where": "page"})


def test_it_shows_the_clock_with_its_colour(as_user, city, report):
    case = dispatched(city, report)
    response = as_user(city["dispatcher"]).get(detail(case))
    clock = response.context["view"].clock
    assert clock is not None
    assert f"clock light-{clock.light}" in body(response)


def test_it_shows_the_notification_attempts(as_user, city, report):
    sanitation = Department.objects.get(code="sanitation")
    sanitation.emails = "huanwei@example.org"
    sanitation.save()
    case = dispatched(city, report)
    response = as_user(city["dispatcher"]).get(detail(case))
    assert len(response.context["notifications"]) == 1
    page = body(response)
    assert 'id="notifications-title"' in page
    assert "delivery-pending" in page or "delivery-delivered" in page


# ---- acting through the pages -----------------------------------------------------------


def test_it_moves_the_case_through_the_page(as_user, city, report):
    case = filed(city, report)
    response = act(as_user(city["dispatcher"]), case, "dispatch")
    assert status_of(case) == Status.PENDING_APPROVAL
    assert response.redirect_chain[-1][0] == detail(case)
    assert any("待网格长审批" in message for message in messages_of(response))
    response = act(as_user(city["chief"]), case, "approve")
    assert status_of(case) == Status.DISPATCHED
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.action, event.actor) == ("approve", city["chief"])


def test_it_dispatches_to_the_chosen_department(as_user, city, report):
    case = filed(city, report)
    enforcement = Department.objects.get(code="enforcement")
    act(as_user(city["dispatcher"]), case, "dispatch", department=enforcement.pk)
    assert Case.objects.get(pk=case.pk).department == enforcement


def test_it_files_with_the_chosen_category(as_user, city, report):
    case = report()
    act(as_user(city["clerk"]), case, "file", category=city["garbage"].pk)
    case.refresh_from_db()
    assert (case.status, case.category) == (Status.FILED, city["garbage"])


def test_it_refuses_a_stale_action_with_a_message_and_changes_nothing(as_user, city, report):
    case = pending(city, report)  # the dispatcher's page still showed it as filed
    response = act(as_user(city["leader"]), case, "dispatch", expected=Status.FILED)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == detail(case)
    assert any("案件状态已变化" in message for message in messages_of(response))
    assert "message-error" in body(response)
    assert status_of(case) == Status.PENDING_APPROVAL
    assert CaseEvent.objects.filter(case=case).count() == 3


def test_it_asks_for_the_reason_of_a_refusal(as_user, city, report):
    case = pending(city, report)
    response = act(as_user(city["chief"]), case, "refuse", note="")
    assert messages_of(response) and status_of(case) == Status.PENDING_APPROVAL
    act(as_user(city["chief"]), case, "refuse", note="不属于本网格")
    assert status_of(case) == Status.FILED
    assert CaseEvent.objects.filter(case=case).last().note == "不属于本网格"


def test_it_shows_a_refused_role_as_a_message_not_an_error_page(as_user, city, report):
    case = filed(city, report)
    response = act(as_user(city["clerk"]), case, "dispatch")
    assert response.status_code == 200
    assert messages_of(response)
    assert status_of(case) == Status.FILED


def test_it_applies_a_double_submitted_action_once(as_user, city, report):
    case = filed(city, report)
    client = as_user(city["dispatcher"])
    data = {"expected_status": Status.FILED, "request_id": str(uuid.uuid4())}
    client.post(act_url(case, "dispatch"), data)
    response = client.post(act_url(case, "dispatch"), data, follow=True)
    assert response.status_code == 200
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_it_hides_acting_on_a_case_outside_the_users_scope(as_user, city, report):
    case = pending(city, report)
    response = act(as_user(city["neighbour"]), case, "approve", follow=False)
    assert response.status_code == 404
    assert status_of(case) == Status.PENDING_APPROVAL


def test_it_answers_404_to_an_unknown_action_and_405_to_get(as_user, city, report):
    case = report()
    client = as_user(city["clerk"])
    assert act(client, case, "explode", follow=False).status_code == 404
    assert client.get(act_url(case, "file")).status_code == 405


def test_it_returns_to_the_page_it_came_from(as_user, city, report):
    case = pending(city, report)
    response = act(as_user(city["chief"]), case, "approve", follow=False, next=APPROVALS)
    assert response["Location"] == APPROVALS
    other = pending(city, report)
    response = act(as_user(city["chief"]), other, "approve", follow=False, next="https://evil.example/")
    assert response["Location"] == detail(other)


def test_it_sends_a_handler_who_sent_a_case_back_to_the_queue(as_user, city, report):
    case = dispatched(city, report)
    response = act(as_user(city["handler"]), case, "send_back", note="应由市政处理", follow=False)
    assert status_of(case) == Status.RETURNED
    assert response["Location"] == QUEUE


# ---- work lists -------------------------------------------------------------------------


def test_it_lists_the_dispatches_a_chief_must_approve(as_user, city, report):
    case = pending(city, report)
    report()  # reported, not waiting for approval
    response = as_user(city["chief"]).get(APPROVALS)
    assert [c.pk for c in response.context["page"].object_list] == [case.pk]
    page = body(response)
    assert action_buttons(response) == {"approve", "refuse"}
    assert '<svg class="thumb"' in page and "<path" in page
    assert f'name="next" value="{APPROVALS}"' in page
    assert list(as_user(city["neighbour"]).get(APPROVALS).context["page"].object_list) == []


def test_it_approves_from_the_approval_list(as_user, city, report):
    case = pending(city, report)
    client = as_user(city["chief"])
    response = act(client, case, "approve", next=APPROVALS)
    assert response.redirect_chain[-1][0] == APPROVALS
    assert status_of(case) == Status.DISPATCHED
    assert list(response.context["page"].object_list) == []


def test_it_lists_a_departments_work(as_user, city, report):
    case = dispatched(city, report)
    filed(city, report)
    response = as_user(city["handler"]).get(WORK)
    assert [c.pk for c in response.context["page"].object_list] == [case.pk]
    assert action_buttons(response) == {"handle", "send_back"}
    assert list(as_user(city["other_handler"]).get(WORK).context["page"].object_list) == []


def test_it_handles_from_the_work_queue_with_a_photo(as_user, city, report, media):
    case = dispatched(city, report)
    handler = as_user(city["handler"])
    act(handler, case, "handle", note="已清运", next=WORK)  # no photo: refused
    assert status_of(case) == Status.DISPATCHED
    photo = SimpleUploadedFile("after.jpg", noise_jpeg(), content_type="image/jpeg")
    act(handler, case, "handle", note="已清运", next=WORK, photos=[photo])
    assert status_of(case) == Status.HANDLED
    after = CasePhoto.objects.get(case=case)
    assert after.kind == PhotoKind.AFTER and after.event.action == "handle" and after.uploaded_by == city["handler"]


def test_it_lists_an_inspectors_tasks(as_user, city, report):
    verifying = move(report(), ("verify", "clerk"), city=city)
    checking = move(dispatched(city, report), ("handle", "handler", {"note": "已清运"}), ("send_to_check", "clerk"),
                    city=city)  # fmt: skip
    report()
    response = as_user(city["inspector"]).get(TASKS)
    assert {c.pk for c in response.context["page"].object_list} == {verifying.pk, checking.pk}
    page = body(response)
    assert set(re.findall(rf'action="/cases/{verifying.pk}/act/(\w+)/"', page)) == {"file", "reject"}
    assert set(re.findall(rf'action="/cases/{checking.pk}/act/(\w+)/"', page)) == {"check_pass", "check_fail"}
    assert "geo:" in page


def test_it_verifies_and_checks_from_the_task_list(as_user, city, report):
    verifying = move(report(), ("verify", "clerk"), city=city)
    client = as_user(city["inspector"])
    act(client, verifying, "file", category=city["garbage"].pk, next=TASKS)
    assert status_of(verifying) == Status.FILED
    checking = move(dispatched(city, report), ("handle", "handler", {"note": "已清运"}), ("send_to_check", "clerk"),
                    city=city)  # fmt: skip
    act(client, checking, "check_fail", note="仍有垃圾", next=TASKS)  # without a photo taken on site: refused
    assert status_of(checking) == Status.CHECKING
    act(client, checking, "check_fail", note="仍有垃圾", next=TASKS, photos=[after_photo("onsite.jpg")])
    assert status_of(checking) == Status.DISPATCHED
    assert Case.objects.get(pk=checking.pk).rework_count == 1


def test_it_shows_empty_work_lists(english, as_user, city):
    assert "Nothing to approve" in body(as_user(city["chief"]).get(APPROVALS))
    assert "No cases to handle" in body(as_user(city["handler"]).get(WORK))
    assert "No tasks" in body(as_user(city["inspector"]).get(TASKS))


# ---- languages and static files ---------------------------------------------------------


def test_it_renders_the_pages_in_chinese_by_default(as_user, city, report):
    case = filed(city, report)
    page = body(as_user(city["dispatcher"]).get(detail(case)))
    assert '<html lang="zh-Hans">' in page
    assert "已立案" in page


@pytest.mark.parametrize(
    ("who", "url", "text"),
    [
        ("dispatcher", QUEUE, "Tracking number"),
        ("clerk", NEW, "Take in the report"),
        ("dispatcher", "/cases/{id}/", "Dispatch"),
        ("chief", APPROVALS, "Dispatches to approve"),
        ("handler", WORK, "Work queue"),
        ("inspector", TASKS, "My tasks"),
    ],
)
def test_it_renders_every_page_in_english(english, as_user, city, report, who, url, text):
    case = filed(city, report)
    response = as_user(city[who]).get(url.format(id=case.pk))
    assert response.status_code == 200
    page = body(response)
    assert '<html lang="en">' in page
    assert text in page
    assert "已立案" not in page and "派遣员" not in page


def test_it_serves_the_pages_scripts_and_styles_without_debug(client, settings):
    assert settings.DEBUG is False
    for path in ("js/case-intake.js", "js/case-map.js", "js/case-forms.js", "css/cases.css", "leaflet/leaflet.js"):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        b"".join(response.streaming_content)


def test_it_acts_with_the_service_not_around_it(as_user, city, report, monkeypatch):
    """The page goes through cases.services.case_transition (one write path)."""
    calls = []
    import cases.views

    def spy(**kwargs):
        calls.append(kwargs)
        return case_transition(**kwargs)

    monkeypatch.setattr(cases.views, "case_transition", spy)
    case = filed(city, report)
    act(as_user(city["dispatcher"]), case, "dispatch")
    assert calls and calls[0]["expected_status"] == Status.FILED and calls[0]["request_id"]
