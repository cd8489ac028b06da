"""The public status page (and its JSON): milestones from the case's events, the after-photo
once closed, and nothing private: no phone, no name, no note, no staff, no department contact."""

import json
import re
import uuid

import pytest
from django.urls import reverse

from cases.models import CasePhoto, Department, PhotoKind, Status
from cases.photos import photo_make_derivatives
from cases.services import case_transition
from citizens.selectors import milestones_of
from citizens.services import citizen_report
from grids.models import Person
from tests.cases.conftest import SHANGHAI
from tests.citizens.conftest import IN_M1, phone_jpeg, upload, walk_to_closed
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
SECRET_DESCRIPTION = "我是李四，住3号楼，门口垃圾"


@pytest.fixture
def citizen(city):
    report = citizen_report(
        point=IN_M1,
        public_category="sanitation",
        description=SECRET_DESCRIPTION,
        photo=upload(),
        phone=PHONE,
        client_ip="10.0.0.1",
        request_id=str(uuid.uuid4()),
    )
    for photo in report.case.photos.all():  # what the task does after the commit
        photo_make_derivatives(photo_id=photo.pk)
    return report


def page(client, report) -> str:
    response = client.get(reverse("citizens:status", args=[report.code]))
    assert response.status_code == 200
    return response.content.decode()


def milestones(html: str) -> dict[str, str]:
    """{milestone key: its date, or "" if to come}, read from the #milestones list."""
    listing = re.search(r'<ol class="milestones" id="milestones">(.*?)</ol>', html, re.S).group(1)
    items = re.findall(r'data-key="(\w+)".*?(?:<time datetime="([^"]+)"|to come)', listing, re.S)
    return dict(items)


def private_strings(city, report) -> list[str]:
    """Everything that must never reach the public: contacts, names, notes, staff, departments' details."""
    strings = [PHONE, "139 1234 5678", SECRET_DESCRIPTION, "李四", "内部备注", "张三", "13900001111"]
    strings += [report.case.tracking_number]
    for person in Person.objects.all():
        strings += [person.name, person.phone]
    for key in ("clerk", "leader", "dispatcher", "chief", "handler", "inspector"):
        strings.append(f">{city[key].username}<")
    for department in Department.objects.all():
        strings += [department.emails, department.webhook_url]
    strings += [photo.original.url for photo in CasePhoto.objects.filter(case=report.case)]
    return [s for s in strings if s]


def test_it_shows_a_new_report_as_reported(client, citizen):
    html = page(client, citizen)
    steps = milestones(html)
    assert steps.pop("reported") == citizen.case.reported_at.astimezone(SHANGHAI).isoformat()
    assert steps == {"opened": "", "dispatched": "", "handled": "", "closed": ""}
    assert 'id="tracking-code">' + citizen.code in html
    assert "Sanitation" in html


def test_it_follows_the_case_to_closed_with_the_after_photo(client, city, citizen, media):
    case = walk_to_closed(citizen.case, city, after_photo=phone_jpeg(colour=(20, 160, 40)))
    html = page(client, citizen)
    steps = milestones(html)
    assert list(steps) == ["reported", "opened", "dispatched", "handled", "closed"] and all(steps.values())
    assert steps["closed"] == case.closed_at.astimezone(SHANGHAI).isoformat()
    after = CasePhoto.objects.get(case=case, kind=PhotoKind.AFTER)
    assert after.display.url in html and after.original.url not in html
    before = CasePhoto.objects.get(case=case, kind=PhotoKind.BEFORE)
    assert before.original.url not in html and before.display.url not in html
    data = client.get(reverse("citizens:status_json", args=[citizen.code])).json()
    assert data["status"] == "closed" and data["after_photo_url"].endswith(after.display.url)
    assert [m["done"] for m in data["milestones"]] == [True] * 5


