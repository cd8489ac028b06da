"""Forms of the bulletin issues (工作简报): a new draft, and its narrative sections."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import BulletinIssue

NARRATIVE_MAX = 10_000


class IssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=BulletinIssue.Kind.choices)
    day = forms.DateField(label=_("Any day in the period"), initial=timezone.localdate,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip


class NarrativeForm(forms.ModelForm):
    class Meta:
        model = BulletinIssue
        fields = ["work_news", "problems", "next_steps"]
        labels = {"work_news": _("Work news"), "problems": _("Problems"), "next_steps": _("Next steps")}
        widgets = {name: forms.Textarea(attrs={"rows": 5, "maxlength": NARRATIVE_MAX}) for name in fields}
