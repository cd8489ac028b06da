"""The citizen rates a closed case on the status page: once, by the tracking code, limited per
address like the reports; 不满意 reopens the case (重办) through the case service."""

import uuid

import pytest
from django.urls import reverse

from cases.models import CaseEvent, Status
from citizens.services import citizen_report
from tests.citizens.conftest import IN_M1, upload, walk_to_closed

pytestmark = pytest.mark.django_db

ANSWERS = {"satisfaction": "dissatisfied", "solved": "no", "contacted": "yes", "comment": "垃圾还在，李四"}


@pytest.fixture
def citizen(city):
    return citizen_report(point=IN_M1, public_category="sanitation", description="门口垃圾", photo=upload(),
                          client_ip="10.0.0.1", request_id=str(uuid.uuid4()))  # fmt: skip


def rate(client, report, **answers):
    return client.post(reverse("citizens:rate", args=[report.code]), {**ANSWERS, **answers}, REMOTE_ADDR="10.0.0.9")


def test_it_offers_no_rating_before_the_case_is_closed(client, citizen):
    html = client.get(reverse("citizens:status", args=[citizen.code])).content.decode()
    assert 'id="rating-form"' not in html
    response = rate(client, citizen)
    assert response.status_code == 409
    assert not CaseEvent.objects.filter(action="citizen_rating").exists()


def test_a_dissatisfied_citizen_reopens_the_case(client, city, citizen):
    walk_to_closed(citizen.case, city)
    html = client.get(reverse("citizens:status", args=[citizen.code])).content.decode()
    assert 'id="rating-form"' in html
    response = rate(client, citizen)
    assert response.status_code == 302
    case = citizen.case
    case.refresh_from_db()
    assert case.status == Status.FILED and case.rework_count == 1
    actions = list(case.events.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["citizen_rating", "reopen"]
    rating = case.events.get(action="citizen_rating")
    assert rating.payload["evaluation"] == {"by": "citizen", "satisfaction": "dissatisfied", "solved": False,
                                            "contacted": True}  # fmt: skip
    assert rating.note == "垃圾还在，李四"  # for the command centre, never on the public page
    html = client.get(response["Location"]).content.decode()
    assert 'id="rating-given"' in html and "Dissatisfied" in html and 'id="rating-form"' not in html
    assert "李四" not in html
    # the milestones go back: the case is open again
    assert 'data-key="opened"' in html
    data = client.get(reverse("citizens:status_json", args=[citizen.code])).json()
    assert data["status"] == "opened" and data["rating"] == "Dissatisfied" and data["can_rate"] is False


def test_a_satisfied_citizen_leaves_the_case_closed(client, city, citizen):
    walk_to_closed(citizen.case, city)
    assert rate(client, citizen, satisfaction="satisfied", solved="yes").status_code == 302
    citizen.case.refresh_from_db()
    assert citizen.case.status == Status.CLOSED and citizen.case.rework_count == 0


def test_the_citizen_rates_once(client, city, citizen):
    walk_to_closed(citizen.case, city)
    assert rate(client, citizen, satisfaction="satisfied", solved="yes").status_code == 302
    response = rate(client, citizen, satisfaction="dissatisfied")
    assert response.status_code == 409
    assert CaseEvent.objects.filter(case=citizen.case, action="citizen_rating").count() == 1


def test_an_incomplete_rating_is_refused_with_the_fields_named(client, city, citizen):
    walk_to_closed(citizen.case, city)
    response = rate(client, citizen, satisfaction="", solved="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose how satisfied you are." in html and "Say whether the problem is solved." in html
    assert not CaseEvent.objects.filter(action="citizen_rating").exists()


def test_an_unknown_code_is_not_found(client, city):
    response = client.post(reverse("citizens:rate", args=["ABCDEFGHJK"]), ANSWERS)
    assert response.status_code == 404


def test_ratings_are_limited_per_address(client, city, citizen, settings):
    settings.CITIZEN_RATINGS_PER_IP_PER_HOUR = 1
    walk_to_closed(citizen.case, city)
    other = citizen_report(point=IN_M1, public_category="sanitation", description="又一处", photo=upload(),
                           client_ip="10.0.0.2", request_id=str(uuid.uuid4()))  # fmt: skip
    walk_to_closed(other.case, city)
    assert rate(client, citizen, satisfaction="satisfied").status_code == 302
    response = rate(client, other, satisfaction="satisfied")
    assert response.status_code == 429
    assert not CaseEvent.objects.filter(case=other.case, action="citizen_rating").exists()


def test_the_reopening_can_be_switched_off(client, city, citizen, settings):
    settings.CITIZEN_DISSATISFIED_REOPENS = False
    walk_to_closed(citizen.case, city)
    assert rate(client, citizen).status_code == 302
    citizen.case.refresh_from_db()
    assert citizen.case.status == Status.CLOSED
