"""Celery tasks of the assessments app: thin, idempotent, by id."""

from __future__ import annotations

from celery import shared_task

from assessments.facts import facts_refresh


@shared_task(name="assessments.refresh_facts")
def refresh_facts() -> int:
    """Fold new case events into the rollup, looking back for late commits (beat: every minute)."""
    return facts_refresh(force=True)


@shared_task(name="assessments.make_bulletin_pdf", acks_late=True)
def make_bulletin_pdf(job_id: int) -> str | None:
    """Draw one bulletin PDF, reporting progress on its BulletinJob (idempotent: a finished job is left alone)."""
    from assessments.services import bulletin_job_run

    return bulletin_job_run(job_id=job_id)
