"""Writes to the gazetteer: import from GeoJSON or CSV, all or nothing, upsert by code.

Every row is checked first; any problem raises GazetteerImportError listing each bad row
(`feature #N (code X): reason` or `row N (code X): reason`) with nothing written. The pinyin
keys of every name are computed here, once, so that a search is an indexed lookup.

The admin's upload is a job a worker runs (GAZETTEER_IMPORTS, config.imports: the job row,
its progress, its audit); the command `import_gazetteer` audits its own runs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import ApplicationError
from config.imports import ImportKind, Progress
from gazetteer.models import Entry, EntryKind, ImportJob, Parity
from gazetteer.pinyin import pinyin_keys

MAX_REPORTED_PROBLEMS = 200
WRITE_BATCH = 500
GEOMETRY_TYPES = {
    EntryKind.STREET: {"LineString", "MultiLineString"},
    EntryKind.BUILDING: {"Point"},
    EntryKind.POI: {"Point"},
}
FIELDS = ["kind", "name", "pinyin", "initials", "street", "number", "number_from", "number_to", "parity", "geometry"]


class GazetteerImportError(ApplicationError):
    code = "gazetteer_import_refused"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            _("Nothing was imported. %(count)d problem(s):") % {"count": len(problems)} + "\n" + "\n".join(problems)
        )


@dataclass
class GazetteerSummary:
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _where(kind: str, index: int, code: str) -> str:
    where = (_("feature #%(index)d") if kind == "geojson" else _("row %(index)d")) % {"index": index}
    return f"{where} " + _("(code %(code)s)") % {"code": code} if code else where


def _number(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(_("%(name)s must be a whole number, got %(value)r") % {"name": name, "value": value}) from None
    if number < 1:
        raise ValueError(_("%(name)s must be 1 or more") % {"name": name})
    return number


def _geometry_from(value: Any) -> GEOSGeometry:
    if value in (None, ""):
        raise ValueError(_("missing geometry"))
    try:
        geom = GEOSGeometry(value if isinstance(value, str) else json.dumps(value))
    except (GEOSException, GDALException, ValueError, TypeError):
        raise ValueError(_("malformed geometry")) from None
    if geom.srid not in (None, 4326):
        raise ValueError(_("the geometry must be in WGS84 longitude/latitude (EPSG:4326)"))
    geom.srid = 4326
    if geom.empty or not geom.valid:
        raise ValueError(_("invalid geometry"))
    minx, miny, maxx, maxy = geom.extent
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError(_("coordinates out of range: longitude first, then latitude, in degrees"))
    return geom


def _entry(props: dict, geometry: Any) -> Entry:
    """An unsaved Entry from one row's values, or ValueError naming what is wrong."""
    name = str(props.get("name") or "").strip()
    if not name:
        raise ValueError(_("missing name"))
    kind = str(props.get("kind") or "").strip()
    if kind not in EntryKind.values:
        raise ValueError(_("unknown kind %(kind)r (expected street, building or poi)") % {"kind": kind})
    geom = _geometry_from(geometry)
    if geom.geom_type not in GEOMETRY_TYPES[kind]:
        raise ValueError(
            _("a %(kind)s must be drawn as %(types)s, not %(type)s")
            % {"kind": kind, "types": " / ".join(sorted(GEOMETRY_TYPES[kind])), "type": geom.geom_type}
        )
    street = str(props.get("street") or "").strip()
    number = str(props.get("number") or "").strip().removesuffix("号")
    first = _number(props.get("number_from"), "number_from")
    last = _number(props.get("number_to"), "number_to")
    parity = str(props.get("parity") or Parity.ALL).strip()
    if parity not in Parity.values:
        raise ValueError(_("parity must be all, odd or even, not %(value)r") % {"value": parity})
    if kind == EntryKind.STREET:
        if (first is None) != (last is None):
            raise ValueError(_("a street's door numbers need both number_from and number_to"))
        if first is not None and first > last:
            raise ValueError(_("number_from is greater than number_to"))
        street = street or name
    elif first is not None or last is not None:
        raise ValueError(_("only a street has a range of door numbers"))
    if number and not street:
        raise ValueError(_("a door number needs its street"))
    full, initials = pinyin_keys(name)
    return Entry(
        kind=kind,
        name=name[:100],
        pinyin=full[:300],
        initials=initials[:100],
        street=street[:100],
        number=number[:20],
        number_from=first,
        number_to=last,
        parity=parity,
        geometry=geom,
    )


