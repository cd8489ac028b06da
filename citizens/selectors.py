"""What the public sees of a citizen's case: milestones with dates, the after-photo once closed.

Built from the case's events (CaseEvent.to_status), never from notes, actors or contacts:
nothing here can carry a name, a phone number or an internal remark to the public page.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import STATUS_INFO, CasePhoto, Milestone, PhotoKind, PhotoStatus, Satisfaction, Status
from citizens.models import CitizenReport
from config.cache import CacheDown, cached
from grids.models import Grid

MILESTONES = Milestone.choices
# Each internal status → the index of the public milestone it has reached (cases.models.STATUS_INFO).
STAGE_OF_STATUS = {
    status: list(Milestone).index(info.milestone) for status, info in STATUS_INFO.items() if info.milestone
}
# Ends that are not "closed": said as such, without the internal reason.
ENDINGS = {
    Status.REJECTED: _("Not accepted"),
    Status.CANCELLED: _("Cancelled"),
}
ENDING_NOTES = {
    Status.REJECTED: _(
        "The command center did not take this report on (for example a duplicate, or not a matter for city management)."
    ),
    Status.CANCELLED: _("The case was cancelled by the command center."),
}


@dataclass
class Milestone:
    key: str
    label: str
    at: datetime.datetime | None
    done: bool
    current: bool


@dataclass
class PublicStatus:
    code: str
    public_category: str
    public_category_label: str
    reported_at: datetime.datetime
    milestones: list[Milestone]
    status: str  # a milestone key, or "rejected" / "cancelled"
    status_label: str
    ended_at: datetime.datetime | None = None
    ending_note: str = ""
    after_photo_url: str | None = None
    after_photo_thumbnail_url: str | None = None
    can_rate: bool = False  # closed, and not rated yet: the page offers the rating form
    rating: str = ""  # the citizen's rating, once given (its label)
    rated_at: datetime.datetime | None = None

    def as_json(self) -> dict:
        return {
            "tracking_code": self.code,
            "category": self.public_category,
            "category_label": self.public_category_label,
            "status": self.status,
            "status_label": self.status_label,
            "reported_at": self.reported_at.isoformat(),
            "milestones": [
                {"key": m.key, "label": m.label, "done": m.done, "at": m.at.isoformat() if m.at else None}
                for m in self.milestones
            ],
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ending_note": self.ending_note or None,
            "after_photo_url": self.after_photo_url,
            "can_rate": self.can_rate,
            "rating": self.rating or None,
            "rated_at": self.rated_at.isoformat() if self.rated_at else None,
        }


def citizen_report_by_code(*, code: str) -> CitizenReport | None:
    return CitizenReport.objects.select_related("case").filter(code=code).first()


def milestones_of(events) -> tuple[dict[int, datetime.datetime], int, tuple[str, datetime.datetime] | None]:
    """(date each milestone was reached, the milestone now, (ending status, when) or None).

    Walking the events in order: reaching a later milestone dates it; going back (a dispatch
    sent back, a failed check's rework) undoes the milestones beyond, so they show as to come.
    """
    dates: dict[int, datetime.datetime] = {}
    stage, ending = -1, None
    for to_status, at in events:
        if to_status in ENDINGS:
            # The first event that ends the case dates the ending: a supervision order answered or
            # signed off later (an event beside the status) leaves it as it was.
            if ending is None or ending[0] != to_status:
                ending = (to_status, at)
            continue
        reached = STAGE_OF_STATUS.get(to_status)
        if reached is None or reached == stage:
            continue
        if reached > stage:
            for skipped in range(stage + 1, reached + 1):
                dates.setdefault(skipped, at)
        else:
            dates = {k: v for k, v in dates.items() if k <= reached}
        stage = reached
    return dates, stage, ending


MERGED_NOTE = _(
    "Someone reported the same problem before you: your report was merged with theirs, "
    "and the steps below are those of that case."
)


def followed_case(case):
    """The case a citizen's report is followed through: itself, or, once merged as a duplicate,
    the case it was merged into (and so on, a few steps at most)."""
    for _step in range(5):
        if case.status != Status.MERGED or case.duplicate_of_id is None:
            break
        case = case.duplicate_of
    return case


def public_status(*, report: CitizenReport) -> PublicStatus:
    own = report.case
    case = followed_case(own)
    events = list(case.events.order_by("at", "id").values_list("to_status", "at", "action", "payload"))
    dates, stage, ending = milestones_of([(to_status, at) for to_status, at, _action, _payload in events])
    # The citizen's own rating (one per case): read from the same events, never its comment.
    rating = next(({"payload": payload, "at": at} for _to, at, action, payload in events
                   if action == "citizen_rating"), None)  # fmt: skip
    if case is not own:
        dates[0] = own.reported_at  # reported: when this citizen reported
    milestones = [
        Milestone(key=key, label=str(label), at=dates.get(i), done=i in dates, current=i == stage and not ending)
        for i, (key, label) in enumerate(MILESTONES)
    ]
    status = PublicStatus(
        code=report.code,
        public_category=report.public_category,
        public_category_label=str(report.get_public_category_display()),
        reported_at=own.reported_at,
        milestones=milestones,
        status=MILESTONES[max(stage, 0)][0],
        status_label=str(MILESTONES[max(stage, 0)][1]),
    )
    if case is not own:
        status.ending_note = str(MERGED_NOTE)
    if ending and case.status in ENDINGS:
        status.status, status.status_label = ending[0], str(ENDINGS[ending[0]])
        status.ended_at, status.ending_note = ending[1], str(ENDING_NOTES[ending[0]])
    if rating is not None:
        value = ((rating["payload"] or {}).get("evaluation") or {}).get("satisfaction", "")
        status.rating = str(Satisfaction(value).label) if value in Satisfaction.values else ""
        status.rated_at = rating["at"]
    status.can_rate = case.status == Status.CLOSED and rating is None
    if case.status == Status.CLOSED:
        photo = (
            CasePhoto.objects.filter(case=case, kind=PhotoKind.AFTER, status=PhotoStatus.READY)
            .exclude(display="")
            .order_by("-created_at", "-id")
            .first()
        )
        if photo is not None:  # the display copy: re-encoded, no metadata (cases.photos)
            status.after_photo_url = photo.display.url
            status.after_photo_thumbnail_url = photo.thumbnail.url if photo.thumbnail else photo.display.url
    return status


OUTLINE_CACHE_SECONDS = 600


def city_outline() -> dict | None:
    """The city's outline (its top-level grids, unioned and simplified) as GeoJSON, for the
    public map: where a report may be placed. Names, codes and chiefs stay out. Cached."""
    key = "citizens:city-outline"
    try:
        stored = cached("get", key)
    except CacheDown:  # the cache is away: draw it for this request
        stored = None
    if stored is not None:
        return stored or None
    boundaries = [
        grid.boundary
        for grid in Grid.objects.valid_on(timezone.localdate()).filter(parent__isnull=True).only("id", "boundary")
    ]
    outline = None
    if boundaries:
        shape = boundaries[0]
        for boundary in boundaries[1:]:
            shape = shape.union(boundary)
        xmin, ymin, xmax, ymax = shape.extent
        simple = shape.simplify(max(xmax - xmin, ymax - ymin) / 2000, preserve_topology=True)
        shape = simple if not simple.empty else shape
        outline = {"type": shape.geom_type, "coordinates": _rounded(shape.coords)}
    with contextlib.suppress(CacheDown):
        cached("set", key, outline or {}, OUTLINE_CACHE_SECONDS)
    return outline


def _rounded(coords):
    if isinstance(coords[0], int | float):
        return [round(value, 5) for value in coords]
    return [_rounded(part) for part in coords]
