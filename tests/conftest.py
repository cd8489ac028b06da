import importlib
import os

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection

from accounts.roles import Role

# The browser journeys need Chromium and Playwright and take minutes: `make e2e` runs them
# (with E2E=1), `make test` leaves them out.
collect_ignore = [] if os.environ.get("E2E") == "1" else ["e2e"]


@pytest.fixture(autouse=True)
def _fresh_memos():
    """What a process keeps of small tables (config.memo) may come from a test's rolled-back
    transaction: every test starts without it."""
    from config.memo import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _day_sequences_dropped(request, django_db_blocker):
    """On PostgreSQL each day's tracking numbers come from a sequence made on the day's first report
    (cases migration 0008). A test in a transaction leaves none behind; one that commits would leave
    its days' sequences to the tests after it (the flush knows only Django's tables): dropped here."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" not in request.fixturenames and not (marker and marker.kwargs.get("transaction")):
        return
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'cases\\_tracking\\_%%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP SEQUENCE IF EXISTS "{name}"')


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Photos stored by any test (a case reported handled needs one) go to a folder of the test run."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def make_user(db):
    def make(username: str = "user", *roles: Role, **extra) -> User:
        user = User.objects.create_user(username=username, password="pw-for-tests-1", **extra)
        for role in roles:
            # get_or_create: the groups come from a data migration, and the flush after a
            # transactional test (those run last) empties them for the tests after it.
            user.groups.add(Group.objects.get_or_create(name=role.value)[0])
        return user

    return make


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real Celery worker on Redis that sees this test's (committed) data and stores files
    where this test reads them."""
    from tests.worker import Worker

    worker = Worker(env={"MEDIA_ROOT": str(settings.MEDIA_ROOT)}).start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def _site_language(settings):
    """Each test starts in the site's language, as a new worker thread does: a request of an
    earlier test (the test client's LocaleMiddleware) leaves its language active in this thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and API throttles count in the cache: each test starts from zero."""
    cache.clear()


TRIGGERS = importlib.import_module("audit.migrations.0002_append_only_triggers")


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test Django empties every table; on SQLite with DELETE, which the
    audit log's trigger refuses for recent rows. Empty that table first with the trigger
    dropped for the moment (PostgreSQL's flush uses TRUNCATE, which the row trigger lets be)."""
    if _transactional(item) and connection.vendor == "sqlite" and connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute(TRIGGERS.SQLITE_UP[1])
    return (yield)
