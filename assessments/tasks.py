"""Celery tasks of the assessments app: thin, idempotent, by id."""

from __future__ import annotations

from celery import shared_task

from assessments.facts import facts_refresh


@shared_task(name="assessments.refresh_facts")
def refresh_facts() -> int:
    """Fold new case events into the rollup, looking back for late commits, then compute the
    stored figures of months that are over and have none (beat: every minute; a year of
    months at most per run, so that a first run on a large history stays short)."""
    from assessments.months import months_refresh

    count = facts_refresh(force=True)
    months_refresh(limit=12)
    return count


@shared_task(name="assessments.make_bulletin_pdf", acks_late=True)
def make_bulletin_pdf(job_id: int) -> str | None:
    """Draw one bulletin PDF, reporting progress on its BulletinJob (idempotent: a finished job is left alone)."""
    from assessments.services import bulletin_job_run

    return bulletin_job_run(job_id=job_id)


@shared_task(name="assessments.make_export", acks_late=True)
def make_export(job_id: int) -> str | None:
    """Write one long table to CSV or Excel, reporting progress on its ExportJob (idempotent)."""
    from assessments.services import export_job_run

    return export_job_run(job_id=job_id)
