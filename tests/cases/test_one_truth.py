"""One truth per concept: what each place that shows or changes a case reads from one source.

- the page and the API offer the same actions, with the same labels, for every status and role
  (both read cases.viewmodel);
- every effect leads only to its row's targets (cases.transitions), and the service holds it to that;
- each action's rules are the service's: a handle without a photo is refused in the same words on
  the page and in the API; the form and the serializer are derived from the row;
- who sees, who acts, who approves (cases.scope) agree persona by persona;
- a status's meaning (terminal, milestone, colour) comes from one table.
"""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from cases.api.serializers import action_input_serializer
from cases.forms import ActionForm
from cases.models import STATUS_INFO, TERMINAL, Case, CaseEvent, Milestone, Status
from cases.scope import cases_actionable_by, cases_awaiting_approval, cases_visible_to, may_act
from cases.services import InvalidInput, case_report, case_transition
from cases.transitions import AFTER_CLOSURE, DECIDES, EVENT_LABELS, TRANSITIONS
from citizens.selectors import STAGE_OF_STATUS
from grids.models import CommandCenter
from tests.cases.conftest import IN_M1, NOW
from tests.grids.factories import PersonFactory
from tests.photos import after_photo, with_after_photo

pytestmark = pytest.mark.django_db

PERSONAS = [
    "clerk", "leader", "dispatcher", "chief", "neighbour", "handler", "other_handler", "inspector",
    "supervisor", "shop_chief", "town_op",
]  # fmt: skip


@pytest.fixture
def people(city, make_user):
    """The city's personas, a shop chief (三长) named responsible for the cases below, and command
    centers in tiers (镇街三级): the district's, over everything, and a town's over the large
    grid, whose operator works its desks (the others belong to no center: the whole city)."""
    shop_chief = make_user("shop_chief", Role.GRID_CHIEF, Role.PLACE_CHIEF)
    town_op = make_user("town_op", Role.INTAKE_CLERK, Role.DISPATCHER, Role.SHIFT_LEADER)
    district = CommandCenter.objects.create(code="DC", name="区指挥中心")
    district.grids.add(city["district"])
    town = CommandCenter.objects.create(code="T1", name="镇指挥中心", parent=district)
    town.grids.add(city["large"])
    town.members.add(town_op)
    return {
        **city, "shop_chief": shop_chief, "shop_person": PersonFactory(name="店长", user=shop_chief),
        "town_op": town_op,
    }  # fmt: skip


def act(people, case, action, who, **params):
    params.setdefault("note", "备注")
    return case_transition(
        case_id=case.pk, action=action, actor=people[who], now=NOW, **with_after_photo(action, params)
    )


# How to bring a case into each state (and the dispatched ones with a request open), from the report.
PATHS = {
    Status.REPORTED: [],
    Status.VERIFYING: [("verify", "clerk", {})],
    Status.FILED: [("file", "clerk", {"category": "garbage"})],
    Status.REJECTED: [("reject", "clerk", {})],
    Status.PENDING_APPROVAL: [("file", "clerk", {"category": "garbage"}), ("dispatch", "dispatcher", {})],
}
PATHS[Status.CANCELLED] = [*PATHS[Status.FILED], ("cancel", "leader", {})]
PATHS[Status.DISPATCHED] = [*PATHS[Status.PENDING_APPROVAL], ("approve", "chief", {})]
PATHS["extension asked"] = [*PATHS[Status.DISPATCHED], ("request_extension", "handler", {"amount": 1, "unit": "hours"})]
PATHS["suspension asked"] = [*PATHS[Status.DISPATCHED], ("request_suspension", "handler", {})]
PATHS[Status.RETURNED] = [*PATHS[Status.DISPATCHED], ("send_back", "handler", {})]
PATHS[Status.SUSPENDED] = [*PATHS[Status.DISPATCHED], ("suspend", "leader", {})]
PATHS[Status.HANDLED] = [*PATHS[Status.DISPATCHED], ("handle", "handler", {})]
PATHS[Status.CHECKING] = [*PATHS[Status.HANDLED], ("send_to_check", "dispatcher", {})]
PATHS[Status.CHECKED] = [*PATHS[Status.CHECKING], ("check_pass", "inspector", {})]
PATHS[Status.CLOSED] = [*PATHS[Status.CHECKED], ("close", "leader", {})]
PATHS[Status.MERGED] = [("merge", "clerk", {"into": "other"})]