def test_it_leaks_nothing_private_in_the_page_or_the_json(client, city, citizen):
    case = walk_to_closed(citizen.case, city, after_photo=phone_jpeg(colour=(20, 160, 40)))
    Department.objects.filter(pk=case.department_id).update(
        emails="huanwei@example.gov.cn", webhook_url="https://hooks.example/secret"
    )
    html = page(client, citizen)
    body = json.dumps(client.get(reverse("citizens:status_json", args=[citizen.code])).json(), ensure_ascii=False)
    receipt = client.get(reverse("citizens:receipt", args=[citizen.code])).content.decode()
    for text in private_strings(city, citizen):
        assert text not in html, text
        assert text not in body, text
        assert text not in receipt, text
    assert case.department.name not in html  # which office handles it is internal
    # No mobile number anywhere in the text (tags and their attributes, random file names included, aside).
    text = re.sub(r"<[^>]*>", " ", html)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)


def test_it_shows_later_milestones_as_to_come_again_after_a_failed_check(client, city, citizen):
    case = citizen.case

    def act(action, user, **kwargs):
        return case_transition(
            case_id=case.pk, action=action, actor=user, note="备注", **with_after_photo(action, kwargs)
        )

    act("file", city["clerk"], category=city["garbage"])
    if act("dispatch", city["dispatcher"]).status == Status.PENDING_APPROVAL:
        act("approve", city["chief"])
    act("handle", city["handler"])
    assert milestones(page(client, citizen))["handled"]
    act("send_to_check", city["dispatcher"])
    act("check_fail", city["inspector"])
    steps = milestones(page(client, citizen))
    assert steps["dispatched"] and steps["handled"] == "" and steps["closed"] == ""


def test_it_says_not_accepted_without_the_reason(client, city, citizen):
    case_transition(case_id=citizen.case.pk, action="reject", actor=city["clerk"], note="重复上报，内部备注")
    html = page(client, citizen)
    assert 'data-key="rejected"' in html and "Not accepted" in html
    assert "重复上报" not in html and "内部备注" not in html
    data = client.get(reverse("citizens:status_json", args=[citizen.code])).json()
    assert data["status"] == "rejected" and data["ended_at"]


def test_it_does_not_count_a_passed_check_as_closed():
    """'checked' (check passed, waiting for the shift leader's 结案) is still 'handled'."""
    events = [
        (status, i) for i, status in enumerate(["reported", "filed", "dispatched", "handled", "checking", "checked"])
    ]
    dates, stage, ending = milestones_of(events)
    assert stage == 3 and 4 not in dates and ending is None
    dates, stage, _ = milestones_of([*events, ("closed", 9)])
    assert stage == 4 and dates[4] == 9


def test_it_answers_an_unknown_code_with_a_friendly_404(client, city):
    response = client.get(reverse("citizens:status", args=["AAAAAAAAAA"]))
    assert response.status_code == 404 and 'id="not-found"' in response.content.decode()
    assert client.get(reverse("citizens:status_json", args=["AAAAAAAAAA"])).status_code == 404
    assert client.get(reverse("citizens:receipt", args=["AAAAAAAAAA"])).status_code == 404


def test_it_finds_a_report_from_a_code_typed_loosely(client, citizen):
    typed = f" {citizen.code[:5].lower()}-{citizen.code[5:]} "
    response = client.get(reverse("citizens:track"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("citizens:status", args=[citizen.code])


def test_it_reads_the_status_page_in_a_fixed_number_of_queries(client, city, citizen, django_assert_max_num_queries):
    walk_to_closed(citizen.case, city, after_photo=phone_jpeg(colour=(20, 160, 40)))
    with django_assert_max_num_queries(4):
        page(client, citizen)


def test_a_merged_report_follows_the_case_it_was_merged_into(client, city, citizen, media):
    from cases.models import Source
    from cases.services import case_report

    earlier = case_report(source=Source.HOTLINE, point=IN_M1, description="同一堆垃圾")
    case_transition(case_id=citizen.case.pk, action="merge", actor=city["clerk"], into=earlier.pk)
    html = page(client, citizen)
    assert 'id="ending-note"' in html and "merged" in html
    assert milestones(html)["reported"] == citizen.case.reported_at.astimezone(SHANGHAI).isoformat()
    walk_to_closed(earlier, city)
    steps = milestones(page(client, citizen))
    assert all(steps.values())  # closed, as the case that went on
    data = client.get(reverse("citizens:status_json", args=[citizen.code])).json()
    assert data["status"] == "closed"
    assert earlier.tracking_number not in page(client, citizen)
