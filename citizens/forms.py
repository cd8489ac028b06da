"""The public 随手拍 form and the tracking-code lookup. They check input; citizens.services writes."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import PublicCategory, Satisfaction
from cases.photos import PhotoError, photo_check

DESCRIPTION_MAX = 1000


class CitizenReportForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        error_messages={"required": _("Take or choose a photo of the problem.")},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    category = forms.ChoiceField(
        label=_("What kind of problem?"),
        choices=PublicCategory.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of problem it is.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What is wrong, and where exactly?")}),
        error_messages={"required": _("Say in a few words what is wrong.")},
    )
    phone = forms.RegexField(
        label=_("Phone (optional)"),
        regex=r"^\+?[0-9 \-]{7,20}$",
        required=False,
        help_text=_("Only the command center sees it, to ask you about the report."),
        error_messages={"invalid": _("A phone number has 7 to 20 digits (spaces and dashes allowed).")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        error_messages={"required": _("Set the location: use your phone's position or tap the map.")},
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lng = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        error_messages={"required": _("Set the location: use your phone's position or tap the map.")},
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    # Made when the page is rendered: a double tap or a resent form takes in one report.
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        try:
            photo_check(photo)
        except PhotoError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return photo


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Type the tracking code from your receipt.")},
    )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"), choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the problem is solved.")},
    )  # fmt: skip
    contacted = forms.TypedChoiceField(
        label=_("Did anyone contact you or answer you about it?"), choices=YES_NO, coerce=lambda v: v == "yes",
        widget=forms.RadioSelect, error_messages={"required": _("Say whether anyone contacted you.")},
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=DESCRIPTION_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
