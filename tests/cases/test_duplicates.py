"""Duplicate suggestions at intake and the merge action (DESIGN.md §3.5)."""

import datetime
import threading
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from cases.models import Case, CaseEvent, CasePhoto, Category, Source, Status
from cases.selectors import case_duplicates_near, distance_m
from cases.services import IllegalTransition, InvalidInput, NotPermitted, case_report, case_transition
from tests.cases.conftest import IN_M1, NOW, noise_jpeg
from tests.cases.test_api import as_user, detail_url  # noqa: F401 (as_user is a fixture)

# About 30 m and 60 m north of IN_M1 (a degree of latitude is ~111 km).
NEAR = Point(IN_M1.x, IN_M1.y + 30 / 111_195, srid=4326)
FAR = Point(IN_M1.x, IN_M1.y + 60 / 111_195, srid=4326)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def reported(city, point=IN_M1, *, category="garbage", now=NOW, **extra):
    category = city[category] if isinstance(category, str) else category
    return case_report(source=Source.HOTLINE, point=point, category=category, description="垃圾", now=now, **extra)


def suggested(city, point, *, now=NOW, exclude=None):
    return [
        c.pk for c in case_duplicates_near(point=point, category_id=city["garbage"].pk, now=now, exclude_id=exclude)
    ]


def test_it_measures_distances_in_metres():
    assert distance_m(IN_M1, NEAR) == pytest.approx(30, abs=0.5)
    assert distance_m(IN_M1, FAR) == pytest.approx(60, abs=0.5)


def test_it_suggests_open_cases_of_the_same_subcategory_within_50_m_nearest_first(city):
    here = reported(city, IN_M1)
    near = reported(city, NEAR)
    far = reported(city, FAR)  # 60 m from IN_M1: too far
    other = Category.objects.exclude(pk=city["garbage"].pk).filter(active=True).first()
    reported(city, IN_M1, category=other)  # another subcategory
    assert suggested(city, IN_M1) == [here.pk, near.pk]
    assert suggested(city, NEAR) == [near.pk, here.pk, far.pk]  # both 30 m away: the older first
    assert all(c.distance_m <= 50 for c in case_duplicates_near(point=IN_M1, category_id=city["garbage"].pk, now=NOW))


def test_it_leaves_out_closed_old_and_the_case_itself(city):
    old = reported(city, now=NOW - datetime.timedelta(days=8))
    recent = reported(city, now=NOW - datetime.timedelta(days=6))
    rejected = reported(city)
    case_transition(case_id=rejected.pk, action="reject", actor=city["clerk"], note="不是城管问题", now=NOW)
    assert suggested(city, IN_M1) == [recent.pk]
    assert suggested(city, IN_M1, exclude=recent.pk) == []
    assert old.pk not in suggested(city, IN_M1)


def test_it_suggests_nothing_without_a_category(city):
    reported(city)
    assert case_duplicates_near(point=IN_M1, category_id=None, now=NOW) == []


def test_it_merges_a_duplicate_keeping_both_histories(city):
    target = reported(city)
    duplicate = reported(city, NEAR, reporter_phone="13800001111")
    merged = case_transition(
        case_id=duplicate.pk,
        action="merge",
        actor=city["clerk"],
        into=target.tracking_number,
        note="同一堆垃圾",
        now=NOW,
    )
    assert merged.status == Status.MERGED and merged.duplicate_of == target
    event = CaseEvent.objects.get(case=duplicate, action="merge")
    assert event.payload["into"] == {"id": target.pk, "tracking_number": target.tracking_number}
    assert event.note == "同一堆垃圾" and event.actor == city["clerk"]
    merged_in = CaseEvent.objects.get(case=target, action="merged_in")
    assert merged_in.payload["case"] == {"id": duplicate.pk, "tracking_number": duplicate.tracking_number}
    assert merged_in.from_status == merged_in.to_status == Status.REPORTED
    target.refresh_from_db()
    assert target.status == Status.REPORTED  # the case that goes on is not changed
    assert list(target.duplicates.all()) == [duplicate]
    # the duplicate's own history is still there, reporter included
    duplicate.refresh_from_db()
    assert duplicate.reporter_phone == "13800001111"
    assert list(duplicate.events.values_list("action", flat=True)) == ["report", "merge"]


def test_it_merges_by_id_too(city):
    target, duplicate = reported(city), reported(city)
    assert (
        case_transition(case_id=duplicate.pk, action="merge", actor=city["leader"], into=target.pk).duplicate_of
        == target
    )


@pytest.mark.parametrize("into", ["", "209901019999", "abc"])
def test_it_refuses_a_merge_into_an_unknown_case(city, into):
    duplicate = reported(city)
    with pytest.raises(InvalidInput):
        case_transition(case_id=duplicate.pk, action="merge", actor=city["clerk"], into=into)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REPORTED and duplicate.duplicate_of is None


def test_it_refuses_a_merge_into_itself_or_a_finished_case(city):
    case, finished = reported(city), reported(city)
    with pytest.raises(InvalidInput, match="into itself"):
        case_transition(case_id=case.pk, action="merge", actor=city["clerk"], into=case.pk)
    case_transition(case_id=finished.pk, action="reject", actor=city["clerk"], note="误报")
    with pytest.raises(IllegalTransition, match="merge into an open case"):
        case_transition(case_id=case.pk, action="merge", actor=city["clerk"], into=finished.pk)
    assert not CaseEvent.objects.filter(action__in=["merge", "merged_in"]).exists()


