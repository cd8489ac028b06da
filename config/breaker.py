"""A circuit breaker for the services a request may do without (the broker, the cache).

After a failure the breaker stays open for a while: calls are skipped at once instead of each
waiting for its timeout, and the outage is logged once per opening, not once per request.
Per process (each gunicorn worker learns on its own, at the cost of one timeout).
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name: str, open_seconds: float) -> None:
        self.name = name
        self.open_seconds = open_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, exc: BaseException) -> None:
        """Record a failure: skip calls for `open_seconds`; log once per opening (one line, no traceback)."""
        with self._lock:
            was_open = self.is_open
            self._open_until = time.monotonic() + self.open_seconds
        if not was_open:
            logger.error(
                "%s unreachable (%s: %s); calls skipped for %.0f s",
                self.name, type(exc).__name__, str(exc)[:200], self.open_seconds,
            )  # fmt: skip

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0
