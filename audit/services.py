"""The one way to write the security audit log, and the checks and pruning of it.

    audit_record(action="case.contact_viewed", request=request, obj=case)

Action codes are "<area>.<what happened>" (auth.login, auth.lockout, grids.imported, …); the
README lists them. A row is written in the caller's transaction: if the change it records is
rolled back, so is the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import HASHED_FIELDS, canonical_details, row_hash
from audit.context import current_request
from audit.models import GENESIS_HASH, AuditEvent, ChainHead, Result
from citizens.ratelimit import client_ip

ACTION_PRUNED = "audit.pruned"


@dataclass(frozen=True)
class ObjectRef:
    """What a row is about when the object itself is not at hand (it was deleted, or only its
    type and id are known): "app_label.model_name", its primary key and a label."""

    type: str
    id: str
    label: str = ""

    @classmethod
    def of(cls, obj: Model) -> ObjectRef:
        return cls(f"{obj._meta.app_label}.{obj._meta.model_name}", "" if obj.pk is None else str(obj.pk), str(obj))


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | str | None = None,
    request: HttpRequest | None = None,
    obj: Model | ObjectRef | None = None,
    result: str = Result.OK,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the audit log and return it.

    actor: the user who acted; by default the request's logged-in user. A string is a user
    name that did not authenticate (a failed login). request: by default the request being
    served (audit.context), for the client address and user agent. obj: what was acted on
    (a model instance, or an ObjectRef).
    """
    if result not in Result.values:
        raise ValueError(f"result must be one of {Result.values}, got {result!r}")
    request = request if request is not None else current_request()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if isinstance(actor, str):
        actor_id, actor_username = None, actor[:150]
    elif actor is not None:
        actor_id, actor_username = actor.pk, actor.get_username()[:150]
    else:
        actor_id, actor_username = None, ""
    ref = ObjectRef.of(obj) if isinstance(obj, Model) else obj
    row: dict[str, Any] = {
        "actor_id": actor_id,
        "actor_username": actor_username,
        "client_ip": client_ip(request)[:45] if request is not None else "",
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200] if request is not None else "",
        "action": action,
        "object_type": ref.type[:100] if ref else "",
        "object_id": ref.id[:64] if ref else "",
        "object_label": ref.label[:200] if ref else "",
        "result": str(result),
        "details": canonical_details(details),
    }
    with transaction.atomic():
        head = _locked_head()
        row["id"] = head.last_id + 1
        row["created_at"] = timezone.now()
        row["prev_hash"] = head.last_hash
        row["hash"] = row_hash(head.last_hash, row)
        event = AuditEvent.objects.create(**row)
        ChainHead.objects.filter(pk=head.pk).update(last_id=event.id, last_hash=event.hash)
    return event


def _locked_head() -> ChainHead:
    """The chain head, locked until the transaction ends (on SQLite the write transaction
    itself serialises writers). Made on first use from the newest row, if any."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEvent.objects.order_by("-id").values("id", "hash").first()
        ChainHead.objects.get_or_create(
            pk=1, defaults={"last_id": last["id"], "last_hash": last["hash"]} if last else {}
        )
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


# ---------------------------------------------------------------- verifying ---


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the log is not what was written."""

    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"row {self.event_id}: {self.reason}" if self.event_id is not None else self.reason


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_id: int | None
    last_id: int | None
    broken: ChainBreak | None


