"""Fixed-window counters in Django's cache (local memory in development, Redis in production).

`reserve` counts one use first and then decides (the cache's increment is atomic on both
backends), so that of twenty requests arriving at once against a limit of ten exactly ten go
through: reading the count and adding to it after the work let every one of them in. A use
whose request is then refused for another reason (a bad photo, a point outside the city) is
given back with `Reservation.release`. `hit` counts one use and returns the count. Identifiers
are hashed with the secret key, so the cache holds no phone number or address in clear.

The cache may be away (config.cache): a request is never refused or failed for that. `used`
then asks the caller's `fallback` (a count in the database) or, without one, lets the request
through with a WARNING in the log; `hit` counts nothing. Which limit does which is in
docs/OPERATIONS.md ("Broker or cache outage").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from config.cache import CacheDown, cached

logger = logging.getLogger(__name__)


def _key(scope: str, identifier: str, window: int, now: float) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{identifier}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{int(now // window)}"


def used(
    scope: str, identifier: str, *, window: int, now: float | None = None, fallback: Callable[[], int] | None = None
) -> int:
    """How many uses `identifier` has made of `scope` in the current window. With the cache away:
    `fallback()` (the database's count), or 0 (let through) with a warning."""
    try:
        return cached("get", _key(scope, identifier, window, now if now is not None else time.time()), 0)
    except CacheDown:
        if fallback is not None:
            return fallback()
        logger.warning("rate limit %s not checked: the cache is unreachable; the request is let through", scope)
        return 0


def hit(scope: str, identifier: str, *, window: int, now: float | None = None) -> int:
    """Count one use; returns the count in the current window, this use included (0: the cache is away)."""
    key = _key(scope, identifier, window, now if now is not None else time.time())
    try:
        cached("add", key, 0, timeout=window + 60)  # atomic on both backends: only the first adds
        try:
            return cached("incr", key)
        except ValueError:  # evicted between add and incr
            cached("set", key, 1, timeout=window + 60)
            return 1
    except CacheDown:
        return 0


@dataclass
class Reservation:
    """One use counted by `reserve`: `allowed` says whether it was within the limit."""

    allowed: bool
    key: str | None = None  # None: nothing was counted (the cache is away)

    def release(self) -> None:
        """Give the use back: the request it was counted for was refused for another reason."""
        if self.key is None:
            return
        with contextlib.suppress(ValueError, CacheDown):  # expired or evicted meanwhile, or the cache went away
            cached("decr", self.key)
        self.key = None


def reserve(
    scope: str,
    identifier: str,
    *,
    limit: int,
    window: int,
    now: float | None = None,
    fallback: Callable[[], int] | None = None,
) -> Reservation:
    """Count one use of `scope` by `identifier`, then decide: allowed while the count, this use
    included, is at most `limit`. A use over the limit stays counted (hammering does not help).
    With the cache away: `fallback()` (the database's count of earlier uses) below `limit`, or
    allowed with a warning."""
    key = _key(scope, identifier, window, now if now is not None else time.time())
    try:
        cached("add", key, 0, timeout=window + 60)  # atomic on both backends: only the first adds
        try:
            count = cached("incr", key)
        except ValueError:  # evicted between add and incr
            cached("add", key, 0, timeout=window + 60)
            count = cached("incr", key)
    except (CacheDown, ValueError):
        if fallback is not None:
            return Reservation(allowed=fallback() < limit)
        logger.warning("rate limit %s not checked: the cache is unreachable; the request is let through", scope)
        return Reservation(allowed=True)
    return Reservation(allowed=count <= limit, key=key)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    the outermost trusted proxy saw (X-Forwarded-For is appended to by each proxy)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
