"""The command center's pages (issue 14 items 1–3): the supervision map, the wall, the queue's
sort, selection and batch actions. Chinese first."""

import uuid

import pytest

from cases.models import Case, CaseEvent, Department, Status
from tests.cases.test_api import dispatched, filed
from tests.cases.test_pages import as_user, body  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

QUEUE, MAP, WALL, BATCH = "/cases/", "/cases/map/", "/cases/wall/", "/cases/batch/"


def batch(client, cases, action, **data):
    values = [f"{case.pk}:{case.status}" for case in cases]
    return client.post(BATCH, {"case": values, "action": action, "request_id": str(uuid.uuid4()), **data})


@pytest.mark.parametrize("url", [MAP, WALL])
def test_it_sends_anonymous_users_to_login_and_refuses_users_without_a_role(client, city, url):
    assert client.get(url).status_code == 302
    client.force_login(city["outsider"])
    assert client.get(url).status_code == 403


def test_it_shows_the_supervision_map_with_the_queues_filters(as_user, city):
    response = as_user(city["dispatcher"]).get(MAP, {"urgency": "urgent", "overdue": "yes", "status": "filed"})
    assert response.status_code == 200
    config = response.context["map_config"]
    assert config["feedUrl"] == "/api/cases/map/"
    assert config["feedParams"] == {"urgency": "urgent", "overdue": "true", "status": "filed"}
    page = body(response)
    assert "监督地图" in page and "vendor/leaflet.markercluster/leaflet.markercluster.js" in page
    assert '<option value="closed"' not in page  # the map shows open cases only
    assert "<script>" not in page  # CSP: no inline script


def test_it_shows_the_wall_with_todays_figures_within_scope(as_user, city, report):
    case = filed(city, report)
    response = as_user(city["dispatcher"]).get(WALL)
    assert response.status_code == 200
    wall = response.context["wall"]
    assert {s["status"]: s["n"] for s in wall["stages"]}["filed"] == 1
    page = body(response)
    assert "指挥大屏" in page and case.tracking_number in page and "全屏" in page
    assert response.context["map_config"]["wallUrl"] == "/api/cases/wall/"
    assert as_user(city["neighbour"]).get(WALL).context["wall"]["open"]["n"] == 0


def test_it_offers_the_batch_actions_of_the_users_roles(as_user, city, report):
    filed(city, report)
    dispatcher = body(as_user(city["dispatcher"]).get(QUEUE))
    assert (
        'id="batch-form"' in dispatcher and 'value="dispatch"' in dispatcher and 'value="send_to_check"' in dispatcher
    )
    assert 'value="close"' not in dispatcher  # the shift leader closes
    assert 'value="close"' in body(as_user(city["leader"]).get(QUEUE))
    assert 'id="batch-form"' not in body(as_user(city["supervisor"]).get(QUEUE))
    assert 'name="case"' not in body(as_user(city["supervisor"]).get(QUEUE))


def test_it_dispatches_the_selection_and_lists_each_result(as_user, city, report):
    a, b, late = filed(city, report), filed(city, report), filed(city, report)
    Case.objects.filter(pk=late.pk).update(status=Status.CANCELLED)  # moved on since the page was read
    enforcement = Department.objects.get(code="enforcement")
    response = batch(as_user(city["dispatcher"]), [a, late, b], "dispatch", department=enforcement.pk, note="批量派遣")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["result"].ok for row in rows] == [True, False, True]
    assert response.context["done"] == 2 and response.context["failed"] == 1
    page = body(response)
    assert "案件已变化" in page or "已作废" in page
    assert [Case.objects.get(pk=c.pk).status for c in (a, late, b)] == [
        Status.PENDING_APPROVAL, Status.CANCELLED, Status.PENDING_APPROVAL,
    ]  # fmt: skip
    assert Case.objects.get(pk=a.pk).department == enforcement
    assert not CaseEvent.objects.filter(case=late, action="dispatch").exists()


def test_it_refuses_a_batch_without_an_action_or_the_note_it_needs(as_user, city, report):
    a = filed(city, report)
    client = as_user(city["leader"])
    response = client.post(
        BATCH, {"case": [f"{a.pk}:filed"], "action": "", "request_id": str(uuid.uuid4())}, follow=True
    )
    assert response.redirect_chain and Case.objects.get(pk=a.pk).status == Status.FILED
    response = client.post(BATCH, {"case": [], "action": "dispatch", "request_id": str(uuid.uuid4())}, follow=True)
    assert any("至少选择一个案件" in str(m) for m in response.context["messages"])


def test_it_refuses_the_batch_page_to_a_role_without_batch_actions(as_user, city, report):
    a = dispatched(city, report)
    response = batch(as_user(city["supervisor"]), [a], "close")
    assert response.status_code == 403
    assert response.status_code == 403 and Case.objects.get(pk=a.pk).status == Status.DISPATCHED


def test_it_sorts_the_queue_and_keeps_the_order_in_its_page_links(as_user, city, report):
    for _ in range(27):
        report()
    client = as_user(city["dispatcher"])
    response = client.get(QUEUE, {"sort": "age"})
    rows = response.context["rows"]
    assert [c.pk for c in rows] == sorted(c.pk for c in rows)
    assert response.context["sort"] == "age"
    page = body(response)
    assert f'href="?sort=age&amp;cursor={response.context["page"].next}"' in page
    second = client.get(QUEUE, {"sort": "age", "cursor": response.context["page"].next})
    assert len(second.context["rows"]) == 2 and second.context["rows"][0].pk > rows[-1].pk
    assert '<input type="hidden" name="sort" value="age">' in page  # the filters keep the order


def test_it_gives_the_queue_what_it_asks_arrivals_with(as_user, city, report):
    response = as_user(city["dispatcher"]).get(QUEUE, {"urgency": "urgent", "q": "2026"})
    config = response.context["queue_config"]
    assert config["arrivalsUrl"] == "/api/cases/arrivals/"
    assert config["params"] == {"urgency": "urgent", "q": "2026"}
    assert 'id="shortcuts"' in body(response)
