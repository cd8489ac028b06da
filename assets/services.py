"""Writes to the component inventory: import and export (GeoJSON or CSV), one asset edited by
hand, the import jobs of the admin, and census findings.

Import is all or nothing, like the grids' (grids.services.grid_import): every row is checked
first, and any problem raises AssetImportError naming each bad row (its number, its code and
the reason), with nothing written. A valid file is upserted by code in one transaction.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, LineString, MultiLineString, Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assets.models import (
    CLASS_DIGITS,
    CODE_LENGTH,
    DIVISION_DIGITS,
    FINDING_STATUS,
    Asset,
    AssetStatus,
    Census,
    CensusFinding,
    Finding,
    ImportJob,
)
from cases.models import Category, CategoryKind, Department
from config.errors import ApplicationError
from config.imports import ImportKind
from grids.selectors import grid_at_point

logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]

MAX_REPORTED_PROBLEMS = 200
GEOMETRY_TYPES = {"Point", "LineString", "MultiLineString"}
CSV_COLUMNS = ["code", "category", "name", "lon", "lat", "wkt", "owner", "maintainer", "status", "installed_on", "note"]


@dataclass(frozen=True)
class Problem:
    where: str  # "feature #3", "line 4"; empty: the file itself
    code: str
    reason: str

    def __str__(self) -> str:
        if not self.where:
            return self.reason
        head = f"{self.where} " + _("(code %(code)s)") % {"code": self.code} if self.code else self.where
        return f"{head}: {self.reason}"


class AssetImportError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Row:
    where: str
    code: str
    values: dict[str, Any]


# ---- checking one asset ----------------------------------------------------------------


def code_problem(code: str, category: Category | None) -> str | None:
    """Why `code` is not a standard asset code of `category`, or None.

    16 digits: the administrative division (6), the subcategory's own four digits (大类 + 小类,
    as the catalogue numbers them) and a serial number (6).
    """
    if len(code) != CODE_LENGTH or not code.isdigit():
        return _("an asset code has %(n)d digits: division (6), class (4), serial (6)") % {"n": CODE_LENGTH}
    if category is not None and code[DIVISION_DIGITS : DIVISION_DIGITS + CLASS_DIGITS] != category.code:
        return _("digits 7–10 of the code must be the subcategory's code %(class)s") % {"class": category.code}
    return None


def map_point(geometry: GEOSGeometry) -> Point:
    """Where an asset is drawn and located: the point itself, or the middle of a line."""
    if isinstance(geometry, Point):
        point = Point(geometry.x, geometry.y, srid=4326)
    elif isinstance(geometry, LineString):
        point = geometry.interpolate_normalized(0.5)
    else:
        point = geometry.point_on_surface
    point.srid = 4326
    return point


def _geometry(value: Any) -> GEOSGeometry:
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        raise ValueError(_("the location must be a Point, LineString or MultiLineString"))
    coords = value.get("coordinates")
    try:
        if value["type"] == "Point":
            geometry = Point(*[float(c) for c in coords[:2]])
        elif value["type"] == "LineString":
            geometry = LineString([tuple(map(float, c[:2])) for c in coords])
        else:
            geometry = MultiLineString([LineString([tuple(map(float, c[:2])) for c in line]) for line in coords])
    except (TypeError, IndexError, ValueError, GEOSException):
        raise ValueError(_("malformed %(type)s coordinates") % {"type": value["type"]}) from None
    geometry.srid = 4326
    return geometry


def _csv_geometry(row: dict[str, str]) -> GEOSGeometry:
    wkt = (row.get("wkt") or "").strip()
    if wkt:
        try:
            geometry = GEOSGeometry(wkt, srid=4326)
        except (GEOSException, ValueError, TypeError):
            raise ValueError(_("the wkt column is not a valid geometry")) from None
        if geometry.geom_type not in GEOMETRY_TYPES:
            raise ValueError(_("the location must be a Point, LineString or MultiLineString"))
        return geometry
    try:
        return Point(float(row.get("lon") or ""), float(row.get("lat") or ""), srid=4326)
    except ValueError:
        raise ValueError(_("give lon and lat (WGS84 degrees), or a wkt geometry")) from None


class _Catalogue:
    """The component subcategories and the departments, read once per import."""

    def __init__(self) -> None:
        self.categories = {
            c.code: c for c in Category.objects.filter(major__kind=CategoryKind.COMPONENT).select_related("major")
        }
        self.departments: dict[str, Department] = {}
        for department in Department.objects.all():
            self.departments[department.code] = department
            self.departments[department.short_name] = department

    def category(self, code: str, given: str) -> Category:
        digits = code[DIVISION_DIGITS : DIVISION_DIGITS + CLASS_DIGITS]
        wanted = given.strip().upper().removeprefix("C") if given.strip() else digits
        if given.strip().upper().startswith("E"):
            raise ValueError(_("%(category)s is an event, not a component") % {"category": given})
        category = self.categories.get(wanted)
        if category is None:
            raise ValueError(_("no component subcategory %(category)s in the catalogue") % {"category": wanted})
        return category


def _values(raw: dict[str, Any], geometry: GEOSGeometry, code: str, catalogue: _Catalogue) -> dict[str, Any]:
    """The fields of one asset from one row of the file; raises ValueError naming what is wrong."""
    if problem := code_problem(code, None):
        raise ValueError(problem)
    category = catalogue.category(code, str(raw.get("category") or ""))
    problem = code_problem(code, category)
    if problem:
        raise ValueError(problem)
    status = str(raw.get("status") or AssetStatus.IN_SERVICE).strip()
    if status not in AssetStatus.values:
        raise ValueError(
            _("status must be one of %(values)s, got %(value)r")
            % {"values": ", ".join(AssetStatus.values), "value": status}
        )
    maintainer_name = str(raw.get("maintainer") or "").strip()
    maintainer = catalogue.departments.get(maintainer_name) if maintainer_name else None
    if maintainer_name and maintainer is None:
        raise ValueError(_("no department %(name)r (give its code or short name)") % {"name": maintainer_name})
    installed = str(raw.get("installed_on") or "").strip()
    try:
        installed_on = datetime.date.fromisoformat(installed) if installed else None
    except ValueError:
        raise ValueError(_("installed_on must be a date YYYY-MM-DD, got %(value)r") % {"value": installed}) from None
    point = map_point(geometry)
    location = grid_at_point(point=point)
    if not location.inside:
        raise ValueError(_("lies outside the city's grids"))
    return {
        "category": category,
        "name": str(raw.get("name") or "").strip()[:100],
        "geometry": geometry,
        "point": point,
        "micro_grid": location.micro,
        "owner": str(raw.get("owner") or "").strip()[:100],
        "maintainer": maintainer,
        "status": status,
        "installed_on": installed_on,
        "note": str(raw.get("note") or "").strip()[:200],
    }


# ---- reading a file ---------------------------------------------------------------------


def _raw_rows(data: str | bytes | dict, fmt: str) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, properties, geometry or an exception) per row of the file."""
    if fmt == "csv":
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else str(data).lstrip("\ufeff")
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "code" not in [name.strip() for name in reader.fieldnames]:
            raise AssetImportError([Problem("", "", _("the CSV file needs a header line with a code column"))])
        rows = []
        for line, row in enumerate(reader, start=2):
            row = {(key or "").strip(): (value or "") for key, value in row.items()}
            try:
                geometry = _csv_geometry(row)
            except ValueError as exc:
                geometry = exc
            rows.append((_("line %(n)d") % {"n": line}, row, geometry))
        return rows
    if not isinstance(data, dict):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AssetImportError(
                [Problem("", "", _("the file is not valid JSON: %(error)s") % {"error": exc})]
            ) from None
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise AssetImportError([Problem("", "", _("the file is not a GeoJSON FeatureCollection"))])
    rows = []
    for index, feature in enumerate(data["features"], start=1):
        where = _("feature #%(index)d") % {"index": index}
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            rows.append((where, {}, ValueError(_("not a feature with properties"))))
            continue
        try:
            geometry = _geometry(feature.get("geometry"))
        except ValueError as exc:
            geometry = exc
        rows.append((where, props, geometry))
    return rows