def _rows_geojson(data: Any) -> tuple[list[tuple[int, str, dict, Any]], list[str]]:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        return [], [_("the file is not a GeoJSON FeatureCollection")]
    rows = []
    for index, feature in enumerate(data["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            rows.append((index, "", {}, None))
            continue
        rows.append((index, str(props.get("code") or "").strip(), props, feature.get("geometry")))
    return rows, []


def _rows_csv(text: str) -> tuple[list[tuple[int, str, dict, Any]], list[str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = set(reader.fieldnames or [])
    missing = {"code", "kind", "name"} - columns
    if missing or not ({"lon", "lat"} <= columns or "wkt" in columns):
        needed = sorted(missing) + ([] if {"lon", "lat"} <= columns or "wkt" in columns else ["lon + lat or wkt"])
        return [], [_("missing columns: %(columns)s") % {"columns": ", ".join(needed)}]
    rows = []
    for line, row in enumerate(reader, start=2):
        row = {key: (value or "").strip() for key, value in row.items() if key}
        geometry: Any = row.get("wkt") or None
        if not geometry and (row.get("lon") or row.get("lat")):
            try:
                geometry = Point(float(row["lon"]), float(row["lat"]), srid=4326).ewkt
            except (TypeError, ValueError):
                geometry = "not a point"
        rows.append((line, row.get("code", ""), row, geometry))
    return rows, []


def gazetteer_import(
    *, data: str | bytes | dict, format: str = "geojson", progress: Progress | None = None
) -> GazetteerSummary:
    """Import gazetteer entries from GeoJSON (`format="geojson"`) or CSV (`format="csv"`): all or
    nothing, upserted by code. Raises GazetteerImportError listing every bad row. `progress` is
    told (done, total, "check") while the rows are checked, then (done, total, "write")."""
    report = progress or (lambda done, total, stage: None)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise GazetteerImportError([_("the file is not UTF-8 text")]) from None
    if format == "geojson":
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise GazetteerImportError([_("the file is not valid JSON: %(error)s") % {"error": exc}]) from None
        rows, problems = _rows_geojson(data)
    elif format == "csv":
        rows, problems = _rows_csv(data if isinstance(data, str) else "")
    else:
        raise GazetteerImportError([_("unknown file format %(format)r") % {"format": format}])
    if problems:
        raise GazetteerImportError(problems)
    entries: dict[str, Entry] = {}
    seen: dict[str, int] = {}
    report(0, len(rows), "check")
    for n, (index, code, props, geometry) in enumerate(rows, start=1):
        if n % 200 == 0:
            report(n, len(rows), "check")
        where = _where(format, index, code)
        if not props:
            problems.append(f"{where}: " + _("not a feature with properties"))
            continue
        if not code:
            problems.append(f"{where}: " + _("missing code"))
            continue
        if len(code) > 40:
            problems.append(f"{where}: " + _("code longer than 40 characters"))
            continue
        if code in seen:
            problems.append(
                f"{where}: " + _("duplicate code (also %(other)s)") % {"other": _where(format, seen[code], "")}
            )
            continue
        seen[code] = index
        try:
            entries[code] = _entry(props, geometry)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise GazetteerImportError(problems[:MAX_REPORTED_PROBLEMS])
    if not entries:
        raise GazetteerImportError([_("the file holds no entries")])
    summary = GazetteerSummary()
    with transaction.atomic():
        existing = {}
        codes = sorted(entries)
        for start in range(0, len(codes), 2000):
            existing.update(Entry.objects.in_bulk(codes[start : start + 2000], field_name="code"))
        creates, updates = [], []
        for code, entry in entries.items():
            old = existing.get(code)
            if old is None:
                entry.code = code
                creates.append(entry)
            else:
                for name in FIELDS:
                    setattr(old, name, getattr(entry, name))
                updates.append(old)
        for start in range(0, len(creates), WRITE_BATCH):
            Entry.objects.bulk_create(creates[start : start + WRITE_BATCH])
            report(min(start + WRITE_BATCH, len(creates)), len(entries), "write")
        for start in range(0, len(updates), WRITE_BATCH):
            Entry.objects.bulk_update(updates[start : start + WRITE_BATCH], FIELDS)
            report(len(creates) + min(start + WRITE_BATCH, len(updates)), len(entries), "write")
        summary.created, summary.updated = len(creates), len(updates)
    return summary


# ---- import jobs (the admin's upload) ----------------------------------------------------------

# Run by gazetteer.tasks.run_import_job (config.imports: create, run once, progress, audit).
GAZETTEER_IMPORTS = ImportKind(
    model=ImportJob,
    task="gazetteer.tasks.run_import_job",
    run=lambda job, progress: gazetteer_import(data=job.payload, format=job.format, progress=progress),
    error=GazetteerImportError,
    audit_action="gazetteer.imported",
)
