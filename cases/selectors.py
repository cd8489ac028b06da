"""Reads of cases and their catalogue."""

from __future__ import annotations

from cases.models import Category, Department, RoutingRule
from grids.selectors import GridLocation


def department_for(*, category: Category, location: GridLocation | None) -> Department | None:
    """The department a case of `category` at `location` goes to.

    The routing rule for the deepest grid holding the case wins, then the
    city-wide rule, then the category's default department.
    """
    rules = {
        rule.grid_id: rule.department
        for rule in RoutingRule.objects.filter(category=category).select_related("department")
    }
    chain = location.chain if location is not None and location.inside else []
    for grid in chain:
        if grid.pk in rules:
            return rules[grid.pk]
    if None in rules:
        return rules[None]
    return category.default_department