def test_it_refuses_a_merge_by_a_department_or_after_dispatch(city):
    target, duplicate = reported(city), reported(city)
    with pytest.raises(NotPermitted):
        case_transition(case_id=duplicate.pk, action="merge", actor=city["handler"], into=target.pk)
    case_transition(case_id=duplicate.pk, action="file", actor=city["clerk"])
    case_transition(case_id=duplicate.pk, action="dispatch", actor=city["dispatcher"])
    with pytest.raises(IllegalTransition):
        case_transition(case_id=duplicate.pk, action="merge", actor=city["clerk"], into=target.pk)


def test_it_merges_once_when_the_same_request_comes_twice(city):
    target, duplicate = reported(city), reported(city)
    request_id = str(uuid.uuid4())
    for _ in range(2):
        case_transition(
            case_id=duplicate.pk, action="merge", actor=city["clerk"], into=target.pk, request_id=request_id
        )
    assert CaseEvent.objects.filter(action="merged_in").count() == 1


def test_it_refuses_the_second_of_two_crosswise_merges(city):
    a, b = reported(city), reported(city)
    case_transition(case_id=a.pk, action="merge", actor=city["clerk"], into=b.pk)
    with pytest.raises(IllegalTransition):
        case_transition(case_id=b.pk, action="merge", actor=city["clerk"], into=a.pk)
    b.refresh_from_db()
    assert b.status == Status.REPORTED


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_simultaneous_crosswise_merges_win(city):
    """A into B and B into A at the same moment: no deadlock, no cycle; exactly one wins."""
    a, b = reported(city), reported(city)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(case, into):
        try:
            barrier.wait()
            case_transition(case_id=case.pk, action="merge", actor=city["clerk"], into=into.pk)
            outcomes.append("ok")
        except (IllegalTransition, InvalidInput) as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # the database's own refusal (a lock timeout) would be a bug
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["IllegalTransition", "ok"]
    statuses = sorted(Case.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True))
    assert statuses == [Status.MERGED, Status.REPORTED]


# ---- pages and API -------------------------------------------------------------


def test_the_case_page_offers_merging_into_a_nearby_duplicate(client, city, media):
    target = reported(city, now=None)
    photo = SimpleUploadedFile("p.jpg", noise_jpeg(), content_type="image/jpeg")
    duplicate = reported(city, NEAR, now=None, photos=[photo])
    client.force_login(city["clerk"])
    page = client.get(f"/cases/{duplicate.pk}/").content.decode()
    assert 'id="duplicates"' in page and target.tracking_number in page
    form = {
        "expected_status": Status.REPORTED,
        "request_id": str(uuid.uuid4()),
        "into": target.tracking_number,
    }
    response = client.post(f"/cases/{duplicate.pk}/act/merge/", form, follow=True)
    assert response.status_code == 200
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.duplicate_of == target
    merged_page = client.get(f"/cases/{duplicate.pk}/").content.decode()
    assert 'id="merged-into"' in merged_page and f"/cases/{target.pk}/" in merged_page
    target_page = client.get(f"/cases/{target.pk}/")
    html = target_page.content.decode()
    assert duplicate.tracking_number in html  # merged reports, the timeline's link
    assert [p.pk for p in target_page.context["view"].photos] == list(CasePhoto.objects.values_list("pk", flat=True))


def test_the_case_page_offers_no_merge_to_who_may_not(client, city):
    reported(city, now=None)
    duplicate = reported(city, NEAR, now=None)
    client.force_login(city["supervisor"])
    assert 'id="duplicates"' not in client.get(f"/cases/{duplicate.pk}/").content.decode()


def test_the_api_lists_duplicates_and_merges(client, city):
    target = reported(city, now=None)
    duplicate = reported(city, NEAR, now=None)
    client.force_login(city["clerk"])
    params = {"lon": NEAR.x, "lat": NEAR.y, "category": city["garbage"].pk, "exclude": duplicate.pk}
    found = client.get("/api/cases/duplicates/", params).json()
    assert [(c["id"], c["url"]) for c in found] == [(target.pk, f"/cases/{target.pk}/")]
    assert 25 < found[0]["distance_m"] < 35
    response = client.post(
        f"/api/cases/{duplicate.pk}/actions/merge/", {"into": target.tracking_number}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == Status.MERGED
    missing = client.post(f"/api/cases/{target.pk}/actions/merge/", {}, content_type="application/json")
    assert missing.status_code == 400 and "into" in missing.json()["error"]["fields"]


def test_the_api_duplicates_needs_a_point_and_a_role(client, city, make_user):
    client.force_login(city["clerk"])
    bad = client.get("/api/cases/duplicates/", {"lon": "x", "category": city["garbage"].pk})
    assert bad.status_code == 400 and {"lon", "lat"} <= set(bad.json()["error"]["fields"])
    client.force_login(city["outsider"])
    assert client.get("/api/cases/duplicates/", {"lon": 1, "lat": 1, "category": 1}).status_code == 403


def test_the_intake_page_knows_where_to_ask_for_duplicates(client, city):
    client.force_login(city["clerk"])
    response = client.get("/cases/new/")
    assert response.context["map_config"]["duplicatesUrl"] == "/api/cases/duplicates/"
    assert 'id="duplicates"' in response.content.decode()
