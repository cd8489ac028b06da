"""Loading the case catalogue and the departments from CSV (the shipped fixture or a city's own).

The catalogue may carry each region class's own limits (columns `limit[<class code>]` …);
a class whose columns are blank on a row has no limits of its own for that subcategory.

Both loads are all or nothing and upsert by code, so running them again
changes nothing. The CSV columns are described in cases/data/README.md.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import (
    Category,
    CategoryClassLimit,
    CategoryKind,
    Department,
    LimitUnit,
    MajorCategory,
    PublicCategory,
)
from grids.models import RegionClass

DATA = Path(__file__).resolve().parent / "data"
PUBLIC_BY_NAME = {
    "环境卫生": PublicCategory.SANITATION,
    "市容秩序": PublicCategory.STREET_ORDER,
    "违法建设": PublicCategory.ILLEGAL_CONSTRUCTION,
    "市政设施": PublicCategory.MUNICIPAL,
    "园林绿化": PublicCategory.GREENERY,
    "宣传广告": PublicCategory.ADVERTISING,
}
# Emergencies dispatch at once; the chief is told, not asked.
NO_APPROVAL_MAJORS = {(CategoryKind.EVENT, "04")}
# Optional columns with a region class's own limits: `limit[1]`, `limit_unit[1]`,
# `urgent_limit[1]`, `urgent_unit[1]` for the class whose code is 1 (cases/data/README.md).
CLASS_COLUMN = re.compile(r"^(limit|limit_unit|urgent_limit|urgent_unit)\[(.+)\]$")
CLASS_FIELDS = ("limit", "limit_unit", "urgent_limit", "urgent_unit")


class CatalogueError(Exception):
    pass


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0


def _rows(text: str, required: set[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise CatalogueError(_("missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))})
    return [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]


def departments_load(*, text: str | None = None) -> LoadSummary:
    """Create or update departments from CSV (code, short_name, name)."""
    text = text if text is not None else (DATA / "departments.csv").read_text(encoding="utf-8")
    rows = _rows(text, {"code", "short_name", "name"})
    summary = LoadSummary()
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            if not row["code"] or not row["short_name"] or not row["name"]:
                raise CatalogueError(_("line %(line)d: code, short_name and name are required") % {"line": line})
            _obj, created = Department.objects.update_or_create(
                code=row["code"], defaults={"short_name": row["short_name"], "name": row["name"]}
            )
            summary.created += created
            summary.updated += not created
    return summary


def _decimal(value: str, line: int, column: str) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CatalogueError(
            _("line %(line)d: %(column)s must be a number, got %(value)r")
            % {"line": line, "column": column, "value": value}
        ) from None
    if number <= 0:
        raise CatalogueError(_("line %(line)d: %(column)s must be positive") % {"line": line, "column": column})
    return number


def _class_columns(fieldnames: list[str]) -> dict[str, RegionClass]:
    """The region classes the file has columns for, by code; an unknown class is an error."""
    codes = []
    for name in fieldnames:
        match = CLASS_COLUMN.match(name.strip())
        if match and match.group(2) not in codes:
            codes.append(match.group(2))
        elif "[" in name and not match:
            raise CatalogueError(
                _(
                    "column %(column)r: a region class's column is limit[…], limit_unit[…], urgent_limit[…] or urgent_unit[…]"
                )
                % {"column": name}
            )
    classes = RegionClass.objects.in_bulk(codes, field_name="code")
    unknown = [code for code in codes if code not in classes]
    if unknown:
        raise CatalogueError(
            _("unknown region class %(codes)s in the column names (the classes are: %(known)s)")
            % {
                "codes": ", ".join(unknown),
                "known": ", ".join(RegionClass.objects.values_list("code", flat=True)) or "—",
            }
        )
    return classes


def _class_limits(category: Category, row: dict[str, str], classes: dict[str, RegionClass], line: int) -> None:
    """Write the category's limits in each class the file has columns for (blank: none of its own)."""
    for code, region_class in classes.items():
        values = {name: row.get(f"{name}[{code}]", "") for name in CLASS_FIELDS}
        if not any(values.values()):
            CategoryClassLimit.objects.filter(category=category, region_class=region_class).delete()
            continue
        for unit_column in ("limit_unit", "urgent_unit"):
            if values[unit_column] and values[unit_column] not in LimitUnit.values:
                raise CatalogueError(
                    _("line %(line)d: unknown time unit %(unit)r in %(column)s")
                    % {"line": line, "unit": values[unit_column], "column": f"{unit_column}[{code}]"}
                )
        limit = _decimal(values["limit"], line, f"limit[{code}]")
        urgent = _decimal(values["urgent_limit"], line, f"urgent_limit[{code}]")
        if limit is None and urgent is None:
            raise CatalogueError(
                _("line %(line)d: a unit without a time limit for region class %(code)s") % {"line": line, "code": code}
            )
        CategoryClassLimit.objects.update_or_create(
            category=category,
            region_class=region_class,
            defaults={
                # A unit left blank is the unit of the class-less limit for the same urgency.
                "limit": limit,
                "limit_unit": (values["limit_unit"] or category.limit_unit) if limit is not None else "",
                "urgent_limit": urgent,
                "urgent_unit": (values["urgent_unit"] or category.urgent_unit or category.limit_unit)
                if urgent is not None
                else "",
            },
        )