def audit_verify() -> ChainReport:
    """Recompute every row's hash in order; stop at the first row that was edited, is missing,
    or follows the wrong row. Rows removed by audit_prune are expected: the prune's own row
    (chained like any other) names the first row it kept and that row's previous hash."""
    fields = [*HASHED_FIELDS, "prev_hash", "hash"]
    rows = AuditEvent.objects.order_by("id").values(*fields)
    expected_id = expected_prev = None
    checked = 0
    first_id = last_id = None
    for row in rows.iterator(chunk_size=2000):
        if expected_id is None:
            first_id = row["id"]
            starts = row["id"] == 1 and row["prev_hash"] == GENESIS_HASH
            if not starts and not _pruned_up_to(row["id"], row["prev_hash"]):
                return ChainReport(checked, first_id, last_id, _first_row_break(row))
        elif row["id"] != expected_id:
            reason = f"rows {expected_id}–{row['id'] - 1} are missing (deleted?)"
            return ChainReport(checked, first_id, last_id, ChainBreak(expected_id, reason))
        elif row["prev_hash"] != expected_prev:
            reason = "does not follow the row before it (that row, or this one, was changed)"
            return ChainReport(checked, first_id, last_id, ChainBreak(row["id"], reason))
        if row_hash(row["prev_hash"], row) != row["hash"]:
            reason = f"its content does not match its hash (edited?): {row['action']} at {row['created_at']:%Y-%m-%d %H:%M:%S}"
            return ChainReport(checked, first_id, last_id, ChainBreak(row["id"], reason))
        checked += 1
        last_id, expected_id, expected_prev = row["id"], row["id"] + 1, row["hash"]
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_id > (last_id or 0):
        reason = f"the newest rows are missing: the log last wrote row {head.last_id}"
        return ChainReport(checked, first_id, last_id, ChainBreak((last_id or 0) + 1, reason))
    if head is not None and head.last_id < (last_id or 0):
        reason = f"rows after {head.last_id} were not written through the log's service"
        return ChainReport(checked, first_id, last_id, ChainBreak(head.last_id + 1, reason))
    if head is not None and last_id is not None and head.last_hash != expected_prev:
        reason = "the newest row is not the one the log last wrote (edited?)"
        return ChainReport(checked, first_id, last_id, ChainBreak(last_id, reason))
    return ChainReport(checked, first_id, last_id, None)


def _first_row_break(row: dict) -> ChainBreak:
    if row["id"] == 1:
        return ChainBreak(1, "the first row does not start the chain (edited?)")
    return ChainBreak(1, f"rows 1–{row['id'] - 1} are missing and no prune removed them (deleted?)")


def _pruned_up_to(event_id: int, prev_hash: str) -> bool:
    prunes = AuditEvent.objects.filter(action=ACTION_PRUNED, id__gte=event_id).order_by("-id")
    return any(
        prune.details.get("kept_from_id") == event_id and prune.details.get("kept_from_prev_hash") == prev_hash
        for prune in prunes.only("details")
    )


# ----------------------------------------------------------------- pruning ---


class PruneRefused(Exception):
    pass


def retention_limit(now: dt.datetime | None = None) -> dt.datetime:
    """Rows written at or after this moment must be kept."""
    return (now or timezone.now()) - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def audit_prune(*, before: dt.datetime, actor: AbstractBaseUser, dry_run: bool = False) -> int:
    """Delete the rows written before `before`, which must be at least AUDIT_RETENTION_DAYS
    (never under 180) ago; the deletion is itself recorded, naming the first row kept so that
    audit_verify can start the chain there. Returns how many rows went (or would go)."""
    limit = retention_limit()
    if before > limit:
        raise PruneRefused(
            f"Audit rows are kept {settings.AUDIT_RETENTION_DAYS} days: the date must be on or before "
            f"{timezone.localtime(limit):%Y-%m-%d %H:%M}."
        )
    old = AuditEvent.objects.filter(created_at__lt=before)
    if dry_run:
        return old.count()
    with transaction.atomic():
        _locked_head()  # no row is written while the oldest go
        last_old = old.order_by("-id").values_list("id", flat=True).first()
        if last_old is None:
            return 0
        kept = AuditEvent.objects.filter(id__gt=last_old).order_by("id").values("id", "prev_hash").first()
        # Removing rows past the first one kept would break the chain: delete by number, not by date.
        doomed = AuditEvent.objects.filter(id__lte=last_old)
        count = doomed.count()
        with _deletes_allowed():
            doomed._raw_delete(doomed.db)
        audit_record(
            action=ACTION_PRUNED,
            actor=actor,
            details={
                "before": before.isoformat(),
                "deleted": count,
                "deleted_up_to_id": last_old,
                "kept_from_id": kept["id"] if kept else last_old + 1,
                "kept_from_prev_hash": kept["prev_hash"] if kept else _hash_of(last_old),
            },
        )
    return count


def _hash_of(event_id: int) -> str:
    head = ChainHead.objects.get(pk=1)
    return head.last_hash if head.last_id == event_id else GENESIS_HASH


class _deletes_allowed:
    """On PostgreSQL the append-only trigger lets rows older than the retention go only while
    the transaction has set audit.prune; SQLite's trigger lets such rows go without a flag."""

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.prune', 'on', true)")

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('audit.prune', 'off', true)")
        return False
