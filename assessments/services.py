"""Writes of the assessments app: the bulletin PDF jobs and the exports made in the background
(the rollup's upkeep is in facts.py)."""

from __future__ import annotations

import datetime
import logging

from django.core.files.base import ContentFile
from django.utils import timezone

from assessments.bulletin import bulletin_data, bulletin_pdf
from assessments.facts import facts_refresh
from assessments.models import BulletinJob, ExportJob
from assessments.selectors import Period, Slice
from campaigns.models import Campaign
from campaigns.services import campaigns_tag_by_rule
from cases.models import Category, Department
from grids.models import Grid, Person

logger = logging.getLogger(__name__)


def _slice(params: dict) -> Slice:
    def get(model, key):
        return model.objects.filter(pk=params[key]).first() if params.get(key) else None

    return Slice(
        grid=get(Grid, "grid"),
        department=get(Department, "department"),
        chief=get(Person, "chief"),
        category=get(Category, "category"),
        source=params.get("source") or None,
        campaign=get(Campaign, "campaign"),
    )


def bulletin_job_run(*, job_id: int) -> str | None:
    """Make the PDF of a waiting job. Claimed with a conditional UPDATE, so it runs once."""
    if not BulletinJob.objects.filter(pk=job_id, status=BulletinJob.Status.PENDING).update(
        status=BulletinJob.Status.RUNNING, progress=5
    ):
        return None
    job = BulletinJob.objects.get(pk=job_id)

    def progress(percent: int) -> None:
        BulletinJob.objects.filter(pk=job_id).update(progress=percent)

    try:
        facts_refresh()  # fold in what changed since the last refresh: the selectors only read
        campaigns_tag_by_rule()  # and the campaigns' cases, for its campaign section
        p = job.params
        period = Period(p["period"], datetime.date.fromisoformat(p["start"]), datetime.date.fromisoformat(p["end"]))
        data = bulletin_data(period=period, slice=_slice(p), progress=progress)
        content = bulletin_pdf(data, progress=progress)
        job.filename = f"bulletin-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"
        job.pdf.save(f"bulletin-{job.pk}.pdf", ContentFile(content), save=False)
        job.status, job.progress, job.finished_at = BulletinJob.Status.DONE, 100, timezone.now()
        job.save(update_fields=["filename", "pdf", "status", "progress", "finished_at"])
    except Exception as exc:  # the job says it failed instead of spinning forever
        logger.exception("bulletin PDF %s failed", job_id)
        BulletinJob.objects.filter(pk=job_id).update(
            status=BulletinJob.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        return BulletinJob.Status.FAILED
    return job.status


def export_job_run(*, job_id: int) -> str | None:
    """Make the file of a waiting export. Claimed with a conditional UPDATE, so it runs once."""
    from assessments.tables import build_table, export_heading, table_file

    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, progress=5
    ):
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(progress=percent)

    try:
        facts_refresh()
        p = job.params
        period = Period(p["period"], datetime.date.fromisoformat(p["start"]), datetime.date.fromisoformat(p["end"]))
        slice = _slice(p)
        table = build_table(job.kind, period=period, slice=slice)
        progress(30)
        content, name = table_file(table, export_heading(table, period, slice), job.fmt, period,
                                   progress=lambda done: progress(30 + int(done * 65)))  # fmt: skip
        job.filename, job.rows = name, len(table.rows)
        job.file.save(f"export-{job.pk}.{job.fmt}", ContentFile(content), save=False)
        job.status, job.progress, job.finished_at = ExportJob.Status.DONE, 100, timezone.now()
        job.save(update_fields=["filename", "rows", "file", "status", "progress", "finished_at"])
    except Exception as exc:  # the job says it failed instead of spinning forever
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        return ExportJob.Status.FAILED
    return job.status
