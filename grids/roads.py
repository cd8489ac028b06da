"""Roads (路长制) as GeoJSON: import, all or nothing with every problem named, and export, in the
format docs/GEOJSON.md describes ("Roads"). Export writes exactly what import reads.

A feature with a `road` property is a road (a line that may cross many grids, with its road chief
路长 and level); one with a `segment` property is a segment of the road its `road` names, with its
order along it, its city manager (城市管理员), its inspector (监督员) and the 四包 duties.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from grids.geo import buffer_m
from grids.models import FOUR_DUTIES, Person, Road, RoadLevel, RoadSegment
from grids.services import Problem

ROAD_GEOMETRY_TYPES = {"LineString", "MultiLineString"}
DEFAULT_SEGMENT_REACH_M = 20.0
MAX_SEGMENT_REACH_M = 200.0


class RoadImportError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class RoadImportSummary:
    roads_created: int = 0
    roads_updated: int = 0
    segments_created: int = 0
    segments_updated: int = 0
    people_created: int = 0


def _geometry(feature: dict, allowed: set[str]) -> tuple[GEOSGeometry | None, str | None]:
    raw = feature.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in allowed:
        return None, _("geometry must be one of %(types)s") % {"types": ", ".join(sorted(allowed))}
    try:
        geometry = GEOSGeometry(json.dumps(raw), srid=4326)
    except (GEOSException, ValueError, TypeError):
        return None, _("malformed geometry")
    if geometry.empty or not geometry.valid:
        return None, _("invalid geometry")
    return geometry, None


def road_import(*, data: dict) -> RoadImportSummary:
    """Upsert the roads and segments of a FeatureCollection by code. The whole file is checked
    first; any problem raises RoadImportError listing every one, and nothing is written."""
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise RoadImportError([Problem(0, "", _("The file is not a GeoJSON FeatureCollection."))])
    problems: list[Problem] = []
    roads: dict[str, dict] = {}
    segments: dict[str, dict] = {}
    for index, feature in enumerate(features, start=1):
        props = (feature.get("properties") or {}) if isinstance(feature, dict) else {}
        is_road = "road" in props and "segment" not in props
        code = str(props.get("segment") or props.get("road") or "").strip()
        if not code:
            problems.append(Problem(index, "", _("a road needs `road`, a segment `segment` (its code)")))
            continue
        if not str(props.get("name") or "").strip():
            problems.append(Problem(index, code, _("missing name")))
        if is_road:
            geometry, error = _geometry(feature, ROAD_GEOMETRY_TYPES)
            level = props.get("level") or RoadLevel.SECOND
            if level not in RoadLevel.values:
                problems.append(
                    Problem(index, code, _("level must be first or second, not %(level)r") % {"level": level})
                )
            if code in roads:
                problems.append(Problem(index, code, _("duplicate road code")))
            roads[code] = {"index": index, "props": props, "geometry": geometry, "level": level}
        else:
            geometry, error = _geometry(feature, {"LineString"})
            try:
                seq = int(props.get("seq"))
                if seq < 1:
                    raise ValueError
            except (TypeError, ValueError):
                seq = None
                problems.append(Problem(index, code, _("seq must be a whole number from 1 (the order along the road)")))
            try:
                reach = float(props.get("reach_m", DEFAULT_SEGMENT_REACH_M))
                if not 0 < reach <= MAX_SEGMENT_REACH_M:
                    raise ValueError
            except (TypeError, ValueError):
                reach = DEFAULT_SEGMENT_REACH_M
                problems.append(Problem(index, code, _("reach_m must be a number above 0 and at most 200")))
            duties = props.get("duties") or {}
            if not isinstance(duties, dict) or set(duties) - set(FOUR_DUTIES):
                problems.append(
                    Problem(index, code, _("duties may only name %(keys)s") % {"keys": ", ".join(FOUR_DUTIES)})
                )
                duties = {}
            if code in segments:
                problems.append(Problem(index, code, _("duplicate segment code")))
            segments[code] = {
                "index": index, "props": props, "geometry": geometry, "seq": seq, "reach": reach,
                "duties": {k: str(v) for k, v in duties.items()}, "road": str(props.get("road") or "").strip(),
            }  # fmt: skip
        if error:
            problems.append(Problem(index, code, error))
    known_roads = set(roads) | set(
        Road.objects.filter(code__in={s["road"] for s in segments.values()}).values_list("code", flat=True)
    )
    # The orders already taken by segments of these roads that the file leaves as they are.
    kept = RoadSegment.objects.filter(road__code__in={s["road"] for s in segments.values()}).exclude(
        code__in=list(segments)
    )
    seen: dict[tuple[str, int], str] = {
        (road, seq): code for road, seq, code in kept.values_list("road__code", "seq", "code")
    }
    for code, segment in segments.items():
        if segment["road"] not in known_roads:
            problems.append(Problem(segment["index"], code, _("unknown road %(road)r") % {"road": segment["road"]}))
        elif segment["seq"] is not None:
            key = (segment["road"], segment["seq"])
            if key in seen:
                problems.append(Problem(segment["index"], code, _("seq %(seq)d is already segment %(other)s's")
                                        % {"seq": segment["seq"], "other": seen[key]}))  # fmt: skip
            seen[key] = code
    if problems:
        raise RoadImportError(problems)
    summary = RoadImportSummary()
    with transaction.atomic():
        people = _people_of(roads, segments, summary)
        stored: dict[str, Road] = {}
        for code, road in roads.items():
            props = road["props"]
            obj, created = Road.objects.update_or_create(
                code=code,
                defaults={
                    "name": props["name"], "geometry": road["geometry"], "level": road["level"],
                    "chief": people.get(_pair(props, "chief")),
                },
            )  # fmt: skip
            stored[code] = obj
            summary.roads_created += created
            summary.roads_updated += not created
        missing = {s["road"] for s in segments.values()} - set(stored)
        stored.update({road.code: road for road in Road.objects.filter(code__in=missing)})
        # Orders may be swapped within a road by this file: the segments it updates first take orders
        # from the top of the range (unique per road), then their own.
        parked: dict[int, int] = {}
        for pk, road_id in RoadSegment.objects.filter(code__in=list(segments)).values_list("pk", "road_id"):
            parked[road_id] = parked.get(road_id, 0) + 1
            RoadSegment.objects.filter(pk=pk).update(seq=32767 - parked[road_id])
        for code, segment in segments.items():
            props = segment["props"]
            obj, created = RoadSegment.objects.update_or_create(
                code=code,
                defaults={
                    "road": stored[segment["road"]], "seq": segment["seq"], "name": props["name"],
                    "geometry": segment["geometry"], "reach_m": segment["reach"],
                    "reach": buffer_m(segment["geometry"], segment["reach"]), "duties": segment["duties"],
                    "manager": people.get(_pair(props, "manager")), "inspector": people.get(_pair(props, "inspector")),
                },
            )  # fmt: skip
            summary.segments_created += created
            summary.segments_updated += not created
    return summary


def _pair(props: dict, who: str) -> tuple[str, str] | None:
    name = str(props.get(f"{who}_name") or "").strip()
    return (name, str(props.get(f"{who}_phone") or "").strip()) if name else None


def _people_of(roads: dict, segments: dict, summary: RoadImportSummary) -> dict[tuple[str, str], Person]:
    pairs = {_pair(r["props"], "chief") for r in roads.values()}
    for s in segments.values():
        pairs |= {_pair(s["props"], "manager"), _pair(s["props"], "inspector")}
    pairs.discard(None)
    found = {}
    for name, phone in pairs:
        person, created = Person.objects.get_or_create(name=name, phone=phone)
        found[(name, phone)] = person
        summary.people_created += created
    return found


def _coords(geometry: GEOSGeometry) -> Any:
    def rounded(value):
        if isinstance(value, (list, tuple)):
            return [rounded(v) for v in value]
        return round(value, 7)

    return rounded(geometry.coords)


def _who(person: Person | None, prefix: str) -> dict[str, str]:
    return {f"{prefix}_name": person.name, f"{prefix}_phone": person.phone} if person else {}


def road_export() -> dict:
    """Every road, then its segments in order: a FeatureCollection road_import reads back unchanged."""
    features = []
    for road in Road.objects.select_related("chief").prefetch_related("segments__manager", "segments__inspector"):
        features.append({
            "type": "Feature",
            "properties": {"road": road.code, "name": road.name, "level": road.level, **_who(road.chief, "chief")},
            "geometry": {"type": road.geometry.geom_type, "coordinates": _coords(road.geometry)},
        })  # fmt: skip
        for segment in road.segments.all():
            features.append({
                "type": "Feature",
                "properties": {
                    "segment": segment.code, "road": road.code, "seq": segment.seq, "name": segment.name,
                    "reach_m": segment.reach_m, "duties": segment.duties,
                    **_who(segment.manager, "manager"), **_who(segment.inspector, "inspector"),
                },
                "geometry": {"type": "LineString", "coordinates": _coords(segment.geometry)},
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
