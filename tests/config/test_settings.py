"""Settings come from the environment and refuse bad values, naming the variable."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from config.env import Env


def env(**values):
    return Env({key: str(value) for key, value in values.items()})


@pytest.mark.parametrize("value", ["maybe", "2", "ture"])
def test_it_refuses_a_boolean_it_cannot_read(value):
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        env(DEBUG=value).bool("DEBUG")


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("on", True), ("False", False), ("", False)])
def test_it_reads_booleans(value, expected):
    assert env(DEBUG=value).bool("DEBUG") is expected


def test_it_requires_a_secret_key_without_debug():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is required when DEBUG is off"):
        env().secret_key("SECRET_KEY", debug=False, dev_default="x")
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be a random string"):
        env(SECRET_KEY="short").secret_key("SECRET_KEY", debug=False, dev_default="x")
    assert env().secret_key("SECRET_KEY", debug=True, dev_default="dev") == "dev"


def test_it_requires_real_allowed_hosts_without_debug():
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS is required"):
        env().allowed_hosts("ALLOWED_HOSTS", debug=False)
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS must list real host names"):
        env(ALLOWED_HOSTS="*").allowed_hosts("ALLOWED_HOSTS", debug=False)
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS must hold host names, not URLs"):
        env(ALLOWED_HOSTS="https://city.example").allowed_hosts("ALLOWED_HOSTS", debug=False)
    assert env(ALLOWED_HOSTS="a.example, b.example").allowed_hosts("ALLOWED_HOSTS", debug=False) == [
        "a.example",
        "b.example",
    ]


def test_it_accepts_only_spatial_databases():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with spatialite:// or postgis://"):
        env(DATABASE_URL="mysql://root@localhost/x").database("DATABASE_URL", default="spatialite:///x")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must name a database"):
        env(DATABASE_URL="postgis://u@localhost:5432/").database("DATABASE_URL", default="spatialite:///x")
    config = env(DATABASE_URL="postgis://u:p@db:5433/city").database("DATABASE_URL", default="")
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (
        "django.contrib.gis.db.backends.postgis",
        "city",
        "db",
        5433,
    )


def test_it_accepts_only_redis_as_broker_and_cache():
    assert env().broker("CELERY_BROKER_URL") is None
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL must be a redis:// URL"):
        env(CELERY_BROKER_URL="amqp://guest@localhost//").broker("CELERY_BROKER_URL")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be locmem:// or a redis:// URL"):
        env(CACHE_URL="memcached://x").cache("CACHE_URL", default="locmem://")


def test_it_refuses_a_number_it_cannot_read():
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE must be an integer"):
        env(CONN_MAX_AGE="a minute").int("CONN_MAX_AGE", 60)
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE must be at least 0"):
        env(CONN_MAX_AGE="-1").int("CONN_MAX_AGE", 60, minimum=0)


def start(**values) -> subprocess.CompletedProcess:
    """Load the real settings in a fresh interpreter with only these variables set."""
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.CELERY_TASK_ALWAYS_EAGER if hasattr(s, 'CELERY_TASK_ALWAYS_EAGER') else False, "
        "s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**keep, "DJANGO_SETTINGS_MODULE": "config.settings.base", **values},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 40}, "ALLOWED_HOSTS"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL"),
        ({"DEBUG": "1", "CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "1", "MAP_TILES": "osm"}, "MAP_TILES"),
        ({"DEBUG": "1", "MAP_TILES": "tianditu"}, "TIANDITU_KEY"),
    ],
)
def test_it_stops_start_up_naming_the_bad_variable(values, named):
    result = start(**values)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.strip().splitlines()[-1]


def test_it_starts_embedded_by_default_and_on_redis_when_asked():
    embedded = start(DEBUG="1")
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.split() == ["True", "True", "django.contrib.gis.db.backends.spatialite"]
    production = start(
        SECRET_KEY="k" * 40,
        ALLOWED_HOSTS="city.example",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgis://u@db:5432/city",
    )
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["False", "False", "django.contrib.gis.db.backends.postgis"]


# ---- production refuses unsafe state (issue 11, item 6) ----------------------------------


def tracked_secret_keys() -> set[str]:
    """Every literal secret key written in a file of the repository."""
    files = subprocess.run(["git", "ls-files"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
    pattern = re.compile(r"""(?:SECRET_KEY\s*[=:,]\s*|dev_default=)["']?([A-Za-z0-9_\-]{32,})""")
    found = set()
    for name in files.stdout.split():
        path = settings.BASE_DIR / name
        if path.suffix in {".py", ".example", ".md", ".sh", ".service", ".txt", ".toml", ".ini"} or name.endswith(
            "env.example"
        ):
            found |= set(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def test_it_refuses_every_secret_key_written_in_the_repository():
    keys = tracked_secret_keys()
    assert "change-me-to-a-random-string-of-at-least-32-characters" in keys  # deploy/env.example
    for key in keys:
        with pytest.raises(ImproperlyConfigured, match="published in the repository"):
            env(SECRET_KEY=key).secret_key("SECRET_KEY", debug=False, dev_default="x")
        assert env(SECRET_KEY=key).secret_key("SECRET_KEY", debug=True, dev_default="x") == key


def test_it_stops_start_up_on_the_example_secret_key():
    result = start(SECRET_KEY="change-me-to-a-random-string-of-at-least-32-characters", ALLOWED_HOSTS="city.example")
    assert result.returncode != 0
    assert "SECRET_KEY is a value published in the repository" in result.stderr


def settings_of(names: list[str], **values) -> dict:
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    code = "import django, json; django.setup(); from django.conf import settings as s; " + (
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**keep, "DJANGO_SETTINGS_MODULE": "config.settings.base", **values},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


HTTPS = ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER"]  # fmt: skip
PRODUCTION = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "city.example"}