def _checked(data: str | bytes | dict, fmt: str, report: Progress) -> list[_Row]:
    raw_rows = _raw_rows(data, fmt)
    report(0, len(raw_rows), "check")
    catalogue = _Catalogue()
    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for n, (where, props, geometry) in enumerate(raw_rows, start=1):
        code = str(props.get("code") or "").strip()
        if not code:
            problems.append(Problem(where, "", _("missing code")))
        elif code in seen:
            problems.append(Problem(where, code, _("duplicate code (also %(other)s)") % {"other": seen[code]}))
        elif isinstance(geometry, Exception):
            problems.append(Problem(where, code, str(geometry)))
        else:
            seen[code] = where
            try:
                rows.append(_Row(where, code, _values(props, geometry, code, catalogue)))
            except ValueError as exc:
                problems.append(Problem(where, code, str(exc)))
        if n % 200 == 0:
            report(n, len(raw_rows), "check")
    if problems:
        raise AssetImportError(problems[:MAX_REPORTED_PROBLEMS])
    if not rows:
        raise AssetImportError([Problem("", "", _("the file holds no assets"))])
    return rows


def asset_import(*, data: str | bytes | dict, fmt: str = "geojson", progress: Progress | None = None) -> ImportSummary:
    """Import assets from a GeoJSON FeatureCollection or a CSV file (`fmt`); all or nothing.

    Raises AssetImportError listing every bad row; writes nothing then. Assets whose code
    exists are updated, the others created; assets not in the file are left as they are.
    """
    if fmt not in ImportJob.Format.values:
        raise ValueError(f"unknown format {fmt!r}")
    report = progress or (lambda done, total, stage: None)
    rows = _checked(data, fmt, report)
    summary = ImportSummary()
    fields = ["category", "name", "geometry", "point", "micro_grid", "owner", "maintainer", "status",
              "installed_on", "note", "updated_at"]  # fmt: skip
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            existing = {a.code: a for a in Asset.objects.filter(code__in=[row.code for row in batch])}
            creates, updates = [], []
            for row in batch:
                asset = existing.get(row.code)
                if asset is None:
                    creates.append(Asset(code=row.code, updated_at=now, **row.values))
                else:
                    for key, value in row.values.items():
                        setattr(asset, key, value)
                    asset.updated_at = now
                    updates.append(asset)
            Asset.objects.bulk_create(creates)
            if updates:
                Asset.objects.bulk_update(updates, fields)
            summary.created += len(creates)
            summary.updated += len(updates)
            report(start + len(batch), len(rows), "write")
    return summary


