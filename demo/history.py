"""A few months of realistic case history for the demo county, so the dashboards,
rankings and the bulletin have something true to show.

Every case goes through the real case service (cases.services.case_report and
case_transition, with explicit times), so the history is exactly what staff would
have produced: reports from every source spread over the micro grids, most filed
and dispatched, handled on time or late (always with an after-photo, demo.photos; checked on site with a photo),
checked on site (some failing the check and reworked), some sent back to the wrong
department, extended, suspended, cancelled or not accepted, and the last days' cases
still open at every stage (waiting for intake, dispatch, approval, the department, the
on-site check, closing), some overdue. Then the assessment rollup is derived from it
(assessments.facts, assessments.months), as assessments_rebuild does.

The grid chiefs who approve dispatches and one handler per department get
accounts without a usable password (they exist in a real county too; nobody can
log in as them).
"""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from assessments.facts import facts_rebuild_all
from assessments.months import months_refresh
from cases.models import Case, Category, Department, Source, Status, Urgency
from cases.services import CaseActionError, case_report, case_transition
from config.celery_app import app as celery_app
from demo.photos import AfterPhotos
from grids.models import Grid, Level, Person

User = get_user_model()
logger = logging.getLogger(__name__)

SOURCES = [
    (Source.INSPECTOR, 45),
    (Source.CITIZEN, 20),
    (Source.HOTLINE, 15),
    (Source.CAMERA, 10),
    (Source.CHIEF_PATROL, 7),
    (Source.HIGHER_LEVEL, 3),
]


INSPECTORS = ["韩立新", "杜晓峰", "彭海燕"]  # the demo inspector's colleagues on patrol


class _Actors:
    """The people who act on the demo cases, made on first need."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.filter(username__in=["shiftlead", "dispatcher", "inspector"])}
        self.chief_group = Group.objects.get_or_create(name=Role.GRID_CHIEF)[0]
        self.handler_group = Group.objects.get_or_create(name=Role.DEPARTMENT_HANDLER)[0]
        self._chiefs: dict[int, object] = {}
        self._handlers: dict[int, object] = {}
        self._inspectors: list | None = None
        self._pick = random.Random(4242)  # its own stream: the history's draws stay as they were

    def reporter(self):
        """The inspector who reported a case found on patrol: the demo login or one of three
        colleagues (accounts without a password), so that the evaluation of posts ranks several."""
        if self._inspectors is None:
            group = Group.objects.get_or_create(name=Role.INSPECTOR)[0]
            self._inspectors = [self.users["inspector"]]
            for n, name in enumerate(INSPECTORS, start=2):
                user, created = User.objects.get_or_create(username=f"inspector-{n}", defaults={"first_name": name})
                if created:
                    user.set_unusable_password()
                    user.save()
                    user.groups.add(group)
                self._inspectors.append(user)
        return self._pick.choice(self._inspectors)

    def __getitem__(self, key: str):
        return self.users[key]

    def chief(self, person_id: int):
        if person_id not in self._chiefs:
            person = Person.objects.get(pk=person_id)
            if person.user_id is None:
                user = User(username=f"chief-{person.pk}", first_name=person.name)
                user.set_unusable_password()
                user.save()
                user.groups.add(self.chief_group)
                person.user = user
                person.save(update_fields=["user"])
            self._chiefs[person_id] = person.user
        return self._chiefs[person_id]

    def handler(self, department_id: int):
        if department_id not in self._handlers:
            department = Department.objects.get(pk=department_id)
            user = department.members.filter(groups=self.handler_group).first()
            if user is None:
                user = User(username=f"dept-{department.code}", first_name=department.name)
                user.set_unusable_password()
                user.save()
                user.groups.add(self.handler_group)
                department.members.add(user)
            self._handlers[department_id] = user
        return self._handlers[department_id]


def _office_moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A time a report comes in: mostly office hours, some evenings and nights."""
    roll = rng.random()
    if roll < 0.8:
        hour, minute = rng.choice([8, 9, 9, 10, 10, 11, 14, 14, 15, 15, 16, 17]), rng.randrange(60)
    elif roll < 0.95:
        hour, minute = rng.randrange(18, 23), rng.randrange(60)
    else:
        hour, minute = rng.randrange(0, 7), rng.randrange(60)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_default_timezone())


def _point_in(rng: random.Random, grid: Grid) -> Point:
    xmin, ymin, xmax, ymax = grid.boundary.extent
    for _attempt in range(50):
        point = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if grid.boundary.contains(point):
            return point
    return grid.boundary.point_on_surface