def build(people, state) -> Case:
    case = case_report(source="inspector", point=IN_M1, description="路边暴露垃圾", now=NOW)
    Case.objects.filter(pk=case.pk).update(responsible=people["shop_person"], responsible_role="shop_chief")
    for action, who, params in PATHS[state]:
        params = {key: people["garbage"] if value == "garbage" else value for key, value in params.items()}
        if params.get("into") == "other":
            params["into"] = case_report(source="inspector", point=IN_M1, now=NOW)
        case = act(people, case, action, who, **params)
    return case


def page_actions(client, case) -> set[tuple[str, str]] | None:
    response = client.get(reverse("cases:detail", args=[case.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    text = response.content.decode()
    box = re.search(r'aria-labelledby="actions-title">(.*?)</section>', text, re.S)
    if box is None:
        return set()
    forms = re.findall(r'class="action-form action-(\w+).*?<button[^>]*>(.*?)</button>', box.group(1), re.S)
    return {(action, html.unescape(label).strip()) for action, label in forms}


def api_actions(client, case) -> set[tuple[str, str]] | None:
    response = client.get(reverse("cases_api:detail", args=[case.pk]))
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return {(item["action"], item["label"]) for item in response.json()["actions"]}


@pytest.mark.parametrize("state", list(PATHS))
def test_it_offers_the_same_actions_on_the_page_and_in_the_api(client, people, state):
    case = build(people, state)
    offered_to_someone = False
    for who in PERSONAS:
        client.force_login(people[who])
        on_page, in_api = page_actions(client, case), api_actions(client, case)
        assert on_page == in_api, (state, who)
        offered_to_someone |= bool(on_page)
    # A closed case still takes the after-closure actions: 回访 (callback) and 重办 (reopen).
    assert offered_to_someone == (case.status not in TERMINAL or case.status == Status.CLOSED), state


def test_it_offers_a_decision_only_on_an_open_request_and_no_second_request(client, people):
    case = build(people, "extension asked")
    client.force_login(people["leader"])
    offered = {action for action, _label in api_actions(client, case)}
    assert {"approve_extension", "refuse_extension"} <= offered and "refuse_suspension" not in offered
    client.force_login(people["handler"])
    offered = {action for action, _label in api_actions(client, case)}
    assert "request_extension" not in offered and "request_suspension" in offered


def test_it_labels_every_event_in_the_api_as_on_the_page(client, people):
    case = build(people, Status.DISPATCHED)
    from cases.services import case_record_sla_threshold

    round_start = CaseEvent.objects.filter(case=case, action="approve").get()
    case.refresh_from_db()
    case_record_sla_threshold(
        case_id=case.pk, threshold=1.0, round_start_id=round_start.pk, deadline=case.handling_deadline, now=NOW
    )
    client.force_login(people["dispatcher"])
    events = client.get(reverse("cases_api:detail", args=[case.pk])).json()["events"]
    labels = {event["action"]: event["action_label"] for event in events}
    with translation.override("zh-hans"):
        assert labels["sla_overdue"] == str(EVENT_LABELS["sla_overdue"]) != "sla_overdue"
    assert all(event["action_label"] != event["action"] for event in events)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert all(label in page for label in labels.values())


# ---- each action declared once ----------------------------------------------------------


def _source_state(transition, source) -> str:
    if transition.request and transition.request[1] == DECIDES:
        return f"{transition.request[0]} asked"
    return source


VALID = {
    "verify": ("clerk", {}),
    "file": ("clerk", {"category": "garbage"}),
    "reject": ("clerk", {}),
    "dispatch": ("dispatcher", {}),
    "approve": ("chief", {}),
    "refuse": ("chief", {}),
    "cancel": ("leader", {}),
    "handle": ("handler", {}),
    "send_back": ("handler", {}),
    "request_extension": ("handler", {"amount": 2, "unit": "working_hours"}),
    "approve_extension": ("leader", {}),
    "refuse_extension": ("leader", {}),
    "request_suspension": ("handler", {}),
    "refuse_suspension": ("leader", {}),
    "suspend": ("leader", {}),
    "resume": ("leader", {}),
    "send_to_check": ("dispatcher", {}),
    "check_pass": ("inspector", {}),
    "check_fail": ("inspector", {}),
    "close": ("leader", {}),
    "merge": ("clerk", {"into": "other"}),
    "supervise": ("leader", {"amount": 1, "person": "chief"}),
    "remind": ("leader", {}),
    "answer_supervision": ("chief", {}),
    "sign_off": ("leader", {}),
    "callback": ("leader", {"satisfaction": "basic", "solved": True, "contacted": False}),
    "reopen": ("leader", {}),
    "confirm_fix": ("shop_chief", {}),
    "escalate": ("town_op", {}),
    "assign_down": ("dispatcher", {}),
    "take_over": ("dispatcher", {}),
}


def with_order(people, case, step) -> None:
    """A current supervision order on `case` for the order's steps after the issue (test setup: the
    issue itself is tested in tests/cases/test_supervision.py), addressed to the grid chief."""
    from cases.models import OrderStatus, SupervisionOrder
    from cases.supervision import ISSUES, SIGNS_OFF

    if step in (None, ISSUES):
        return
    SupervisionOrder.objects.create(
        case=case, note="督办", issued_by=people["leader"], issued_as=Role.SHIFT_LEADER, issued_at=NOW,
        limit_amount=1, limit_unit="working_days", deadline=NOW, addressee_user=people["chief"],
        status=OrderStatus.ANSWERED if step == SIGNS_OFF else OrderStatus.OPEN, answered_at=NOW,
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(supervised=True)


@pytest.mark.parametrize(
    ("action", "source"),
    [(action, source) for action, t in TRANSITIONS.items() for source in sorted(t.sources)],
)
def test_every_effect_leads_only_to_its_rows_targets(people, action, source):
    transition = TRANSITIONS[action]
    if action == "close" and source == Status.HANDLED:  # only where no on-site check is needed
        people["garbage"].needs_onsite_check = False
        people["garbage"].save()
    case = build(people, _source_state(transition, source))
    assert case.status == source
    with_order(people, case, transition.order)
    if action == "assign_down":  # only what the town passed up comes back down
        act(people, case, "escalate", "town_op")
    who, params = VALID[action]
    params = {key: people["garbage"] if value == "garbage" else value for key, value in params.items()}
    if params.get("person") == "chief":
        params["person"] = people["chief"]
    if params.get("into") == "other":
        params["into"] = case_report(source="inspector", point=IN_M1, now=NOW)
    after = act(people, case, action, who, **params)
    assert after.status in transition.targets
    assert CaseEvent.objects.filter(case=case).last().to_status == after.status


def test_it_refuses_an_effect_that_leaves_its_rows_targets_and_writes_nothing(people, monkeypatch):
    case = build(people, Status.REPORTED)
    rogue = dataclasses.replace(TRANSITIONS["verify"], effect=lambda ctx: Status.CLOSED)
    monkeypatch.setitem(TRANSITIONS, "verify", rogue)
    with pytest.raises(RuntimeError, match="not one of"):
        act(people, case, "verify", "clerk")
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED
    assert not CaseEvent.objects.filter(case=case, action="verify").exists()


def test_it_refuses_handling_without_a_photo_in_the_same_words_everywhere(client, people):
    case = build(people, Status.DISPATCHED)
    with pytest.raises(InvalidInput) as refused:
        case_transition(case_id=case.pk, action="handle", actor=people["handler"], note="已清运")
    message = refused.value.message
    assert message == "请至少上传一张处置后照片。" and refused.value.fields == {"photos": [message]}

    client.force_login(people["handler"])
    response = client.post(
        reverse("cases_api:handle", args=[case.pk]), {"note": "已清运"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert response.json()["error"]["fields"] == {"photos": [message]}

    form = {"expected_status": "dispatched", "request_id": "6a1f7f4e-2f0c-4b7a-9a59-3c1ad4c0b001", "note": "已清运"}
    page = client.post(reverse("cases:act", args=[case.pk, "handle"]), form, follow=True)
    assert message in [str(m) for m in page.context["messages"]]
    assert Case.objects.get(pk=case.pk).status == Status.DISPATCHED

    handled = act(people, case, "handle", "handler", photos=[after_photo()])
    assert handled.status == Status.HANDLED and handled.photos.filter(kind="after").count() == 1


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_the_form_and_the_serializer_are_derived_from_the_actions_row(action):
    transition = TRANSITIONS[action]
    declared = {spec.name: spec for spec in transition.inputs}
    form = ActionForm(transition)
    visible = {name for name, field in form.fields.items() if not field.widget.is_hidden}
    expected = set(declared) | ({"note"} if transition.note else set()) | ({"photos"} if transition.photos else set())
    assert visible == expected
    for name, spec in declared.items():
        assert form.fields[name].label == spec.label and form.fields[name].required == spec.required
    if transition.note:
        assert form.fields["note"].required == transition.note.required
    if transition.photos:
        assert form.fields["photos"].required == (transition.photos.min > 0)

    serializer = action_input_serializer(transition, "Probe")()
    assert set(serializer.fields) == expected | {"note", "expected_status", "request_id"}
    for name, spec in declared.items():
        assert serializer.fields[name].required == spec.required
    assert serializer.fields["note"].required == transition.needs_note


# ---- who sees, who acts, who approves ------------------------------------------------------


# persona → (sees, may act with their roles, approves) for a case waiting for M1's chief's approval,
# located in M1 and naming the shop chief responsible.
SCOPE = {
    "clerk": (True, True, False),
    "leader": (True, True, False),
    "dispatcher": (True, True, False),
    "inspector": (True, True, False),
    "supervisor": (True, True, False),  # reads everything; acts only with supervision orders (督办)
    "chief": (True, True, True),  # M1's chief: the approver
    "large_chief": (True, True, True),  # the large grid's chief: the case is in their subtree
    "neighbour": (False, False, False),  # chief of another community
    # 三长: follows the case named theirs, does not decide the dispatch; may act on it as a place
    # chief (confirm a fix in front of the shop: cases.transitions confirm_fix)
    "shop_chief": (True, True, False),
    "town_op": (True, True, False),  # the town center holding the case (镇街三级)
    "handler": (True, True, False),  # proposed to their department: they see it coming (nothing to do yet)
    "other_handler": (False, False, False),
    "outsider": (False, False, False),  # no role
}


def test_who_sees_who_acts_and_who_approves_persona_by_persona(people, make_user):
    people["large_chief"] = make_user("large_chief", Role.GRID_CHIEF)
    people["large"].chief.user = people["large_chief"]
    people["large"].chief.save()
    case = build(people, Status.PENDING_APPROVAL)
    for who, (sees, acts, approves) in SCOPE.items():
        user = people[who]
        roles = {role for t in TRANSITIONS.values() for role in t.roles} & {
            role for role in Role if user.groups.filter(name=role).exists()
        }
        assert cases_visible_to(user=user).filter(pk=case.pk).exists() == sees, who
        assert (bool(roles) and may_act(user=user, case=case, roles=roles)) == acts, who
        assert (bool(roles) and cases_actionable_by(user=user, roles=roles).filter(pk=case.pk).exists()) == acts, who
        assert cases_awaiting_approval(user=user).filter(pk=case.pk).exists() == approves, who
        # Whoever may act on a case may see it; whoever approves it may act on it.
        assert sees or not acts, who
        assert acts or not approves, who


def test_a_department_sees_and_acts_on_its_cases_only(people):
    case = build(people, Status.DISPATCHED)
    for who, theirs in (("handler", True), ("other_handler", False)):
        user = people[who]
        assert cases_visible_to(user=user).filter(pk=case.pk).exists() == theirs
        assert may_act(user=user, case=case, roles={Role.DEPARTMENT_HANDLER}) == theirs


# ---- a status's meaning, from one table -----------------------------------------------------


def test_every_status_has_its_meaning_in_one_table():
    assert set(STATUS_INFO) == set(Status.values)
    assert {Status.CLOSED, Status.REJECTED, Status.CANCELLED, Status.MERGED} == TERMINAL
    # The state machine agrees: nothing leaves a terminal status, everything else can move (a
    # supervision order's steps go beside the status, never moving it; after closure 回访 keeps a
    # case closed and 重办 reopens it).
    for status in Status:
        leaves = any(
            status in t.sources for t in TRANSITIONS.values() if t.order is None and t.action not in AFTER_CLOSURE
        )
        assert leaves != STATUS_INFO[status].terminal, status
    # The public milestones follow the table (随手拍's status page, Open311).
    assert {
        status: list(Milestone).index(info.milestone) for status, info in STATUS_INFO.items() if info.milestone
    } == STAGE_OF_STATUS
    assert STAGE_OF_STATUS[Status.CHECKED] == list(Milestone).index(Milestone.HANDLED)
