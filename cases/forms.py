"""Forms of the case pages: intake, the queue's filters, and one small form per action.

They only read and check input; cases.services does every write.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from cases.models import Case, Category, Department, LimitUnit, Satisfaction, Source, Status, Urgency
from cases.photos import PHOTOS_MAX, PhotoError, photo_check
from cases.scope import report_sources
from cases.transitions import Input, Transition
from config.limits import validate_filter_date
from grids.models import Grid, Level
from grids.selectors import centers_known

NOTE_MAX = 2000


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each checked as cases.photos checks it (size, real image,
    format, pixels), so a refused photo is named on the form before anything is stored."""

    widget = MultiplePhotoInput

    def __init__(self, *, maximum: int = PHOTOS_MAX, **kwargs) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(**kwargs)
        self.maximum = maximum

    def clean(self, data, initial=None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.maximum:
            raise forms.ValidationError(_("At most %(max)d photos at a time.") % {"max": self.maximum})
        errors = []
        for number, file in enumerate(files, start=1):
            try:
                photo_check(file)
            except PhotoError as exc:
                errors.append(exc.message if len(files) == 1 else f"{number}: {exc.message}")
        if errors:
            raise forms.ValidationError(errors)
        return files


def category_choices(categories: Iterable[Category], *, blank: str) -> list:
    """<optgroup> per major category (大类), 小类 inside: what an operator scans for."""
    groups: dict[int, tuple[str, list]] = {}
    for category in categories:
        major = category.major
        label = f"{major.get_kind_display()} · {major.code} {major.name}"
        groups.setdefault(major.pk, (label, []))[1].append((category.pk, f"{category.code} {category.name}"))
    return [("", blank), *groups.values()]


def active_categories():
    return Category.objects.filter(active=True).select_related("major").order_by("major__kind", "major__code", "code")


class GroupedCategoryField(forms.ModelChoiceField):
    """A category select grouped by major category, built from one query."""

    def __init__(self, *, blank: str, **kwargs) -> None:
        super().__init__(queryset=active_categories(), **kwargs)
        self.blank = blank

    def grouped(self) -> None:
        self.choices = category_choices(self.queryset, blank=self.blank)


class IntakeForm(forms.Form):
    """A report taken in by the command center or an inspector (上报)."""

    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Set the location: click the map or type the longitude and latitude.")},
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Set the location: click the map or type the longitude and latitude.")},
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    category = GroupedCategoryField(
        label=_("Category"),
        required=False,
        blank=_("— choose later, when filing —"),
        help_text=_("May be left for filing."),
    )
    # Set by the map when an asset (部件) is clicked: the case is about it (cases.services.case_report).
    asset = forms.ModelChoiceField(
        queryset=Case._meta.get_field("asset").related_model.objects.all(), required=False, widget=forms.HiddenInput
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    description = forms.CharField(
        label=_("Description"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=50, required=False)
    reporter_phone = forms.RegexField(
        label=_("Reporter's phone"),
        regex=r"^[0-9+\-() ]*$",
        max_length=30,
        required=False,
        error_messages={"invalid": _("A phone number has digits only (and spaces, +, - or brackets).")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("JPEG, PNG or WebP; up to 9. On a phone: take them with the camera."),
    )
    # Made when the page is rendered: a double click or a resent form takes in one case.
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, roles: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].grouped()
        held = set(roles)
        self.fields["source"].initial = (
            Source.INSPECTOR
            if Role.INSPECTOR in held
            else Source.PLACE_PATROL
            if Role.PLACE_CHIEF in held
            else Source.HOTLINE
        )
        if (allowed := report_sources(held)) is not None:  # a 三长: their own patrol, nothing else
            self.fields["source"].choices = [(source, Source(source).label) for source in allowed]


def _grid_choices() -> list:
    """Large grids, each followed by its community grids, as one <optgroup> per large grid."""
    grids = list(
        Grid.objects.filter(level__in=[Level.LARGE, Level.COMMUNITY])
        .only("id", "code", "name", "level", "parent_id")
        .order_by("code")
    )
    groups: dict[int, tuple[str, list]] = {}
    for grid in grids:
        if grid.level == Level.LARGE:
            groups[grid.pk] = (grid.name, [(grid.pk, _("%(name)s (whole large grid)") % {"name": grid.name})])
    orphans = []
    for grid in grids:
        if grid.level == Level.COMMUNITY:
            group = groups.get(grid.parent_id)
            (group[1] if group else orphans).append((grid.pk, grid.name))
    choices = [("", _("All grids")), *groups.values()]
    if orphans:
        choices.append((_("Community grids"), orphans))
    return choices


class CaseFilterForm(forms.Form):
    """The queue's filters (GET). Status is chosen with the tabs above the list."""

    OVERDUE_CHOICES = [("", _("Any")), ("yes", _("Overdue")), ("no", _("Not overdue"))]

    status = forms.ChoiceField(choices=[("", _("All")), *Status.choices], required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Tracking number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2026…"}),
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", _("Any")), *Urgency.choices], required=False)
    overdue = forms.ChoiceField(label=_("Deadline"), choices=OVERDUE_CHOICES, required=False)
    source = forms.ChoiceField(label=_("Source"), choices=[("", _("Any")), *Source.choices], required=False)
    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    center = forms.TypedChoiceField(label=_("Held by"), coerce=int, required=False, empty_value=None)
    reported_from = forms.DateField(
        label=_("Reported from"),
        required=False,
        validators=[validate_filter_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reported_to = forms.DateField(
        label=_("Reported until"),
        required=False,
        validators=[validate_filter_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(active_categories(), blank=_("All categories"))
        self.fields["grid"].choices = _grid_choices()
        centers = centers_known()
        if len(centers.names) > 1:  # 镇街三级: which center holds the case (上报 to the district, 交办 down)
            self.fields["center"].choices = [("", _("Any center")), *sorted(centers.names.items())]
        else:
            del self.fields["center"]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("reported_from"), data.get("reported_to")
        if start and end and start > end:
            self.add_error("reported_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The keyword arguments of cases.selectors.case_list, status left out (the tabs count by it).

        A field with an error is left out; the others still filter.
        """
        self.is_valid()
        data = self.cleaned_data
        overdue = {"yes": True, "no": False}.get(data.get("overdue") or "")
        return {
            "category_id": data.get("category"),
            "grid_id": data.get("grid"),
            "center_id": data.get("center"),
            "urgency": data.get("urgency") or None,
            "overdue": overdue,
            "source": data.get("source") or None,
            "reported_from": data.get("reported_from"),
            "reported_to": data.get("reported_to"),
            "tracking_number": (data.get("q") or "").strip(),
        }

    def api_params(self) -> dict:
        """The same filters as GET /api/cases/ (and the map's feed) takes them, status included."""
        data = self.cleaned_data if self.is_valid() or hasattr(self, "cleaned_data") else {}
        params = {
            "status": self.chosen_status,
            "q": self.tracking_number,
            "category": data.get("category"),
            "grid": data.get("grid"),
            "urgency": data.get("urgency"),
            "overdue": {"yes": "true", "no": "false"}.get(data.get("overdue") or ""),
            "source": data.get("source"),
            "reported_from": data["reported_from"].isoformat() if data.get("reported_from") else None,
            "reported_to": data["reported_to"].isoformat() if data.get("reported_to") else None,
        }
        return {key: value for key, value in params.items() if value not in (None, "")}

    @property
    def chosen_status(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("status") or ""

    @property
    def tracking_number(self) -> str:
        self.is_valid()
        return (self.cleaned_data.get("q") or "").strip()


class ActionForm(forms.Form):
    """One action on one case, as the case page, the queues and the task list offer it: its
    fields are those the action's row of cases.transitions declares (note, inputs, photos).

    `expected_status` is the status the page showed: if the case has moved on since,
    the service refuses and nothing changes. `request_id` makes a double click harmless.
    The fields check what a form can (so a message shows at its field); cases.services
    enforces every rule, in the same words.
    """

    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, transition: Transition, *args, categories=None, departments=None, people=None, inspectors=None, **kwargs
    ) -> None:
        self.transition = transition
        super().__init__(*args, **kwargs)
        choices = {"category": categories, "department": departments, "person": people, "inspector": inspectors}
        if transition.note is not None:
            self.fields["note"] = forms.CharField(
                label=transition.note.label,
                max_length=NOTE_MAX,
                required=transition.note.required,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": transition.note_required_message},
            )
        for spec in transition.inputs:
            field = INPUT_FIELDS[spec.kind](spec)
            if choices.get(spec.kind) is not None:  # choices the page built once for all its forms
                field.choices = (
                    [*field.choices[:1], *choices[spec.kind]] if spec.kind == "person" else choices[spec.kind]
                )
            self.fields[spec.name] = field
        if transition.photos is not None:
            spec = transition.photos
            self.fields["photos"] = PhotosField(
                label=spec.label,
                required=spec.min > 0,
                maximum=spec.max,
                error_messages={"required": spec.required_message},
            )
            self.fields["photos"].widget.attrs["capture"] = "environment"

    def params(self) -> dict:
        """Keyword arguments of cases.services.case_transition (besides case, actor, action)."""
        data = self.cleaned_data
        params = {
            "note": data.get("note", ""),
            "expected_status": data["expected_status"],
            "request_id": str(data["request_id"]),
        }
        for spec in self.transition.inputs:
            if data.get(spec.name) not in (None, ""):
                params[spec.name] = data[spec.name]
        if "unit" in params and "amount" not in params:
            del params["unit"]  # a select always says something: without an amount it means nothing
        if data.get("photos"):
            params["photos"] = data["photos"]
        return params


def _options(spec: Input) -> dict:
    """What every input's form field takes from the action's row: label, required, message."""
    return {"label": spec.label, "required": spec.required,
            "error_messages": {"required": spec.message} if spec.message else {}}  # fmt: skip


SATISFACTION_CHOICES = Satisfaction.choices
YES_NO_CHOICES = [("yes", _("Yes")), ("no", _("No"))]

# The form field of each kind of action input (cases.transitions.Input.kind).
INPUT_FIELDS = {
    "category": lambda spec: GroupedCategoryField(blank=_("— choose a category —"), **_options(spec)),
    "urgency": lambda spec: forms.ChoiceField(
        choices=[("", _("Unchanged")), *Urgency.choices], **_options(spec)
    ),
    "department": lambda spec: forms.ModelChoiceField(
        queryset=Department.objects.filter(active=True), empty_label=_("As the routing rules say"),
        **_options(spec),
    ),
    "amount": lambda spec: forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=6, decimal_places=2, **_options(spec)
    ),
    "unit": lambda spec: forms.ChoiceField(
        choices=LimitUnit.choices, initial=LimitUnit.WORKING_DAYS, **_options(spec)
    ),
    "deadline": lambda spec: forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        **_options(spec),
    ),
    "satisfaction": lambda spec: forms.ChoiceField(
        choices=SATISFACTION_CHOICES, widget=forms.RadioSelect, **_options(spec)
    ),
    "yes_no": lambda spec: forms.TypedChoiceField(
        choices=YES_NO_CHOICES, coerce=lambda v: v == "yes", widget=forms.RadioSelect, **_options(spec)
    ),
    "case": lambda spec: forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        **_options(spec),
    ),
    "order_unit": lambda spec: forms.ChoiceField(
        choices=[(u, LimitUnit(u).label) for u in (LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS)],
        initial=LimitUnit.WORKING_DAYS, **_options(spec),
    ),
    "order_department": lambda spec: forms.ModelChoiceField(
        queryset=Department.objects.filter(active=True), empty_label=_("The case's handling department"),
        **_options(spec),
    ),
    "person": lambda spec: PersonChoiceField(**_options(spec)),
    "inspector": lambda spec: PersonChoiceField(blank=_("The suggested inspector"), **_options(spec)),
}  # fmt: skip


class BatchForm(forms.Form):
    """One action on the cases selected in the queue (cases.services.case_batch): the action, a
    note, and the inputs of the offered actions (each shown with its action by static/js/queue.js).

    The selected cases come as `case` values "<id>:<status the page showed>", so a case that has
    moved on since the page was read is refused alone (stale), as a single action would be.
    """

    action = forms.ChoiceField(label=_("Action"))
    note = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    request_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, transitions: list[Transition], departments=None, categories=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.transitions = {t.action: t for t in transitions}
        self.fields["action"].choices = [("", _("— choose an action —")), *((t.action, t.label) for t in transitions)]
        self.inputs: dict[str, list[str]] = {}  # input name → the actions that take it
        for transition in transitions:
            for spec in transition.inputs:
                if spec.name not in self.fields:
                    field = INPUT_FIELDS[spec.kind](spec)
                    field.required = False  # needed by one action only: the service says so, in its words
                    choices = {"department": departments, "category": categories}.get(spec.kind)
                    if choices is not None:  # built once by the page, from the process's catalogue
                        field.choices = choices
                    self.fields[spec.name] = field
                self.inputs.setdefault(spec.name, []).append(transition.action)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("form", "batch-form")
            if name in self.inputs:
                field.widget.attrs["data-actions"] = " ".join(self.inputs[name])
        self.fields["note"].widget.attrs["data-actions"] = " ".join(t.action for t in transitions if t.note is not None)

    def selected(self) -> tuple[list[int], dict[int, str]]:
        """The selected cases' ids, in the page's order, and the status each showed."""
        ids, expected = [], {}
        for value in self.data.getlist("case") if hasattr(self.data, "getlist") else []:
            pk, _sep, status = str(value).partition(":")
            if pk.isdigit():
                ids.append(int(pk))
                if status in Status.values:
                    expected[int(pk)] = status
        return ids, expected

    def params(self) -> dict:
        """The chosen action's inputs (only those it takes), for case_batch."""
        transition = self.transitions[self.cleaned_data["action"]]
        return {
            spec.name: self.cleaned_data[spec.name]
            for spec in transition.inputs
            if self.cleaned_data.get(spec.name) not in (None, "")
        }


class PersonChoiceField(forms.TypedChoiceField):
    """A user named by id, from the choices the page built for the case (cases.supervision.answerer_choices);
    cleaned to the user."""

    def __init__(self, *, blank=None, **kwargs) -> None:
        blank = blank or _("— nobody in particular —")
        super().__init__(coerce=int, empty_value=None, choices=[("", blank)], **kwargs)

    def valid_value(self, value) -> bool:
        return str(value).isdigit()  # any id: the service checks the person may answer for the case

    def clean(self, value):
        pk = super().clean(value)
        if pk is None:
            return None
        user = get_user_model().objects.filter(pk=pk, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No such user."))
        return user
