"""Inspectors (监督员) and the grids they patrol: who is suggested to verify or check a case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Grid


class Patrol(models.Model):
    """The grid an inspector patrols (any level: a micro grid, or a community grid with its subtree).
    Sending a case to verify or check suggests the inspector whose patrol grid holds it, the
    nearest grid first, then the least loaded (cases.inspectors)."""

    inspector = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.CASCADE, related_name="patrol"
    )
    grid = models.ForeignKey(Grid, verbose_name=_("patrol grid"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("inspector's patrol")
        verbose_name_plural = _("inspectors' patrols")

    def __str__(self) -> str:
        return f"{self.inspector} → {self.grid_id}"
