"""The hash of an audit row: SHA-256 over the previous row's hash and the row's canonical content.

The canonical content is the row's fields as JSON with sorted keys, the time in UTC with
microseconds, so that the same row read back from SQLite or PostgreSQL hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

# The fields a row's hash covers, in the order of AuditEvent.
HASHED_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "actor_username",
    "client_ip",
    "user_agent",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "result",
    "details",
)


def canonical_details(details: dict | None) -> dict:
    """Details as they will read back from a JSON column: dates, UUIDs and decimals as strings."""
    return json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def canonical(row: dict[str, Any]) -> str:
    content = {name: row[name] for name in HASHED_FIELDS}
    created_at: datetime = content["created_at"]
    content["created_at"] = created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode()).hexdigest()
