"""Tampering with the audit log the way an intruder with database access would: triggers off first."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from django.db import connection

TRIGGERS = importlib.import_module("audit.migrations.0002_append_only_triggers")


@contextmanager
def triggers_off():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        else:
            for statement in TRIGGERS.SQLITE_DOWN:
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")
            else:
                for statement in TRIGGERS.SQLITE_UP:
                    cursor.execute(statement)


def tamper(sql: str, params=()) -> None:
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)
