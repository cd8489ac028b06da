"""Celery tasks of the gazetteer: thin wrappers that take ids and call one service."""

from celery import shared_task
from django.db import OperationalError

from gazetteer.services import GAZETTEER_IMPORTS


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def run_import_job(job_id: int) -> str | None:
    job = GAZETTEER_IMPORTS.run_job(job_id=job_id)
    return job.status if job else None
