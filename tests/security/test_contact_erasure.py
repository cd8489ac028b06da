"""Reporters' contacts erased a configurable time after their case ended (issue 11, item 10):
by the hourly beat job, with the count audited; open cases and recent ones keep theirs."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case, Source
from cases.privacy import reporter_contacts_erase
from cases.services import case_report
from cases.tasks import erase_reporter_contacts
from open311.models import Open311Request
from open311.services import api_key_authenticate, api_key_create, service_request_create
from tests.citizens.conftest import walk_to_closed
from tests.open311.conftest import posted
from tests.security.conftest import IN_M1

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def reported(phone: str) -> Case:
    return case_report(source=Source.HOTLINE, point=IN_M1, reporter_name="王小明", reporter_phone=phone)


def test_it_erases_the_contacts_of_cases_ended_longer_ago_than_the_retention(city):
    closed = walk_to_closed(reported("13800000001"), city)
    still_open = reported("13800000003")
    _row, key = api_key_create(name="12345", source=Source.HOTLINE)
    via_open311 = service_request_create(api_key=api_key_authenticate(key=key), posted=posted(email="a@example.com"))
    walk_to_closed(via_open311.case, city)
    retention = settings.REPORTER_CONTACT_RETENTION_DAYS
    assert retention == 180

    assert reporter_contacts_erase(now=timezone.now() + (retention - 1) * DAY) == 0  # not yet
    assert not AuditEvent.objects.filter(action="case.contacts_erased").exists()

    assert reporter_contacts_erase(now=timezone.now() + (retention + 1) * DAY) == 2
    for case in (closed, via_open311.case):
        case = Case.objects.get(pk=case.pk)
        assert (case.reporter_name, case.reporter_phone, case.reporter_phone_hash) == ("", "", "")
    assert Open311Request.objects.get(pk=via_open311.pk).email == ""
    kept = Case.objects.get(pk=still_open.pk)
    assert kept.reporter_phone == "13800000003" and kept.reporter_phone_hash
    row = AuditEvent.objects.get(action="case.contacts_erased")
    assert row.details["count"] == 2 and row.actor_id is None

    assert reporter_contacts_erase(now=timezone.now() + (retention + 2) * DAY) == 0  # nothing left
    assert AuditEvent.objects.filter(action="case.contacts_erased").count() == 1


def test_the_retention_is_configurable_and_the_beat_runs_the_job(city, settings):
    closed = walk_to_closed(reported("13800000009"), city)
    settings.REPORTER_CONTACT_RETENTION_DAYS = 1
    assert reporter_contacts_erase(now=timezone.now() + 2 * DAY) == 1
    assert Case.objects.get(pk=closed.pk).reporter_phone == ""
    entry = settings.CELERY_BEAT_SCHEDULE["erase-reporter-contacts"]
    assert entry["task"] == erase_reporter_contacts.name
    assert erase_reporter_contacts.apply().get() == 0
