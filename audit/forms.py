from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import Result
from audit.selectors import audit_actions
from config.limits import validate_filter_date


class AuditFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        validators=[validate_filter_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("To"), required=False, validators=[validate_filter_date], widget=forms.DateInput(attrs={"type": "date"})
    )
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, widget=forms.Select(attrs={"translate": "no"}))
    result = forms.ChoiceField(label=_("Result"), required=False, choices=[("", _("All")), *Result.choices])
    obj = forms.CharField(label=_("Object"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All")), *((action, action) for action in audit_actions())]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned
