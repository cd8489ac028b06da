"""The audit log: one service writes it, rows chain by hash, the database refuses changes,
audit_verify finds the first broken row, pruning keeps 180 days."""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from accounts.roles import Role
from audit.chain import row_hash
from audit.models import GENESIS_HASH, AuditEvent
from audit.services import PruneRefused, audit_prune, audit_record
from tests.audit.helpers import tamper

pytestmark = pytest.mark.django_db


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_it_records_who_from_where_what_on_which_object(make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    request = RequestFactory().get("/x", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 300, REMOTE_ADDR="10.1.2.3")
    request.user = clerk

    event = audit_record(action="test.looked", request=request, obj=clerk, details={"when": dt.date(2026, 1, 2)})

    event.refresh_from_db()
    assert (event.actor_id, event.actor_username, event.client_ip) == (clerk.pk, "clerk", "10.1.2.3")
    assert event.user_agent.startswith("Mozilla/5.0") and len(event.user_agent) == 200
    assert (event.action, event.object_type, event.object_id, event.object_label) == (
        "test.looked", "auth.user", str(clerk.pk), "clerk",
    )  # fmt: skip
    assert (event.result, event.details) == ("ok", {"when": "2026-01-02"})


def test_it_chains_each_row_to_the_one_before():
    first = audit_record(action="test.one")
    second = audit_record(action="test.two", result="denied")

    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    values = AuditEvent.objects.filter(pk=second.pk).values().get()
    assert row_hash(first.hash, values) == second.hash


def test_it_refuses_an_unknown_result():
    with pytest.raises(ValueError, match="result must be one of"):
        audit_record(action="test.one", result="maybe")


def test_it_verifies_an_untouched_log():
    for n in range(5):
        audit_record(action=f"test.{n}", details={"n": n, "text": "中文"})
    assert "intact: 5 rows, 1–5" in verify()


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET result = 'ok'", "DELETE FROM audit_auditevent"])
def test_it_refuses_update_and_delete_in_the_database(statement):
    audit_record(action="test.one", result="denied")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.get().result == "denied"


def test_it_refuses_changes_through_the_orm_too():
    event = audit_record(action="test.one")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.other")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="test.one").exists()


def test_it_names_the_first_edited_row():
    for n in range(5):
        audit_record(action=f"test.{n}", result="denied")
    tamper("UPDATE audit_auditevent SET result = 'ok' WHERE id = 3")

    with pytest.raises(CommandError, match=r"broken at row 3: its content does not match its hash"):
        verify()


def test_it_names_a_row_whose_hash_was_recomputed_after_an_edit():
    for n in range(5):
        audit_record(action=f"test.{n}")
    row = AuditEvent.objects.filter(pk=2).values().get()
    row["action"] = "test.innocent"
    tamper(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = 2",
        ["test.innocent", row_hash(row["prev_hash"], row)],
    )

    with pytest.raises(CommandError, match=r"broken at row 3: does not follow the row before it"):
        verify()


def test_it_names_a_deleted_row():
    for n in range(5):
        audit_record(action=f"test.{n}")
    tamper("DELETE FROM audit_auditevent WHERE id = 2")

    with pytest.raises(CommandError, match=r"broken at row 2: rows 2–2 are missing"):
        verify()


def test_it_notices_the_first_rows_deleted():
    for n in range(3):
        audit_record(action=f"test.{n}")
    tamper("DELETE FROM audit_auditevent WHERE id = 1")

    with pytest.raises(CommandError, match=r"broken at row 1: rows 1–1 are missing and no prune removed them"):
        verify()


def test_it_notices_the_newest_rows_deleted():
    for n in range(4):
        audit_record(action=f"test.{n}")
    tamper("DELETE FROM audit_auditevent WHERE id >= 3")

    with pytest.raises(CommandError, match=r"broken at row 3: the newest rows are missing: the log last wrote row 4"):
        verify()


def test_it_keeps_writing_after_the_chain_head_is_lost():
    audit_record(action="test.one")
    from audit.models import ChainHead

    ChainHead.objects.all().delete()
    audit_record(action="test.two")
    assert "intact: 2 rows" in verify()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_chain_linear_under_concurrent_writers():
    errors = []

    def write(n):
        try:
            for i in range(10):
                audit_record(action=f"test.{n}.{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == list(range(1, 41))
    assert "intact: 40 rows" in verify()


# ---- retention ----------------------------------------------------------------


def write_at(moment, action):
    with mock.patch("audit.services.timezone.now", return_value=moment):
        return audit_record(action=action)


def test_it_refuses_to_prune_rows_younger_than_180_days(make_user):
    auditor = make_user("auditor", Role.AUDIT_ADMIN)
    audit_record(action="test.one")
    with pytest.raises(PruneRefused, match="kept 180 days"):
        audit_prune(before=timezone.now() - dt.timedelta(days=179), actor=auditor)
    with pytest.raises(CommandError, match="kept 180 days"):
        call_command("audit_prune", before=f"{timezone.localdate() - dt.timedelta(days=100)}", by="auditor")
    assert AuditEvent.objects.filter(action="test.one").exists()


def test_it_prunes_old_rows_audits_it_and_the_chain_still_verifies(make_user):
    now = timezone.now()
    for days in (400, 300, 200):
        write_at(now - dt.timedelta(days=days), f"test.{days}")
    write_at(now - dt.timedelta(days=10), "test.recent")
    make_user("auditor", Role.AUDIT_ADMIN)  # rows 5 and 6: created, given the role

    call_command("audit_prune", before=f"{timezone.localdate() - dt.timedelta(days=250)}", by="auditor")

    assert list(AuditEvent.objects.order_by("id").values_list("id", "action")) == [
        (3, "test.200"), (4, "test.recent"), (5, "auth.user_created"), (6, "auth.user_groups_changed"),
        (7, "audit.pruned"),
    ]  # fmt: skip
    pruned = AuditEvent.objects.get(action="audit.pruned")
    assert (pruned.actor_username, pruned.details["deleted"], pruned.details["kept_from_id"]) == ("auditor", 2, 3)
    assert "intact: 5 rows, 3–7" in verify()


def test_it_prunes_only_in_the_name_of_an_audit_administrator(make_user):
    make_user("secadmin", Role.SECURITY_ADMIN)
    with pytest.raises(CommandError, match="must name an active audit administrator"):
        call_command("audit_prune", before="2020-01-01", by="secadmin")
