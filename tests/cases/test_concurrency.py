"""Two people acting on one case at the same moment: exactly one wins, the other gets a clean error."""

import threading

import pytest
from django.db import connection

from cases.models import CaseEvent, Status
from cases.services import CaseActionError, case_transition
from tests.cases.conftest import NOW
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db(transaction=True)


def test_exactly_one_of_two_simultaneous_actions_wins(city, report):
    case = report()
    for action, user, extra in [
        ("file", "clerk", {"category": city["garbage"]}),
        ("dispatch", "dispatcher", {}),
        ("approve", "chief", {}),
    ]:
        case_transition(case_id=case.pk, action=action, actor=city[user], now=NOW, **extra)

    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(action: str) -> None:
        try:
            barrier.wait(timeout=10)
            params = with_after_photo(action, {})
            case_transition(case_id=case.pk, action=action, actor=city["handler"], note=action, now=NOW, **params)
            outcomes[action] = "won"
        except CaseActionError as exc:
            outcomes[action] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(action,)) for action in ("handle", "send_back")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [action for action, outcome in outcomes.items() if outcome == "won"]
    losers = [outcome for outcome in outcomes.values() if outcome != "won"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1
    if winners == ["send_back"]:
        # The case left the department's sight with the send-back: to them it is now "not found".
        assert losers[0].status_code == 404 and losers[0].current_status is None
    else:
        assert losers[0].status_code == 409 and losers[0].current_status in (Status.HANDLED, None)
    assert CaseEvent.objects.filter(case=case, action__in=["handle", "send_back"]).count() == 1
    case.refresh_from_db()
    assert case.status == (Status.HANDLED if winners == ["handle"] else Status.RETURNED)


def test_a_retry_racing_its_original_gets_the_idempotent_answer_not_a_conflict(city, report):
    """The same request id sent twice at once (a client retrying while its first try is still
    running): one applies, the other waits for the row lock, then finds it and answers the case."""
    import uuid

    def attempt(case_id: int, request_id: str, barrier: threading.Barrier, answers: list) -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(
                case_transition(
                    case_id=case_id,
                    action="dispatch",
                    actor=city["dispatcher"],
                    request_id=request_id,
                    expected_status=Status.FILED,
                    now=NOW,
                )  # fmt: skip
            )
        except CaseActionError as exc:
            answers.append(exc)
        finally:
            connection.close()

    for _round in range(5):
        case = report()
        case_transition(case_id=case.pk, action="file", actor=city["clerk"], now=NOW, category=city["garbage"])
        answers: list[object] = []
        args = (case.pk, str(uuid.uuid4()), threading.Barrier(2), answers)
        threads = [threading.Thread(target=attempt, args=args) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(not isinstance(answer, CaseActionError) for answer in answers), answers
        assert sorted(answer.repeated for answer in answers) == [False, True]
        assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1
