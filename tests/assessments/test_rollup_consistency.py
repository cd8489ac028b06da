"""The rollup never keeps a wrong row: each case is derived from one read (its row and its events
in one query, under the rollup's lock), a transition committing meanwhile is folded in by the
next refresh, and `manage.py assessments_check` compares the rollup with a full derivation."""

from __future__ import annotations

import contextlib
import random
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from assessments import facts
from assessments.facts import facts_check, facts_refresh
from assessments.models import CaseFact
from cases.models import Case, Status
from cases.services import CaseActionError, case_report, case_transition
from tests.cases.conftest import IN_M1, NOW, city  # noqa: F401 (fixture)


def file_cases(city, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        case = case_report(source="inspector", point=IN_M1, description="暴露垃圾", now=NOW)
        case_transition(case_id=case.pk, action="file", actor=city["clerk"], now=NOW, category=city["garbage"])
        ids.append(case.pk)
    return ids


@pytest.mark.django_db
def test_the_check_finds_a_wrong_row_and_fix_mends_it(city, capsys):
    ids = file_cases(city, 3)
    facts_refresh()
    call_command("assessments_check")
    assert "3 cases checked: 0 wrong, 0 behind" in capsys.readouterr().out
    CaseFact.objects.filter(case_id=ids[1]).update(is_open=False)  # cancelled, says the rollup; it is not
    with pytest.raises(CommandError, match="1 rollup rows are wrong"):
        call_command("assessments_check")
    assert f"case {ids[1]}: is_open" in capsys.readouterr().out
    call_command("assessments_check", "--fix")
    assert facts_check().wrong == {}


@pytest.mark.django_db(transaction=True)
def test_a_transition_committed_during_a_refresh_is_folded_in_by_the_next(city, monkeypatch):
    [case_id] = file_cases(city, 1)
    facts_refresh()
    real_derive = facts.derive
    writers = []

    def derive_while_someone_cancels(case, events, calendar):
        if not writers:  # the first derivation: a cancel commits right now, from another connection

            def cancel():
                try:
                    case_transition(case_id=case_id, action="cancel", actor=city["leader"], note="重复", now=NOW)
                finally:
                    connection.close()

            writers.append(threading.Thread(target=cancel))
            writers[0].start()
            time.sleep(0.3)
        return real_derive(case, events, calendar)

    monkeypatch.setattr(facts, "derive", derive_while_someone_cancels)
    Case.objects.filter(pk=case_id).update(updated_at=NOW)
    facts.facts_rebuild_cases([case_id])
    writers[0].join(30)
    monkeypatch.setattr(facts, "derive", real_derive)
    assert Case.objects.get(pk=case_id).status == Status.CANCELLED
    facts_refresh()
    assert CaseFact.objects.get(case_id=case_id).is_open is False
    result = facts_check()
    assert result.wrong == {} and result.behind == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_refreshes_leave_no_stale_row(city):
    """One writer moving cases on (dispatch, approve, send back, cancel) and three refreshes looping, for a few
    seconds; then one last refresh: every row agrees with a derivation from scratch."""
    ids = file_cases(city, 30)
    facts_refresh()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        rng = random.Random(13)
        try:
            while not stop.is_set():
                case_id = rng.choice(ids)
                status = Case.objects.filter(pk=case_id).values_list("status", flat=True).get()
                step = {
                    Status.FILED: rng.choice([("dispatch", "dispatcher", {}), ("cancel", "leader", {"note": "作废"})]),
                    Status.PENDING_APPROVAL: ("approve", "chief", {}),
                    Status.DISPATCHED: ("send_back", "handler", {"note": "不属本单位"}),
                    Status.RETURNED: ("cancel", "leader", {"note": "作废"}),
                }.get(status)
                if step is None:
                    continue
                action, user, extra = step
                with contextlib.suppress(CaseActionError):
                    case_transition(case_id=case_id, action=action, actor=city[user], now=NOW, **extra)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    def refresher():
        try:
            while not stop.is_set():
                facts_refresh(force=True)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), *(threading.Thread(target=refresher) for _ in range(3))]
    for thread in threads:
        thread.start()
    time.sleep(4)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert Case.objects.filter(status=Status.CANCELLED).exists()  # the writer got somewhere
    facts_refresh()
    result = facts_check()
    assert result.wrong == {} and result.behind == [], result
