"""Inspectors assigned (监督员): who is suggested to verify or check, each inspector's own tasks
first, the on-site photo a check takes, and the task card's photos before and after."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from cases.inspectors import inspector_candidates, inspector_suggested
from cases.models import Case, CaseEvent, CasePhoto, Patrol, PhotoKind, Status
from cases.services import InvalidInput, case_transition
from tests.cases.conftest import NOW
from tests.photos import after_photo, with_after_photo

pytestmark = pytest.mark.django_db
TASKS = "/cases/tasks/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def act(case, action, user, **kwargs):
    kwargs.setdefault("now", NOW)
    return case_transition(case_id=case.pk, action=action, actor=user, **kwargs)


@pytest.fixture
def inspectors(city, make_user):
    """Three inspectors: one patrols micro grid M1, one its community C1, one nowhere."""
    micro = make_user("insp_micro", Role.INSPECTOR)
    community = make_user("insp_community", Role.INSPECTOR)
    roaming = make_user("insp_roaming", Role.INSPECTOR)
    Patrol.objects.create(inspector=micro, grid=city["a"])
    Patrol.objects.create(inspector=community, grid=city["community"])
    return {"micro": micro, "community": community, "roaming": roaming}


def test_it_suggests_the_patroller_of_the_nearest_grid_then_the_least_loaded(city, report, inspectors):
    case = report()  # in M1, inside C1
    ranked = [c.user for c in inspector_candidates(case=case)]
    assert ranked[:2] == [inspectors["micro"], inspectors["community"]]
    assert inspector_suggested(case=case) == inspectors["micro"]
    # Busy patrollers still come first where they patrol: nearness, then load.
    for _n in range(2):
        act(report(), "verify", city["clerk"], inspector=inspectors["micro"])
    assert inspector_suggested(case=case) == inspectors["micro"]
    # Where nobody patrols (another community): the least loaded of all.
    Patrol.objects.all().delete()
    act(report(), "verify", city["clerk"], inspector=inspectors["community"])
    loads = {c.user.username: c.load for c in inspector_candidates(case=case)}
    assert loads["insp_micro"] == 2 and loads["insp_community"] == 1 and loads["inspector"] == 0
    assert inspector_suggested(case=case) in (city["inspector"], inspectors["roaming"])


def test_sending_to_verify_assigns_the_suggested_inspector_or_the_one_named(city, report, inspectors):
    case = act(report(), "verify", city["clerk"])
    assert case.inspector == inspectors["micro"] and Case.objects.get(pk=case.pk).inspector == inspectors["micro"]
    event = CaseEvent.objects.get(case=case, action="verify")
    assert event.payload["inspector"] == {"id": inspectors["micro"].pk, "name": "insp_micro"}
    other = act(report(), "verify", city["clerk"], inspector=inspectors["roaming"])
    assert other.inspector == inspectors["roaming"]
    with pytest.raises(InvalidInput, match="not an inspector") as refused:
        act(report(), "verify", city["clerk"], inspector=city["handler"])
    assert "inspector" in refused.value.fields


def test_sending_to_check_assigns_an_inspector_too(city, report, inspectors):
    case = report()
    for action, who in (("file", "clerk"), ("dispatch", "dispatcher"), ("approve", "chief"), ("handle", "handler")):
        params = {"category": city["garbage"]} if action == "file" else {"note": "已清运"} if action == "handle" else {}
        case = act(case, action, city[who], **with_after_photo(action, params))
    case = act(case, "send_to_check", city["dispatcher"], inspector=inspectors["community"])
    assert case.status == Status.CHECKING and case.inspector == inspectors["community"]


@pytest.fixture
def checking(city, report, inspectors, django_capture_on_commit_callbacks):
    """A case waiting for its on-site check, with a photo of the report and one of the result (ready)."""
    with django_capture_on_commit_callbacks(execute=True):
        case = report(photos=[after_photo("before.jpg")])
        act(case, "file", city["clerk"], category=city["garbage"])
        act(case, "dispatch", city["dispatcher"])
        act(case, "approve", city["chief"])
        act(case, "handle", city["handler"], note="已清运", photos=[after_photo("after.jpg")])
    return act(case, "send_to_check", city["dispatcher"], inspector=inspectors["micro"])


@pytest.mark.parametrize(("action", "note", "status"), [("check_pass", "", Status.CHECKED),
                                                          ("check_fail", "仍有残留", Status.DISPATCHED)])  # fmt: skip
def test_a_check_takes_a_photo_on_site(city, checking, inspectors, action, note, status):
    with pytest.raises(InvalidInput, match="photo taken on site") as refused:
        act(checking, action, inspectors["micro"], note=note)
    assert "photos" in refused.value.fields
    assert Case.objects.get(pk=checking.pk).status == Status.CHECKING
    case = act(checking, action, inspectors["micro"], note=note, photos=[after_photo("onsite.jpg")])
    assert case.status == status
    [photo] = CasePhoto.objects.filter(case=case, kind=PhotoKind.CHECK)
    assert photo.event.action == action


def test_the_api_refuses_a_check_without_a_photo(city, checking, inspectors, client):
    client.force_login(inspectors["micro"])
    response = client.post(reverse("cases_api:check_pass", args=[checking.pk]), {}, content_type="application/json")
    assert response.status_code == 400 and "photos" in response.json()["error"]["fields"]
    detail = client.get(reverse("cases_api:detail", args=[checking.pk])).json()
    assert detail["inspector"]["id"] == inspectors["micro"].pk
    photos = next(a for a in detail["actions"] if a["action"] == "check_pass")["photos"]
    assert photos["min"] == 1


def test_each_inspector_sees_their_own_tasks_first_with_photos_before_and_after(
    city, checking, report, inspectors, client
):
    theirs = act(report(), "verify", city["clerk"], inspector=inspectors["roaming"], now=NOW)  # waiting longer
    mine = act(report(), "verify", city["clerk"], inspector=inspectors["micro"])
    Case.objects.filter(pk=theirs.pk).update(updated_at=NOW.replace(hour=8))
    client.force_login(inspectors["micro"])
    page = client.get(TASKS).content.decode()
    order = [int(n) for n in re.findall(r'<li class="work-card" id="case-(\d+)"', page)]
    assert order.index(checking.pk) < order.index(theirs.pk) and order.index(mine.pk) < order.index(theirs.pk)
    assert page.count("派给您的") == 2  # "sent to you": the page is in Chinese
    card = page[page.index(f'id="case-{checking.pk}"') :]
    card = card[: card.index("</li>")]
    assert 'class="photo-pair"' in card
    before, after = card.index("photo-before"), card.index("photo-after")
    assert before < after and card.count("<img") == 2
    client.force_login(inspectors["roaming"])
    order = [int(n) for n in re.findall(r'<li class="work-card" id="case-(\d+)"', client.get(TASKS).content.decode())]
    assert order[0] == theirs.pk


def test_the_case_page_offers_the_inspectors_with_the_suggestion_first(city, report, inspectors, client):
    case = report()
    client.force_login(city["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    form = page[page.index('class="action-form action-verify') :]
    form = form[: form.index("</form>")]
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', form)
    assert options[0][0] == "" and "insp_micro" in options[0][1] and "建议" in options[0][1]
    assert [value for value, _label in options[1:3]] == [str(inspectors["micro"].pk), str(inspectors["community"].pk)]
