"""Celery tasks of the territory: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.db import OperationalError

from grids.services import GRID_IMPORTS


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def run_import_job(job_id: int) -> str | None:
    job = GRID_IMPORTS.run_job(job_id=job_id)
    return job.status if job else None
