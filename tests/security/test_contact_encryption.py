"""Reporters' contact details encrypted at rest (issue 11, item 10): what the database holds is
a Fernet token, never the number; the application reads it back; a keyed hash finds a number
again; the rows already there are encrypted by the data migration; keys rotate; production
refuses to start without a key of its own. On SpatiaLite and PostGIS."""

from __future__ import annotations

import base64
import importlib
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from audit.models import AuditEvent
from cases.models import Case, Source
from cases.privacy import pii_rotate
from cases.services import case_report
from citizens.services import _reports_by_phone, citizen_report
from config import pii
from open311.models import Open311Request
from tests.citizens.conftest import upload
from tests.open311.conftest import posted
from tests.security.conftest import IN_M1, NOW

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
MIGRATION = importlib.import_module("cases.migrations.0015_reporter_contact_encrypted")


def stored(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_the_database_holds_tokens_and_the_application_the_contact(city):
    case = case_report(source=Source.HOTLINE, point=IN_M1, reporter_name="王小明", reporter_phone=PHONE, now=NOW)
    raw_phone, raw_name = (
        stored("cases_case", "reporter_phone", case.pk),
        stored("cases_case", "reporter_name", case.pk),
    )
    for raw in (raw_phone, raw_name):
        assert raw.startswith("gAAAAA") and PHONE not in raw and "王" not in raw
    assert Fernet(settings.PII_KEYS[0]).decrypt(raw_phone.encode()).decode() == PHONE
    again = Case.objects.get(pk=case.pk)
    assert (again.reporter_phone, again.reporter_name) == (PHONE, "王小明")
    assert stored("cases_case", "reporter_phone_hash", case.pk) == pii.lookup_hash(PHONE) != PHONE
    assert Case.objects.filter(reporter_phone="").count() == 0  # emptiness is still searchable
    empty = case_report(source=Source.HOTLINE, point=IN_M1, now=NOW)
    assert (
        stored("cases_case", "reporter_phone", empty.pk) == ""
        and stored("cases_case", "reporter_phone_hash", empty.pk) == ""
    )


def test_a_citizens_phone_is_found_again_by_its_keyed_hash(city):
    citizen_report(point=IN_M1, public_category="sanitation", description="垃圾", photo=upload(),
                   phone="138 0013-8000", client_ip="10.0.0.1", request_id="a")  # fmt: skip
    assert _reports_by_phone(PHONE) == 1 and _reports_by_phone("13900139000") == 0


def test_an_open311_email_is_stored_encrypted(city, key):
    from open311.services import api_key_authenticate, service_request_create

    row = service_request_create(api_key=api_key_authenticate(key=key), posted=posted(email="zhang@example.com"))
    raw = stored("open311_open311request", "email", row.pk)
    assert raw.startswith("gAAAAA") and "example" not in raw
    assert Open311Request.objects.get(pk=row.pk).email == "zhang@example.com"


@pytest.fixture
def key(city):
    from open311.services import api_key_create

    return api_key_create(name="12345 热线系统", source=Source.HOTLINE)[1]


def test_the_data_migration_encrypts_the_rows_in_clear_and_back(city):
    case = case_report(source=Source.HOTLINE, point=IN_M1, now=NOW)
    with connection.cursor() as cursor:  # a row as it was before the migration
        cursor.execute(
            "UPDATE cases_case SET reporter_phone = %s, reporter_name = %s, reporter_phone_hash = '' WHERE id = %s",
            [PHONE, "王小明", case.pk],
        )
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE  # read as it is meanwhile
    MIGRATION.encrypt(None, connection.schema_editor())
    assert stored("cases_case", "reporter_phone", case.pk).startswith("gAAAAA")
    assert stored("cases_case", "reporter_phone_hash", case.pk) == pii.lookup_hash(PHONE)
    assert Case.objects.get(pk=case.pk).reporter_name == "王小明"
    MIGRATION.encrypt(None, connection.schema_editor())  # again: still one layer of encryption
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE
    MIGRATION.decrypt(None, connection.schema_editor())
    assert stored("cases_case", "reporter_phone", case.pk) == PHONE


def test_keys_rotate_and_the_old_rows_stay_readable_and_findable(city, settings):
    old = settings.PII_KEYS[0]
    case = case_report(source=Source.HOTLINE, point=IN_M1, reporter_phone=PHONE, now=NOW)
    new = Fernet.generate_key().decode()
    settings.PII_KEYS = [new, old]
    pii._fernet.cache_clear()
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE  # encrypted with the old key: still read
    assert Case.objects.filter(reporter_phone_hash__in=pii.lookup_hashes(PHONE)).count() == 1
    assert pii_rotate() >= 1
    assert Fernet(new).decrypt(stored("cases_case", "reporter_phone", case.pk).encode()).decode() == PHONE
    settings.PII_KEYS = [new]  # the old key dropped
    assert Case.objects.get(pk=case.pk).reporter_phone == PHONE
    assert Case.objects.filter(reporter_phone_hash=pii.lookup_hash(PHONE)).count() == 1
    assert AuditEvent.objects.get(action="pii.keys_rotated").details["rows"]["cases_case"] >= 1
    settings.PII_KEYS = [Fernet.generate_key().decode()]  # a key that never encrypted it
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        Case.objects.get(pk=case.pk)


def test_no_key_means_nothing_is_written_in_clear(city, settings):
    settings.PII_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="PII_KEYS is required"):
        case_report(source=Source.HOTLINE, point=IN_M1, reporter_phone=PHONE, now=NOW)


def start(*args: str, **values: str) -> subprocess.CompletedProcess:
    keep = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**keep, "DJANGO_SETTINGS_MODULE": "config.settings.base", **values},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(40),
    "ALLOWED_HOSTS": "city.example",
    "SITE_URL": "https://city.example",
}


def test_production_does_not_start_without_a_key_of_its_own():
    refused = start("check", **PRODUCTION)
    assert refused.returncode != 0 and "config.E001" in refused.stderr + refused.stdout
    bad = start("check", **PRODUCTION, PII_KEYS="not-a-key")
    assert bad.returncode != 0 and "PII_KEYS must hold Fernet keys" in bad.stderr
    good = start("check", **PRODUCTION, PII_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    assert good.returncode == 0, good.stderr
    assert start("check", DEBUG="1").returncode == 0  # the demo: a key derived from SECRET_KEY
    made = start("pii_key", DEBUG="1").stdout.strip()
    assert len(base64.urlsafe_b64decode(made)) == 32
