"""Reading a period and a slice from query parameters, and who may see which slice.

Pages, exports and the API all parse their filters here, so the same URL means
the same figures everywhere. Bad input gives a clear message per parameter.
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, user_roles
from assessments.models import Basis
from assessments.selectors import PERIOD_KINDS, PERIOD_LABELS, Period, Slice
from campaigns.models import Campaign
from cases.models import Category, Department, Source
from cases.scope import SEES_ALL, town_centers_of
from config.limits import validate_filter_date
from grids.models import CommandCenter, Grid, Person
from grids.selectors import subtree_q

MAX_DAYS = 3 * 366 + 1


class AssessmentNotPermitted(Exception):
    pass


@dataclass(frozen=True)
class Scope:
    """What a user may see: everything (grids is None and departments is None), the subtrees of
    some grids, or some departments."""

    grids: list[Grid] | None
    departments: list[Department] | None
    centers: list[CommandCenter] | None = None  # a town center's staff: its territory, the default view

    @property
    def everything(self) -> bool:
        return self.grids is None and self.departments is None

    def allows_grid(self, grid: Grid) -> bool:
        if self.grids is None:
            return self.departments is None
        if not self.grids:
            return False
        inside = functools.reduce(operator.or_, (subtree_q(top) for top in self.grids))
        return Grid.objects.filter(inside, pk=grid.pk).exists()  # one query, not one per ancestor


def may_read_figures(user) -> bool:
    """Whether `user` holds a role that reads some figures (scope_for may still find no grid or
    department of theirs); from the roles alone, no query beyond them."""
    if getattr(user, "is_staff", False):
        return True
    return bool(set(user_roles(user)) & (SEES_ALL | {Role.GRID_CHIEF, Role.DEPARTMENT_HANDLER}))


def scope_for(user) -> Scope:
    """Those who see every case (cases.scope.SEES_ALL: leaders, the centre, inspectors) see all
    figures, or, working for a town center only, those of the grids it covers; a grid chief their grids' subtrees; a department its own figures."""
    if getattr(user, "is_staff", False):
        return Scope(None, None)
    roles = set(user_roles(user))
    if roles & SEES_ALL:
        towns = town_centers_of(user)
        if towns is None:
            return Scope(None, None)
        # The staff of a town center (镇街): the grids their centers cover, in their code order.
        grids = Grid.objects.filter(command_centers__in=towns).defer("boundary").distinct().order_by("code")
        return Scope(list(grids), None, list(CommandCenter.objects.filter(pk__in=towns).order_by("code")))
    if Role.GRID_CHIEF in roles:
        grids = list(Grid.objects.filter(chief__user=user).defer("boundary").order_by("level", "code"))
        if grids:
            # the highest-level grids first: district, large, community, micro
            order = {"district": 0, "large": 1, "community": 2, "micro": 3}
            return Scope(sorted(grids, key=lambda g: (order[g.level], g.code)), None)
    if Role.DEPARTMENT_HANDLER in roles:
        departments = list(user.departments.order_by("code"))
        if departments:
            return Scope(None, departments)
    raise AssessmentNotPermitted(_("Assessments are for leaders, the command centre, grid chiefs and departments."))


def whole_city_scope(user) -> Scope:
    """The city's own documents (the bulletin issues, the fund's allocation) are for those who see
    every figure: their scope, or AssessmentNotPermitted with the reason. The pages and the API
    both ask here, before they read anything."""
    scope = scope_for(user)
    if not scope.everything:
        raise AssessmentNotPermitted(
            _("The city's bulletin issues and fund allocation are for those who see the whole city's figures.")
        )
    return scope


class FilterForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=[(k, PERIOD_LABELS[k]) for k in PERIOD_KINDS], required=False
    )
    day = forms.DateField(
        label=gettext_lazy("Any day in the period"), required=False, validators=[validate_filter_date]
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False, validators=[validate_filter_date])
    end = forms.DateField(label=gettext_lazy("To"), required=False, validators=[validate_filter_date])
    grid = forms.ModelChoiceField(queryset=Grid.objects.defer("boundary"), required=False, label=gettext_lazy("Grid"))
    department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False,
                                        label=gettext_lazy("Department"),
                                        empty_label=gettext_lazy("All departments"))  # fmt: skip
    chief = forms.ModelChoiceField(queryset=Person.objects.all(), required=False, label=gettext_lazy("Chief"),
                                   empty_label=gettext_lazy("All chiefs"))  # fmt: skip
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False,
                                      label=gettext_lazy("Category"),
                                      empty_label=gettext_lazy("All categories"))  # fmt: skip
    source = forms.ChoiceField(choices=[("", gettext_lazy("All sources")), *Source.choices], required=False,
                               label=gettext_lazy("Source"))  # fmt: skip
    center = forms.ModelChoiceField(queryset=CommandCenter.objects.all(), required=False,
                                    label=gettext_lazy("Command center"),
                                    empty_label=gettext_lazy("All centers"))  # fmt: skip
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.all(), required=False,
                                      label=gettext_lazy("Campaign"),
                                      empty_label=gettext_lazy("All cases"))  # fmt: skip

    basis = forms.ChoiceField(
        label=gettext_lazy("Closure counted over"),
        choices=[("", gettext_lazy("As the city's settings say")), *Basis.choices],
        required=False,
    )

    def __init__(self, data, *, scope: Scope, default_kind: str = "month", now: datetime.datetime | None = None):
        if not (data or {}).get("period"):
            # Unchosen: the period shown is the default one, and the select must say so (not its first choice).
            data = data.copy() if hasattr(data, "copy") else dict(data or {})
            data["period"] = default_kind
        super().__init__(data)
        self.scope = scope
        self.default_kind = default_kind
        self.now = now or timezone.now()
        # The centers one may choose: every one for those who see the whole city; a town's own.
        centers = CommandCenter.objects.order_by("code")
        if scope.centers is not None:
            centers = centers.filter(pk__in=[c.pk for c in scope.centers])
        elif not scope.everything:
            centers = centers.none()
        self.fields["center"].queryset = centers
        self.fields["department"].queryset = (
            Department.objects.filter(pk__in=[d.pk for d in scope.departments])
            if scope.departments is not None
            else Department.objects.all()
        )

    def clean(self):
        data = super().clean()
        kind = data.get("period") or self.default_kind
        today = timezone.localdate(self.now)
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("A custom range needs both a start and an end date."))
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("A custom range can cover at most three years."))
            period = Period.custom(start, end)
        else:
            anchor = data.get("day") or data.get("start") or today
            period = Period.containing(kind, anchor)
        grid = data.get("grid")
        if grid is not None and not self.scope.allows_grid(grid):
            self.add_error("grid", _("This grid is outside your area."))
        center = data.get("center")
        if center is not None and self.scope.centers is not None and center not in self.scope.centers:
            self.add_error("center", _("This center is outside your area."))
        if center is not None and self.scope.centers is None and not self.scope.everything:
            self.add_error("center", _("This center is outside your area."))
        if grid is None and center is None and self.scope.centers:
            center = self.scope.centers[0]  # a town's staff: their town, all its grids
        elif grid is None and center is None and self.scope.grids:
            grid = self.scope.grids[0]
        department = data.get("department")
        if department is None and self.scope.departments:
            department = self.scope.departments[0]
        data["period_obj"] = period
        data["slice"] = Slice(
            grid=grid,
            department=department,
            chief=data.get("chief"),
            category=data.get("category"),
            source=data.get("source") or None,
            campaign=data.get("campaign"),
            basis=data.get("basis") or None,
            center=center,
        )
        return data


def parse(query, *, user, default_kind: str = "month", now: datetime.datetime | None = None):
    """(period, slice, scope) from query parameters, or raise forms.ValidationError / AssessmentNotPermitted."""
    scope = scope_for(user)
    form = FilterForm(query, scope=scope, default_kind=default_kind, now=now)
    if not form.is_valid():
        raise FilterError(form)
    return form.cleaned_data["period_obj"], form.cleaned_data["slice"], scope, form


class FilterError(Exception):
    def __init__(self, form: FilterForm):
        super().__init__("invalid filters")
        self.form = form

    @property
    def fields(self) -> dict[str, list[str]]:
        return {name: [str(e) for e in errors] for name, errors in self.form.errors.items()}

    @property
    def message(self) -> str:
        return "; ".join(f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
                         for name, errors in self.fields.items())  # fmt: skip