# ---- export ---------------------------------------------------------------------------------


def _rounded(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return round(value, 7)


def _properties(asset: Asset) -> dict[str, Any]:
    return {
        "code": asset.code,
        "category": asset.category.full_code,
        "name": asset.name,
        "owner": asset.owner,
        "maintainer": asset.maintainer.code if asset.maintainer_id else "",
        "status": asset.status,
        "installed_on": asset.installed_on.isoformat() if asset.installed_on else "",
        "note": asset.note,
    }


def _exported(assets: Iterable[Asset] | None) -> Iterable[Asset]:
    if assets is None:
        return Asset.objects.select_related("category__major", "maintainer").order_by("code").iterator(chunk_size=2000)
    return assets


def asset_export(*, assets: Iterable[Asset] | None = None) -> dict:
    """A FeatureCollection that asset_import reads back unchanged."""
    features = []
    for asset in _exported(assets):
        geometry = {
            "type": asset.geometry.geom_type,
            "coordinates": _rounded(json.loads(asset.geometry.json)["coordinates"]),
        }
        features.append({"type": "Feature", "properties": _properties(asset), "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def asset_export_csv(*, assets: Iterable[Asset] | None = None) -> str:
    """CSV that asset_import reads back unchanged: lon and lat for a point, wkt for a line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for asset in _exported(assets):
        row = _properties(asset)
        if asset.geometry.geom_type == "Point":
            row.update(lon=round(asset.geometry.x, 7), lat=round(asset.geometry.y, 7), wkt="")
        else:
            row.update(lon="", lat="", wkt=asset.geometry.wkt)
        writer.writerow(row)
    return out.getvalue()


# ---- one asset by hand (the admin) -----------------------------------------------------------


def asset_problems(*, asset: Asset) -> dict[str, str]:
    """What is wrong with an asset edited by hand, per field (empty: nothing): a component
    subcategory, a code of its class, a point or line inside the city's grids."""
    category = asset.category if asset.category_id else None
    if category is not None and category.major.kind != CategoryKind.COMPONENT:
        return {"category": _("An asset is a component: choose a component subcategory.")}
    if problem := code_problem(asset.code or "", category):
        return {"code": problem}
    if asset.geometry is None:
        return {}
    if asset.geometry.geom_type not in GEOMETRY_TYPES:
        return {"geometry": _("the location must be a Point, LineString or MultiLineString")}
    asset.geometry.srid = asset.geometry.srid or 4326
    if not grid_at_point(point=map_point(asset.geometry)).inside:
        return {"geometry": _("lies outside the city's grids")}
    return {}


def asset_save(*, asset: Asset) -> Asset:
    """Save an asset edited by hand (asset_problems refuses with a ValidationError): its map point
    and micro grid kept in step with its location."""
    if problems := asset_problems(asset=asset):
        raise ValidationError(problems)
    asset.point = map_point(asset.geometry)
    asset.micro_grid = grid_at_point(point=asset.point).micro
    asset.full_clean()
    asset.save()
    return asset


# ---- import jobs (the admin's upload) ----------------------------------------------------------

# Run by assets.tasks.run_import_job (config.imports: create, run once, progress).
ASSET_IMPORTS = ImportKind(
    model=ImportJob,
    task="assets.tasks.run_import_job",
    run=lambda job, progress: asset_import(data=job.payload, fmt=job.format, progress=progress),
    error=AssetImportError,
    audit_action="assets.imported",
)


# ---- census (专项普查) -------------------------------------------------------------------------


class CensusError(ApplicationError):
    """A census finding that cannot be recorded (the API answers 400)."""


def census_record(
    *, census: Census, asset: Asset, finding: str, actor, note: str = "", now: datetime.datetime | None = None
) -> CensusFinding:
    """Record what was found of `asset` during `census` (the latest word counts) and set the
    asset's status from it: found → in service, damaged, missing. Raises CensusError."""
    from assets.selectors import census_assets

    now = now or timezone.now()
    if finding not in Finding.values:
        raise CensusError(_("Unknown finding %(finding)r.") % {"finding": finding})
    today = timezone.localdate(now)
    if not census.starts_on <= today <= census.ends_on:
        raise CensusError(
            _("The census runs from %(start)s to %(end)s.") % {"start": census.starts_on, "end": census.ends_on}
        )
    if not census_assets(census=census).filter(pk=asset.pk).exists():
        raise CensusError(_("Asset %(code)s is not part of this census.") % {"code": asset.code})
    with transaction.atomic():
        row, _created = CensusFinding.objects.update_or_create(
            census=census,
            asset=asset,
            defaults={"finding": finding, "note": note.strip()[:200], "recorded_by": actor, "recorded_at": now},
        )
        Asset.objects.filter(pk=asset.pk).update(status=FINDING_STATUS[finding], checked_at=now, updated_at=now)
    return row
