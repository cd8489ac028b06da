"""The API's throttles: DRF's, counting in the cache through config.cache's breaker, and failing
open when the cache is away (a module of its own: DRF imports it while its views load)."""

from __future__ import annotations

from rest_framework import throttling

from config.cache import CacheDown, cached


class _CacheThroughBreaker:
    """The cache as DRF's throttles use it, each call bounded and behind config.cache's breaker."""

    def get(self, key, default=None):
        return cached("get", key, default)

    def set(self, key, value, timeout=None):
        return cached("set", key, value, timeout)


class _FailOpen:
    """With the cache away, requests are not throttled (the breaker logs the outage once): the
    API goes on working; failed logins and tokens are still locked out by their own counters."""

    cache = _CacheThroughBreaker()

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CacheDown:
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    pass
