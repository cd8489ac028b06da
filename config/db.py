"""The database connection, for what runs after a change has committed.

A change that committed must never answer 500 because of what happens next: reading the answer
back can meet a connection that died in between (a failover, a restart, an administrator
terminating backends). Outside a transaction such a read is safe to repeat on a new connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")


def read_after_commit(read: Callable[[], T]) -> T:
    """`read()`, once more on a new connection if the connection was lost (outside any transaction)."""
    try:
        return read()
    except (OperationalError, InterfaceError) as exc:
        if connection.in_atomic_block:
            raise
        logger.warning("database connection lost after a commit (%s); reading again on a new one", exc)
        connection.close()
        return read()