def test_it_is_secure_by_default_without_debug():
    assert settings_of(HTTPS, **PRODUCTION) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    assert settings_of(HTTPS, DEBUG="1")["SECURE_SSL_REDIRECT"] is False


def test_it_lets_each_https_default_be_turned_off_for_a_proxy():
    values = settings_of(
        HTTPS,
        **PRODUCTION,
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    with pytest.raises(ImproperlyConfigured, match="SECURE_PROXY_SSL_HEADER must be a header name"):
        env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https").proxy_ssl_header("SECURE_PROXY_SSL_HEADER")


def test_it_passes_the_deploy_check_with_only_debug_secret_key_allowed_hosts_site_url_and_pii_keys():
    """The address of the site (SITE_URL, for links in e-mails) and the encryption key of reporters'
    contacts (PII_KEYS, issue 11 item 10) are required besides DEBUG, SECRET_KEY and ALLOWED_HOSTS."""
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={
            **keep,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(38)[:50],
            "ALLOWED_HOSTS": "example.gov.cn",
            "SITE_URL": "https://example.gov.cn",
            "PII_KEYS": Fernet.generate_key().decode(),
        },  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_reads_api_throttle_rates_strictly():
    assert env(API_THROTTLE_USER="100/hour").rate("API_THROTTLE_USER", default="1/min") == "100/hour"
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_USER must be a rate like 60/min"):
        env(API_THROTTLE_USER="lots").rate("API_THROTTLE_USER", default="1/min")


def test_it_reads_the_site_url_strictly_and_requires_it_without_debug():
    from django.core import checks

    assert env().site_url("SITE_URL", debug=True) == "http://127.0.0.1:8000"
    assert env().site_url("SITE_URL", debug=False) == ""
    assert (
        env(SITE_URL="https://grid.example.gov.cn/").site_url("SITE_URL", debug=False) == "https://grid.example.gov.cn"
    )
    for bad in ("grid.example.gov.cn", "ftp://grid.example.gov.cn", "https://", "https://a.example/?x=1"):
        with pytest.raises(ImproperlyConfigured, match="SITE_URL must be an address"):
            env(SITE_URL=bad).site_url("SITE_URL", debug=False)
    from accounts.checks import site_url_check

    with override_settings(DEBUG=False, SITE_URL=""):
        [error] = site_url_check()
        assert error.id == "accounts.E002" and error.level == checks.ERROR
    with override_settings(DEBUG=False, SITE_URL="https://grid.example.gov.cn"):
        assert site_url_check() == []
