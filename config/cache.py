"""The cache, for callers that can do without it (public pages, rate limits).

`cached(op, ...)` calls the cache; when the cache is away it raises CacheDown at once (after
the first timeout, the breaker skips it for RETRY_SECONDS), so the caller falls back: compute
instead of reading, count in the database, or let the request through. Settings bound each
call (REDIS_TIMEOUT_SECONDS); the outage is logged once per opening of the breaker.
"""

from __future__ import annotations

from django.core.cache import cache

from config.breaker import Breaker

RETRY_SECONDS = 30
breaker = Breaker("cache", RETRY_SECONDS)


class CacheDown(Exception):
    """The cache could not be reached (or was recently unreachable)."""


def cached(op: str, *args, **kwargs):
    """cache.<op>(*args, **kwargs), or CacheDown."""
    if breaker.is_open:
        raise CacheDown
    try:
        return getattr(cache, op)(*args, **kwargs)
    except ValueError:  # incr of a missing key: the caller's business, not an outage
        raise
    except Exception as exc:  # redis' ConnectionError, TimeoutError, and OSErrors below them
        breaker.trip(exc)
        raise CacheDown from exc
