"""Celery tasks of the assessments app: thin, idempotent, by id."""

from __future__ import annotations

from celery import shared_task

from assessments.facts import facts_refresh


@shared_task(name="assessments.refresh_facts")
def refresh_facts() -> int:
    """Fold new case events into the rollup, looking back for late commits (beat: every minute)."""
    return facts_refresh(force=True)
