"""Logs an operator can search: one JSON object per line (LOG_FORMAT=json, the default with DEBUG
off), each with the request, user, case, delivery and task it belongs to.

The ids come from a context bound for the duration of a request (config.middleware), a Celery
task (config.celery_app) or a delivery (cases.notifications), and from `extra=` on the call.
An exception's traceback stays inside its line, as the `exception` field.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import logging

# The ids a log line may carry, in the order they are written.
FIELDS = ("request_id", "user_id", "case_id", "delivery_id", "task", "task_id", "alert")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)


def bind(**fields) -> contextvars.Token:
    """Add ids to the current context (None values are left out); `unbind(token)` undoes it."""
    return _context.set(
        {**(_context.get() or {}), **{key: value for key, value in fields.items() if value is not None}}
    )


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(**fields):
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def clear() -> None:
    """Forget every id (a request or a task is over)."""
    _context.set(None)


def current() -> dict:
    return dict(_context.get() or {})


def _ids(record: logging.LogRecord) -> dict:
    ids = current()
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            ids[name] = value
    return {name: ids[name] for name in FIELDS if name in ids}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """The development format, with the ids at the end of the line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = _ids(record)
        if not ids:
            return line
        head, _newline, rest = line.partition("\n")  # a traceback stays below
        tail = " ".join(f"{name}={value}" for name, value in ids.items())
        return f"{head} [{tail}]" + (f"\n{rest}" if rest else "")
