"""Uploaded files imported by a worker, with the progress shown in the admin: one shape for every
kind of import (the grids, the assets, the gazetteer).

Each kind keeps its own table (a subclass of ImportJobBase, so its jobs and admin permissions stay
in its app), its own Celery task and its own all-or-nothing import function. What is the same for
all lives here: storing the upload and handing it to a worker once committed (failing the job at
once, with a message, when the broker cannot be reached), claiming and running a job at most once
to completion, recording the result in the audit log, and the progress the admin page polls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

Progress = Callable[[int, int, str], None]  # (done, total, stage: "check" | "write")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportUploadForm(forms.Form):
    """The upload of an import: a UTF-8 text file (a BOM allowed) of at most 50 MB, its text put in
    cleaned_data["text"]. A kind declares its own `file` field (label, help, accepted types)."""

    not_utf8 = _("The file is not UTF-8 text; save it as UTF-8.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        try:
            self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(self.not_utf8) from None
        return upload


class ImportJobBase(models.Model):
    """An uploaded file being imported by a worker; its progress lives in the cache."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    filename = models.CharField(_("file name"), max_length=255)
    payload = models.TextField(_("file content"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def audit_details(self) -> dict:
        """What the audit log keeps of a finished job (a kind may add its own fields)."""
        return {**self.summary, "problems": len(self.errors)}


class FileFormatImportJobBase(ImportJobBase):
    """An import whose file is GeoJSON or CSV (the assets, the gazetteer): its format kept too."""

    class Format(models.TextChoices):
        GEOJSON = "geojson", "GeoJSON"
        CSV = "csv", "CSV"

    format = models.CharField(_("format"), max_length=10, choices=Format.choices)

    class Meta(ImportJobBase.Meta):
        abstract = True

    def audit_details(self) -> dict:
        return {**super().audit_details(), "format": self.format}


@dataclass(frozen=True)
class ImportKind:
    """One kind of import: its job table, its task, its import function and its refusal."""

    model: type[ImportJobBase]
    task: str  # dotted path of the Celery task that takes the job's id and calls run_job
    run: Callable[[ImportJobBase, Progress], Any]  # → a summary with as_dict(); raises `error`
    error: type[Exception]  # the import's refusal, with .problems
    audit_action: str

    def progress_key(self, job_id: int) -> str:
        return f"{self.model._meta.label_lower}:import-progress:{job_id}"

    def create(self, *, filename: str, payload: str, user=None, **fields) -> ImportJobBase:
        """Store an uploaded file and hand it to a worker once the row is committed."""
        from config.broker import publish

        job = self.model.objects.create(filename=filename[:255], payload=payload, created_by=user, **fields)
        Status = self.model.Status

        def enqueue() -> None:
            if not publish(import_string(self.task), (job.pk,)):
                # Broker unreachable (config.broker logs why): say so instead of leaving the job waiting forever.
                self.model.objects.filter(pk=job.pk, status=Status.PENDING).update(
                    status=Status.FAILED,
                    finished_at=timezone.now(),
                    errors=[gettext("The task queue could not be reached; upload the file again.")],
                )

        transaction.on_commit(enqueue)
        return job

    def run_job(self, *, job_id: int) -> ImportJobBase | None:
        """Run one job. Safe to call twice: a finished job is left alone (None), and the import
        itself is all or nothing."""
        from audit.services import audit_record
        from config.cache import CacheDown, cached

        Status = self.model.Status
        claimed = self.model.objects.filter(pk=job_id, status__in=[Status.PENDING, Status.RUNNING]).update(
            status=Status.RUNNING
        )
        if not claimed:
            return None
        job = self.model.objects.get(pk=job_id)
        key = self.progress_key(job_id)

        def progress(done: int, total: int, stage: str) -> None:
            with contextlib.suppress(CacheDown):  # the progress bar stands still; the import goes on
                cached("set", key, {"done": done, "total": total, "stage": stage}, timeout=24 * 3600)

        try:
            summary = self.run(job, progress)
        except self.error as exc:
            job.status, job.errors = Status.FAILED, [str(problem) for problem in exc.problems]
        else:
            job.status, job.summary, job.errors = Status.SUCCEEDED, summary.as_dict(), []
            job.payload = ""  # the rows are in the database now; do not keep a second copy
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "summary", "errors", "payload", "finished_at"])
        result = "ok" if job.status == Status.SUCCEEDED else "failed"
        audit_record(
            action=self.audit_action, actor=job.created_by, obj=job, result=result, details=job.audit_details()
        )
        return job

    def progress(self, *, job: ImportJobBase) -> dict:
        """{done, total, stage, percent} for a job, from the cache while it runs: checking is the
        first half of the work, writing the second."""
        from config.cache import CacheDown, cached

        try:
            state = cached("get", self.progress_key(job.pk))
        except CacheDown:
            state = None
        state = state or {"done": 0, "total": 0, "stage": "check"}
        total = state.get("total") or 0
        if job.status == job.Status.SUCCEEDED:
            return {**state, "done": total, "stage": "write", "percent": 100}
        share = state["done"] / total if total else 0
        return {**state, "percent": int(50 * share) + (50 if state.get("stage") == "write" else 0)}


class ImportJobAdmin(admin.ModelAdmin):
    """A job is a record, not a form: read-only, made by an upload elsewhere, with a progress bar
    that polls `<pk>/progress/` while it runs. Subclasses set `kind` and `result`."""

    kind: ImportKind
    list_filter = ["status"]
    change_form_template = "admin/import_job_change_form.html"

    def has_add_permission(self, request):
        return False  # jobs are made by uploading a file on their kind's page

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def _progress_url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_progress"

    def get_urls(self):
        view = self.admin_site.admin_view(self.progress_view)
        return [path("<int:pk>/progress/", view, name=self._progress_url_name()), *super().get_urls()]

    def progress_view(self, request, pk: int):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        job = get_object_or_404(self.model, pk=pk)
        return JsonResponse(
            {"status": job.status, "errors": job.errors, "summary": job.summary, **self.kind.progress(job=job)}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = get_object_or_404(self.model, pk=object_id)
        extra = {
            "progress": self.kind.progress(job=job),
            "progress_url": reverse(f"admin:{self._progress_url_name()}", args=[job.pk]),
            "finished": job.finished,
            "job": job,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        if job.status == job.Status.SUCCEEDED:
            messages.success(request, gettext("Import finished."))
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


class FileFormatImportJobAdmin(ImportJobAdmin):
    """The jobs of a FileFormatImportJobBase: read-only columns, and `result`, the summary of a
    job that succeeded in the words of `result_text` (a subclass's, from the job's summary)."""

    list_display = ["filename", "format", "status", "created_by", "created_at", "finished_at"]
    fields = ["filename", "format", "status", "created_by", "created_at", "finished_at", "result"]
    readonly_fields = fields

    def result_text(self, summary: dict) -> str:
        raise NotImplementedError

    @admin.display(description=_("result"))
    def result(self, job) -> str:
        return self.result_text(job.summary) if job.status == job.Status.SUCCEEDED else "-"