def demo_history_load(
    *,
    days: int = 120,
    per_day: float = 4.5,
    seed: int = 2026,
    now: datetime.datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> int:
    """Report and work about `per_day` cases a day over the last `days` days. Does nothing
    if any case exists (so seed_demo can run again). Returns the number of cases made."""
    if Case.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    micros = list(Grid.objects.filter(level=Level.MICRO).order_by("code"))
    categories = list(Category.objects.select_related("default_department").order_by("major__kind", "code"))
    departments = list(Department.objects.order_by("code"))
    if not micros or not categories or not departments:
        return 0
    # Some grids and categories see much more than others (busy markets, garbage everywhere).
    grid_weights = [rng.paretovariate(1.6) for _ in micros]
    category_weights = [rng.paretovariate(1.3) for _ in categories]
    actors = _Actors()
    photos = AfterPhotos(seed)
    made, turns = 0, {}
    # Hundreds of dispatch notices and after-photos' thumbnails (each a task run in this process),
    # each logged at INFO: not worth reading here.
    with _quiet("cases.notifications", "cases.photos", "celery.app.trace"), _tasks_in_process():
        with transaction.atomic():
            for offset in range(days, 0, -1):
                day = timezone.localdate(now) - datetime.timedelta(days=offset - 1)
                weekend = day.weekday() >= 5
                # the last four days busier (a clean-up campaign): the centre's queue is full
                busy = 2.5 if offset <= 4 else 1.0
                count = _poisson(rng, per_day * (0.6 if weekend else 1.0) * busy)
                for _ in range(count):
                    reported = _office_moment(rng, day)
                    if reported >= now:
                        continue
                    grid = rng.choices(micros, grid_weights)[0]
                    category = rng.choices(categories, category_weights)[0]
                    source = rng.choices([s for s, _w in SOURCES], [w for _s, w in SOURCES])[0]
                    case = case_report(
                        source=source,
                        point=_point_in(rng, grid),
                        category=category,
                        urgency=Urgency.URGENT if rng.random() < 0.05 else Urgency.NORMAL,
                        description=f"{category.name}（演示数据）",
                        now=reported,
                        actor=actors.reporter() if source == Source.INSPECTOR else None,
                    )
                    _work(case, rng, actors, photos, departments, now, halt=_halt(rng, now - reported, turns))
                    made += 1
                if log and offset % 30 == 0:
                    log(f"  case history: {made} cases up to {day}")
        facts_rebuild_all()
        months_refresh()
    return made


@contextmanager
def _tasks_in_process() -> Iterator[None]:
    """Run the tasks the history's changes queue here and now, as embedded mode does, even with a
    broker: the history is the past, and ~450 after-photos' thumbnails left to the workers would
    queue ahead of the first real task for a good while (seconds to tens of seconds). The
    setting is read at each call, so this holds only for the tasks queued inside, in this process."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    quieted = [logging.getLogger(name) for name in names]
    levels = [each.level for each in quieted]
    for each in quieted:
        each.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for each, level in zip(quieted, levels, strict=True):
            each.setLevel(level)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


# Where a recent case's story may stop: the action not done yet (the case waits before it).
# Waiting for intake, to be dispatched, for the chief's approval, with the department, to be
# sent to the on-site check, at the check, for the shift leader's closing.
HALTS = ("file", "dispatch", "approve", "handle", "send_to_check", "check_pass", "close")


def _halt(rng: random.Random, age: datetime.timedelta, turns: dict[str, int]) -> str | None:
    """Work not done yet: most of the last days' cases are still in the queue, each waiting at the
    next stage in turn (the last day and a half's at the early stages, the two days before at
    the later ones, so that every stage has some), and now and then an older one forgotten with its
    department (overdue by now)."""
    days = age.total_seconds() / 86400
    stages = HALTS[:4] if days < 1.5 else HALTS[3:]
    if days < 1.5 and rng.random() < 0.9 or days < 3.5 and rng.random() < 0.7:
        key = "early" if days < 1.5 else "late"
        turns[key] = turns.get(key, -1) + 1
        return stages[turns[key] % len(stages)]
    if days < 10 and rng.random() < 0.08:
        return "handle"
    return None


def _work(
    case: Case, rng: random.Random, actors: _Actors, photos: AfterPhotos, departments, now, halt: str | None = None
) -> None:
    """Drive one case from its report as far as its story goes by `now` (and not beyond `halt`,
    the first action it still waits for)."""
    clock = {"t": case.reported_at}

    def later(minutes: float) -> datetime.datetime:
        clock["t"] = clock["t"] + datetime.timedelta(minutes=max(minutes, 1))
        return clock["t"]

    def act(action: str, user, when: datetime.datetime, **params) -> bool:
        if when >= now or action == halt:
            return False
        params.setdefault("note", "演示")
        try:
            nonlocal case
            case = case_transition(case_id=case.pk, action=action, actor=user, now=when, **params)
        except CaseActionError as exc:  # a story that does not fit this category: stop there
            logger.debug("demo history: %s on %s: %s", action, case.tracking_number, exc)
            return False
        return True

    centre, dispatcher, inspector = actors["shiftlead"], actors["dispatcher"], actors["inspector"]

    def call_back() -> None:
        """回访 of about two closed cases in three, a day or two later: mostly 满意. A random stream of
        its own (by the case), so that the rest of the history is what it was before callbacks."""
        own = random.Random(case.pk * 7919)
        if own.random() >= 0.65:
            return
        satisfaction = own.choices(["satisfied", "basic", "dissatisfied"], weights=[70, 22, 8])[0]
        act("callback", centre, later(own.uniform(60, 48 * 60)), note="电话回访", satisfaction=satisfaction,
            solved=satisfaction != "dissatisfied" or own.random() < 0.3, contacted=own.random() < 0.9)  # fmt: skip

    waits_late = halt in ("send_to_check", "check_pass", "close")  # keep it on the path to that stage
    roll = rng.random()
    if roll < 0.05 and halt is None:
        act("reject", centre, later(rng.uniform(10, 60)), note="不属于城管范围")
        return
    if not act("file", centre, later(rng.uniform(5, 40))):
        return
    if rng.random() < 0.03 and halt is None:
        act("cancel", centre, later(rng.uniform(10, 120)), note="重复上报")
        return

    def dispatch(department=None) -> bool:
        params = {"department": department} if department else {}
        if not act("dispatch", dispatcher, later(rng.uniform(3, 25)), **params):
            return False
        if case.status == Status.PENDING_APPROVAL:
            chief = actors.chief(case.approver_id)
            return act("approve", chief, later(rng.uniform(5, 90)))
        return case.status == Status.DISPATCHED

    if not dispatch():
        return
    if rng.random() < 0.05:  # the wrong department: sent back, then another one
        if not act("send_back", actors.handler(case.department_id), later(rng.uniform(20, 240)), note="非本单位职责"):
            return
        other = rng.choice([d for d in departments if d.pk != case.category.default_department_id] or departments)
        if not dispatch(other):
            return
    if rng.random() < 0.04:  # long-term: suspended (挂账), most resumed weeks later
        if not act("suspend", centre, later(rng.uniform(60, 600)), note="需专项资金，挂账处理"):
            return
        if rng.random() < 0.3 or not act("resume", centre, later(rng.uniform(7, 30) * 24 * 60)):
            return
    for round_ in range(3):
        handler = actors.handler(case.department_id)
        deadline = case.handling_deadline or clock["t"] + datetime.timedelta(hours=8)
        asks = round_ == 0 and rng.random() < 0.06
        if asks and act("request_extension", handler, later(rng.uniform(30, 120)), note="需协调", amount=1,
                        unit="working_days"):  # fmt: skip
            act("approve_extension", centre, later(rng.uniform(10, 60)))
            deadline = case.handling_deadline
        span = max((deadline - clock["t"]).total_seconds() / 60, 10)
        late = rng.random() < 0.12 and not waits_late
        minutes = span * rng.uniform(1.05, 8) if late else span * rng.uniform(0.15, 0.95)
        if waits_late:  # handled within hours, so that it reaches the stage it waits at
            minutes = min(minutes, rng.uniform(60, 240))
        if not act("handle", handler, later(minutes), note="已处置，附处置后照片", photos=[photos.take()]):
            return  # still being handled now: open (and overdue if past its deadline)
        if not case.category.needs_onsite_check and rng.random() < 0.3 and not waits_late:  # no on-site check
            if act("close", centre, later(rng.uniform(10, 180))):
                call_back()
            return
        if not act("send_to_check", centre, later(rng.uniform(5, 60))):
            return
        if rng.random() < 0.09 and round_ < 2 and not waits_late:
            if not act(
                "check_fail", inspector, later(rng.uniform(30, 240)), note="现场仍有问题，返工", photos=[photos.take()]
            ):
                return
            continue
        # 核查通过 (on site, with a photo) → the shift leader's 结案, then perhaps a callback
        if act("check_pass", inspector, later(rng.uniform(30, 240)), photos=[photos.take()]) and act(
            "close", centre, later(rng.uniform(5, 60))
        ):
            call_back()
        return
