"""Small tables that nearly every request reads and an administrator rarely changes (the office
calendar, the case catalogue), kept in each process and read again only when they change.

A memo holds one value per process, loaded from the database on first use. A change is told to
it (`changed()`, from the save and delete signals of the tables it is made of, and by bulk
loaders): this process forgets the value at once, and once the change commits a new stamp is
written to the shared cache (Redis in production, see CACHE_URL), which every other process
compares with the stamp its value was loaded under, at most once a second. Without a shared
cache (the embedded default's per-process memory, one process), or while it cannot be reached,
a value is trusted for `ttl` seconds at most.

So a change reaches the process that made it at once and the others within a second (or `ttl`
without a shared cache). What a memo holds is shared by the threads of a process: treat it as
read-only.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction

from config.cache import CacheDown, cached

T = TypeVar("T")
log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0  # how often a process asks the shared cache whether a value changed
_memos: list[Memo] = []


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    stamp: Any
    loaded: float
    checked: float


class Memo(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, ttl: float = 60.0) -> None:
        self.name = name
        self.key = f"memo:{name}"
        self.load = load
        self.ttl = ttl
        self._entry: _Entry[T] | None = None
        self._lock = threading.Lock()
        _memos.append(self)

    def get(self) -> T:
        entry, now = self._entry, time.monotonic()
        if entry is not None and now - entry.loaded < self.ttl:
            if now - entry.checked < CHECK_EVERY_S:
                return entry.value
            stamp = _read_stamp(self.key)
            if stamp is UNREACHABLE or stamp == entry.stamp:
                self._entry = _Entry(entry.value, entry.stamp, entry.loaded, now)
                return entry.value
        # The stamp is read before the rows: a change committed after this read bumps it again.
        stamp = _read_stamp(self.key)
        if stamp is None:
            stamp = _new_stamp(self.key)
        value = self.load()
        with self._lock:
            self._entry = _Entry(value, stamp, now, now)
        return value

    def changed(self) -> None:
        """The rows behind this memo changed (or will, when the current transaction commits)."""
        self._entry = None
        transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self._entry = None
        _write_stamp(self.key, uuid.uuid4().hex)

    def forget(self) -> None:
        """Drop this process's value (tests: a rolled-back transaction may have been read)."""
        self._entry = None


def forget_all() -> None:
    for memo in _memos:
        memo.forget()


UNREACHABLE = object()


def _read_stamp(key: str) -> Any:
    """The stamp in the shared cache, None if there is none, UNREACHABLE if the cache is away.
    Through the cache's breaker (config.cache): after one timeout, every memo of the process skips
    the cache at once instead of waiting for its own timeout."""
    try:
        return cached("get", key)
    except CacheDown:  # the value is then trusted for its ttl
        return UNREACHABLE


def _new_stamp(key: str) -> Any:
    stamp = uuid.uuid4().hex
    try:
        if cached("add", key, stamp, timeout=None):
            return stamp
        return cached("get", key)
    except CacheDown:
        return UNREACHABLE


def _write_stamp(key: str, stamp: str) -> None:
    try:
        cached("set", key, stamp, timeout=None)
    except CacheDown:
        log.warning("memo stamp %s could not be written to the cache", key)
