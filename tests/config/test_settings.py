"""Settings come from the environment and refuse bad values, naming the variable."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
