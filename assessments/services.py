"""Writes of the assessments app: the bulletin PDF jobs and the exports made in the background
(the rollup's upkeep is in facts.py)."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.bulletin import bulletin_data, bulletin_pdf
from assessments.facts import facts_refresh
from assessments.models import BulletinIssue, BulletinJob, ExportJob
from assessments.selectors import Period, Slice
from campaigns.models import Campaign
from campaigns.services import campaigns_tag_by_rule
from cases.models import Category, Department
from config.errors import ApplicationError
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


def _language(params: dict):
    """The language of the page the job was asked from (jobs made before it was stored: the city's)."""
    return translation.override(params.get("language") or settings.LANGUAGE_CODE)


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
        with _language(p):
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
        with _language(p):
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


# ---- bulletin issues (工作简报): drafts, narrative, publishing -------------------------------------


class BulletinIssueFrozen(ApplicationError):
    """A published issue is frozen: its narrative and figures no longer change."""

    status_code = 409
    code = "bulletin_published"


def bulletin_issue_create(*, kind: str, day: datetime.date, actor) -> BulletinIssue:
    """A draft issue for the month or quarter containing `day` (its number comes when it is published)."""
    if kind not in BulletinIssue.Kind.values:
        raise ValueError(f"unknown bulletin kind {kind!r}")
    period = Period.containing(kind, day)
    return BulletinIssue.objects.create(kind=kind, start=period.start, end=period.end, created_by=actor)


def bulletin_issue_update(*, issue_id: int, work_news: str, problems: str, next_steps: str) -> BulletinIssue:
    """Save the narrative sections (工作动态, 存在问题, 下步工作) of a draft."""
    with transaction.atomic():
        issue = BulletinIssue.objects.select_for_update().get(pk=issue_id)
        if issue.status != BulletinIssue.Status.DRAFT:
            raise BulletinIssueFrozen(_("This issue is published: it can no longer be changed."))
        issue.work_news, issue.problems, issue.next_steps = work_news.strip(), problems.strip(), next_steps.strip()
        issue.save(update_fields=["work_news", "problems", "next_steps"])
    return issue


def bulletin_issue_publish(
    *, issue_id: int, actor, issued_on: datetime.date | None = None, now: datetime.datetime | None = None
) -> BulletinIssue:
    """Publish a draft: its number (第 N 期: the next of its kind in the year of its date of issue),
    and its whole content, figures included, stored as it is now. Later changes to cases change
    nothing of it. The caller has brought the rollup up to date (facts_refresh)."""
    from assessments.issues import build_document

    now = now or timezone.now()
    issued_on = issued_on or timezone.localdate(now)
    for _attempt in range(3):  # two issues of a kind published at the same moment: one takes the next number
        try:
            with transaction.atomic():
                issue = BulletinIssue.objects.select_for_update().get(pk=issue_id)
                if issue.status != BulletinIssue.Status.DRAFT:
                    raise BulletinIssueFrozen(_("This issue is already published."))
                last = BulletinIssue.objects.filter(kind=issue.kind, year=issued_on.year).aggregate(n=Max("number"))
                issue.status, issue.year, issue.issued_on = BulletinIssue.Status.PUBLISHED, issued_on.year, issued_on
                issue.number = (last["n"] or 0) + 1
                issue.published_by, issue.published_at = actor, now
                issue.content = build_document(issue, now=now)
                issue.save()
                return issue
        except IntegrityError:
            continue
    raise BulletinIssueFrozen(_("Another issue took this number at the same moment; publish again."))
