"""The import task end to end: enqueued after commit, run by a real worker on Redis."""

import json

import pytest
from django.utils import translation

from grids.models import Grid, ImportJob
from grids.services import GRID_IMPORTS
from tests.grids.test_import import county
from tests.worker import broker_unreachable, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def finished(job_id):
    job = ImportJob.objects.get(pk=job_id)
    return job if job.status in (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED) else None


def test_it_imports_through_a_real_worker(celery_worker_process):
    job = GRID_IMPORTS.create(filename="county.geojson", payload=json.dumps(county()))
    done = wait_for(lambda: finished(job.pk))
    assert done is not None, celery_worker_process.output()
    assert done.status == ImportJob.Status.SUCCEEDED, done.errors
    assert Grid.objects.filter(level="micro").count() == 2
    assert "grids.tasks.run_import_job[" in celery_worker_process.output()


def test_it_reports_a_bad_file_from_the_worker(celery_worker_process):
    data = county()
    data["features"][4]["properties"]["parent"] = "NOPE"
    job = GRID_IMPORTS.create(filename="bad.geojson", payload=json.dumps(data))
    done = wait_for(lambda: finished(job.pk))
    assert done is not None, celery_worker_process.output()
    assert done.status == ImportJob.Status.FAILED
    assert len(done.errors) == 1 and "M2" in done.errors[0] and "NOPE" in done.errors[0]
    assert Grid.objects.count() == 0


@pytest.fixture
def broker_down():
    with broker_unreachable():
        yield


def test_it_says_so_when_the_queue_cannot_be_reached(broker_down):
    with translation.override("en"):
        job = GRID_IMPORTS.create(filename="county.geojson", payload=json.dumps(county()))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert len(job.errors) == 1
    assert "task queue could not be reached" in job.errors[0] and "upload the file again" in job.errors[0]
    assert Grid.objects.count() == 0