def catalogue_load(*, text: str | None = None) -> LoadSummary:
    """Create or update major categories and subcategories from the catalogue CSV."""
    text = text if text is not None else (DATA / "catalogue.csv").read_text(encoding="utf-8")
    required = {
        "kind", "major_code", "major_name", "minor_code", "minor_name", "filing_condition", "limit",
        "limit_unit", "urgent_limit", "urgent_unit", "closing_condition", "default_department", "public_category",
    }  # fmt: skip
    rows = _rows(text, required)
    fieldnames = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    classes = _class_columns(fieldnames)
    departments = {department.short_name: department for department in Department.objects.all()}
    summary = LoadSummary()
    with transaction.atomic():
        majors: dict[tuple[str, str], MajorCategory] = {}
        for line, row in enumerate(rows, start=2):
            kind = row["kind"]
            if kind not in CategoryKind.values:
                raise CatalogueError(_("line %(line)d: unknown kind %(kind)r") % {"line": line, "kind": kind})
            for unit_column in ("limit_unit", "urgent_unit"):
                if row[unit_column] and row[unit_column] not in LimitUnit.values:
                    raise CatalogueError(
                        _("line %(line)d: unknown time unit %(unit)r") % {"line": line, "unit": row[unit_column]}
                    )
            limit = _decimal(row["limit"], line, "limit")
            if limit is None or not row["limit_unit"]:
                raise CatalogueError(_("line %(line)d: a time limit and its unit are required") % {"line": line})
            department = departments.get(row["default_department"]) if row["default_department"] else None
            if row["default_department"] and department is None:
                raise CatalogueError(
                    _("line %(line)d: unknown department %(name)r") % {"line": line, "name": row["default_department"]}
                )
            public = PUBLIC_BY_NAME.get(row["public_category"], "")
            if row["public_category"] and not public:
                raise CatalogueError(
                    _("line %(line)d: unknown public category %(name)r")
                    % {"line": line, "name": row["public_category"]}
                )
            key = (kind, row["major_code"])
            if key not in majors:
                majors[key], _created = MajorCategory.objects.update_or_create(
                    kind=kind, code=row["major_code"], defaults={"name": row["major_name"]}
                )
            category, created = Category.objects.update_or_create(
                major=majors[key],
                code=row["minor_code"],
                defaults={
                    "name": row["minor_name"],
                    "filing_condition": row["filing_condition"],
                    "closing_condition": row["closing_condition"],
                    "default_department": department,
                    "limit": limit,
                    "limit_unit": row["limit_unit"],
                    "urgent_limit": _decimal(row["urgent_limit"], line, "urgent_limit"),
                    "urgent_unit": row["urgent_unit"],
                    "public_category": public,
                    "needs_approval": key not in NO_APPROVAL_MAJORS,
                },
            )
            _class_limits(category, row, classes, line)
            summary.created += created
            summary.updated += not created
    return summary
