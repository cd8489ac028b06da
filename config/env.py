"""Strict readers for settings taken from the environment.

django-environ silently turns an unknown boolean into False and accepts any
URL; a government deployment must rather refuse to start and say which
variable is wrong. Every reader raises ImproperlyConfigured naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}

DATABASE_SCHEMES = {"spatialite", "postgis"}
BROKER_SCHEMES = {"redis", "rediss"}
# Secret keys that are in the repository (and so known to anyone): refused with DEBUG off.
# tests/config/test_settings.py checks that every key written in a tracked file is listed here.
KNOWN_SECRET_KEYS = frozenset(
    {
        "change-me-to-a-random-string-of-at-least-32-characters",  # deploy/env.example
        "dev-only-key-never-used-in-production-0123456789",  # config/settings/base.py, DEBUG only
        "test-secret-key-only-for-the-test-suite-0123456789",  # the test settings' former key
    }
)
RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


class Env:
    def __init__(self, environ_: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ_ is None else environ_

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        return None if value is None else value.strip()

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._raw(name)
        if value:
            return value
        if required:
            raise ImproperlyConfigured(f"{name} is required but not set.")
        return default

    def bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {value!r}.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}.")
        return number

    def list(self, name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
        value = self._raw(name)
        items = [item.strip() for item in (value or "").split(",") if item.strip()]
        if items:
            return items
        if required:
            raise ImproperlyConfigured(f"{name} is required (a comma-separated list) but not set.")
        return list(default or [])

    def secret_key(self, name: str, *, debug: bool, dev_default: str) -> str:
        value = self._raw(name)
        if not value:
            if debug:
                return dev_default
            raise ImproperlyConfigured(f"{name} is required when DEBUG is off.")
        if not debug and (len(value) < 32 or value.startswith("django-insecure")):
            raise ImproperlyConfigured(f"{name} must be a random string of at least 32 characters.")
        if not debug and value in KNOWN_SECRET_KEYS:
            raise ImproperlyConfigured(
                f"{name} is a value published in the repository (an example or a development key); "
                "set a random one, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
            )
        return value

    def proxy_ssl_header(self, name: str) -> tuple[str, str] | None:
        """The header a TLS-terminating proxy sets to https, e.g. X-Forwarded-Proto; unset: none."""
        value = self._raw(name)
        if not value:
            return None
        if not all(part.isalnum() for part in value.split("-")):
            raise ImproperlyConfigured(f"{name} must be a header name such as X-Forwarded-Proto, got {value!r}.")
        return ("HTTP_" + value.upper().replace("-", "_"), "https")

    def allowed_hosts(self, name: str, *, debug: bool) -> list[str]:
        hosts = self.list(name, ["127.0.0.1", "localhost"] if debug else None, required=not debug)
        for host in hosts:
            if host == "*" and not debug:
                raise ImproperlyConfigured(f"{name} must list real host names when DEBUG is off, not '*'.")
            if "/" in host or " " in host or "://" in host:
                raise ImproperlyConfigured(f"{name} must hold host names, not URLs: got {host!r}.")
        return hosts

    def site_url(self, name: str, *, debug: bool) -> str:
        """The address people reach the site at (links in e-mails), e.g. https://grid.example.gov.cn:
        http(s), a host, an optional port and path, no trailing slash. Unset: the development
        server's address with DEBUG on, empty otherwise (then a system check stops start-up)."""
        value = (self._raw(name) or "").rstrip("/")
        if not value:
            return "http://127.0.0.1:8000" if debug else ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ImproperlyConfigured(f"{name} must be an address such as https://grid.example.gov.cn, got {value!r}.")
        return value

    def database(self, name: str, default: str) -> dict:
        url = self._raw(name) or default
        scheme = urlsplit(url).scheme
        if scheme not in DATABASE_SCHEMES:
            raise ImproperlyConfigured(f"{name} must start with spatialite:// or postgis://, got scheme {scheme!r}.")
        config = environ.Env.db_url_config(url)
        if scheme == "postgis" and not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} must name a database, e.g. postgis://user@host:5432/dbname.")
        return config

    def broker(self, name: str) -> str | None:
        url = self._raw(name)
        if not url:
            return None
        scheme = urlsplit(url).scheme
        if scheme not in BROKER_SCHEMES:
            raise ImproperlyConfigured(f"{name} must be a redis:// URL, got scheme {scheme!r}.")
        return url

    def rate(self, name: str, default: str) -> str:
        """A DRF throttle rate: requests per second, minute, hour or day, e.g. 60/min."""
        value = self._raw(name) or default
        count, _slash, period = value.partition("/")
        if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
            raise ImproperlyConfigured(f"{name} must be a rate like 60/min (per s, min, hour or day), got {value!r}.")
        return value

    def choice(self, name: str, choices: set[str], default: str) -> str:
        value = self._raw(name) or default
        if value not in choices:
            raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, got {value!r}.")
        return value

    def cache(self, name: str, default: str) -> dict:
        url = self._raw(name) or default
        scheme = urlsplit(url).scheme
        if scheme == "locmem":
            return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if scheme in BROKER_SCHEMES:
            return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        raise ImproperlyConfigured(f"{name} must be locmem:// or a redis:// URL, got scheme {scheme!r}.")
