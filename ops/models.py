"""What operations read: the last run of each periodic job (the beat's heartbeat among them)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicRun(models.Model):
    """The last run of one periodic job of the beat schedule (a task name), written by whichever
    worker ran it: /readyz reads the heartbeat's age from here, /metrics every job's duration."""

    task = models.CharField(_("task"), max_length=100, primary_key=True)
    last_started_at = models.DateTimeField(_("last started"), null=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True)
    last_succeeded_at = models.DateTimeField(_("last succeeded"), null=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    runs = models.PositiveBigIntegerField(_("runs"), default=0)
    failures = models.PositiveBigIntegerField(_("failures"), default=0)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")

    def __str__(self) -> str:
        return self.task
