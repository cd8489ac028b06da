"""manage.py seed_demo: the demo county at Linshu's size, safe to run again, a login per role."""

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.test import override_settings

from accounts.roles import Role
from accounts.security import DEMO_PASSWORD, DEMO_USERNAMES
from demo.logins import DEMO_LOGINS
from demo.roads import build_demo_roads
from demo.territory import DEMO_SEED, build_demo_county
from grids.geo import area_m2
from grids.models import LEVELS, CommandCenter, Grid, Level, Person, Place, PlaceKind, Road, RoadSegment
from grids.selectors import grid_at_point

User = get_user_model()
CHINESE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
MOBILE = re.compile(r"^1[358]\d{9}$")


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "levels": dict(Grid.objects.values_list("level").annotate(n=Count("id"))),
        "places": Place.objects.count(),
        "people": set(Person.objects.values_list("pk", flat=True)),
        "users": set(User.objects.values_list("pk", flat=True)),
    }


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory) -> Path:
    """Where the seed stores the history's after-photos: a folder of the module's own."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, demo_media):
    """The county seeded once for the whole module (a seed takes seconds), removed afterwards.

    Each test still runs in its own transaction, so what a test changes is rolled back."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=demo_media):
        with override_settings(DEBUG=True):
            output = seed()
        yield output
        # Everything seed_demo writes, since this data outlives the test transactions.
        from assessments.models import AssessmentSettings, BulletinIssue, MonthFigures, RollupState
        from assets.models import Asset, Census
        from campaigns.models import Campaign
        from cases.models import Case, Category, DailySequence, Department, MajorCategory
        from devices.models import Device, EventType, Integration

        BulletinIssue.objects.all().delete()  # the demo's bulletin issues and its settings for them
        AssessmentSettings.objects.all().delete()
        Case.objects.all().delete()  # the case history (events, notifications, rollup rows, alerts go with it)
        from exchange.models import UpstreamSystem

        UpstreamSystem.objects.all().delete()  # the 12345 hotline and the city's platform (their orders went with the cases)
        Campaign.objects.all().delete()
        Census.objects.all().delete()
        Asset.objects.all().delete()
        Device.objects.all().delete()
        EventType.objects.all().delete()
        Integration.objects.all().delete()
        DailySequence.objects.all().delete()
        RollupState.objects.all().delete()
        MonthFigures.objects.all().delete()  # the stored month figures are not tied to a case
        Category.objects.all().delete()
        MajorCategory.objects.all().delete()
        Department.objects.all().delete()
        Place.objects.all().delete()
        Road.objects.all().delete()  # and their segments
        CommandCenter.objects.filter(parent__isnull=False).delete()
        CommandCenter.objects.all().delete()
        for level in reversed(LEVELS):
            Grid.objects.filter(level=level).delete()
        Person.objects.all().delete()
        from gazetteer.models import Entry
        from grids.models import RegionClass

        Entry.objects.all().delete()  # the demo's gazetteer
        RegionClass.objects.filter(code="rural").delete()  # the demo's own class (1, 2, 3 are the migration's)
        User.objects.filter(username__in=[login.username for login in DEMO_LOGINS]).delete()
        # the history's approving chiefs and department handlers (accounts without a password)
        User.objects.filter(username__regex=r"^(chief|dept|device|inspector)-").delete()


@pytest.mark.django_db
def test_it_builds_a_county_at_linshus_size(demo):
    # The county seat at Linshu's size, and a rural town of 4 villages with 3 groups each.
    assert snapshot()["levels"] == {Level.DISTRICT: 1, Level.LARGE: 9, Level.COMMUNITY: 21, Level.MICRO: 422}
    kinds = dict(Place.objects.values_list("kind").annotate(n=Count("id")))
    assert sum(kinds.values()) == 690
    assert 100 <= kinds[PlaceKind.STREET] <= 180
    assert kinds[PlaceKind.LANE] == 100
    assert 400 <= kinds[PlaceKind.SHOP] <= 500

    assert not Grid.objects.filter(chief__isnull=True).exists()
    assert not Place.objects.filter(chief__isnull=True).exists()
    # A chief each: 453 grid chiefs and 690 street, lane and shop chiefs; and the roads' people
    # (路长制: a road chief per road, a city manager and an inspector per segment).
    roads = build_demo_roads(build_demo_county().geojson, seed=DEMO_SEED)["features"]
    road_people = {
        (props[f"{who}_name"], props[f"{who}_phone"])
        for props in (feature["properties"] for feature in roads)
        for who in ("chief", "manager", "inspector")
        if f"{who}_name" in props
    }
    assert len(road_people) > 100
    assert Person.objects.count() == 453 + 690 + len(road_people)
    for name, phone in Person.objects.values_list("name", "phone"):
        assert CHINESE_NAME.match(name), name
        assert MOBILE.match(phone), phone

    district = Grid.objects.get(level=Level.DISTRICT)
    assert (district.code, district.name) == ("371329000000000", "临沭县城区")
    assert 45e6 < district.area_m2 < 60e6  # 410 cells of about 300 m × 300 m, and the town's 16 km²
    for code, parent_code, level in Grid.objects.exclude(level=Level.DISTRICT).values_list(
        "code", "parent__code", "level"
    ):
        assert len(code) == 15
        # 6 district + 3 street + 3 community + 3 sequence digits.
        shared = {Level.LARGE: 6, Level.COMMUNITY: 9, Level.MICRO: 12}[level]
        assert code[:shared] == parent_code[:shared]
    micro = Grid.objects.get(code="371329001001001")
    assert micro.name == f"{micro.parent.name}第01网格"


@pytest.mark.django_db
def test_it_tiles_each_parent_with_its_children(demo):
    grids = {grid.pk: grid for grid in Grid.objects.all()}
    children: dict[int, list[Grid]] = {}
    for grid in grids.values():
        if grid.parent_id:
            children.setdefault(grid.parent_id, []).append(grid)
    assert len(children) == 1 + 9 + 21
    for parent_id, kids in children.items():
        parent = grids[parent_id]
        total = sum(kid.area_m2 for kid in kids)
        union = MultiPolygon([poly for kid in kids for poly in kid.boundary], srid=4326).unary_union
        assert total == pytest.approx(parent.area_m2, rel=1e-3), parent.code  # no gaps
        assert area_m2(union) == pytest.approx(total, rel=1e-6), parent.code  # no overlaps

    outside = Place.objects.exclude(geometry__within=F("micro_grid__boundary"))
    assert list(outside.values_list("code", flat=True)) == []


@pytest.mark.django_db
def test_it_does_not_duplicate_anything_when_run_again(demo, settings):
    before = snapshot()
    settings.DEBUG = False

    output = seed(force=True, password="another-pass-1")

    assert snapshot() == before
    assert "0 grids created, 453 updated; 0 places created, 690 updated; 0 people added" in output
    assert User.objects.get(username="admin").check_password("another-pass-1")
    logins = [login.username for login in DEMO_LOGINS]
    # the three grid chiefs, the street, shop and lane chiefs (三长) and the road chief (路长)
    assert Person.objects.filter(user__username__in=logins).count() == 7


@pytest.mark.django_db
def test_it_gives_every_role_a_demo_login(demo):
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEMO_PASSWORD), login.username
        assert CHINESE_NAME.match(user.first_name), login.username
        # (a town center's operator works every desk of its small center: several roles)
        expected = {login.role, *login.more_roles} if login.role else set()
        assert set(user.groups.values_list("name", flat=True)) == expected
        assert user.is_superuser == user.is_staff == (login.username == "admin")
        assert re.search(rf"^  {login.username} +{user.first_name} .* {DEMO_PASSWORD}$", demo, re.MULTILINE)


@pytest.mark.django_db
def test_it_links_the_chief_logins_to_the_chiefs_of_one_branch(demo):
    grids = {}
    for level in (Level.LARGE, Level.COMMUNITY, Level.MICRO):
        user = User.objects.get(username=f"chief_{level}")
        grid = Grid.objects.select_related("chief").get(chief=user.person)
        assert grid.level == level
        assert user.first_name == grid.chief.name
        grids[level] = grid
    assert grids[Level.MICRO].parent == grids[Level.COMMUNITY]
    assert grids[Level.COMMUNITY].parent == grids[Level.LARGE]


@pytest.mark.django_db
def test_it_maps_a_point_inside_a_micro_grid_to_that_grid(demo):
    micro = Grid.objects.get(chief__user__username="chief_micro")

    location = grid_at_point(point=micro.boundary.point_on_surface)

    assert location.micro == micro
    assert location.community == micro.parent
    assert location.district.code == "371329000000000"
    for grid in Grid.objects.filter(level=Level.MICRO).order_by("code")[::37]:
        assert grid_at_point(point=grid.boundary.centroid).micro == grid
    assert not grid_at_point(point=Point(118.9, 34.92, srid=4326)).inside


@pytest.mark.django_db
def test_it_only_lists_the_logins_with_if_empty_when_grids_exist(demo, settings):
    settings.DEBUG = True
    Grid.objects.filter(code="371329001000000").update(name="改过的名字")

    output = seed(if_empty=True)

    assert Grid.objects.get(code="371329001000000").name == "改过的名字"
    assert "not loaded again" in output
    assert "chief_micro" in output


@pytest.mark.django_db
def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    before = snapshot()

    with pytest.raises(CommandError, match="DEBUG"):
        seed()

    assert snapshot() == before


def test_it_builds_the_same_county_from_the_same_seed():
    first, again, other = build_demo_county(), build_demo_county(), build_demo_county(seed=7)

    assert first == again
    assert first.geojson != other.geojson
    codes = [feature["properties"]["code"] for feature in first.geojson["features"]]
    assert len(codes) == len(set(codes)) == 453 + 690


@pytest.mark.django_db
def test_it_loads_the_catalogue_and_puts_the_handler_in_a_department(demo):
    from cases.models import Category, Department

    assert Category.objects.count() == 50
    sanitation = Department.objects.get(code="sanitation")
    assert list(sanitation.members.values_list("username", flat=True)) == ["handler"]


def test_it_leaves_the_last_days_cases_open_at_every_stage(demo):
    from django.utils import timezone

    from cases.models import Case, Status

    waiting = {Status.REPORTED, Status.FILED, Status.PENDING_APPROVAL, Status.DISPATCHED, Status.HANDLED,
               Status.CHECKING, Status.CHECKED}  # fmt: skip
    statuses = set(Case.objects.values_list("status", flat=True))
    assert waiting <= statuses, waiting - statuses
    open_cases = Case.objects.filter(status__in=waiting).count()
    assert 20 <= open_cases <= 0.2 * Case.objects.count()
    overdue = Case.objects.filter(status=Status.DISPATCHED, handling_deadline__lt=timezone.now()).count()
    assert 3 <= overdue <= 40


@pytest.mark.django_db
def test_it_hands_in_an_after_photo_with_every_handle(demo, demo_media):
    from cases.models import CaseEvent, CasePhoto, PhotoKind, PhotoStatus

    handles = CaseEvent.objects.filter(action="handle")
    assert handles.count() >= 200
    assert not handles.filter(photos__isnull=True).exists()
    photos = CasePhoto.objects.filter(event__action="handle")
    assert set(photos.values_list("kind", flat=True)) == {PhotoKind.AFTER}
    assert photos.count() == handles.count()  # a reworked case's second after-photo is a new one
    assert photos.values("sha256").distinct().count() > 1  # not one picture everywhere
    # Stored, and made ready to show (embedded mode makes the display copies at once).
    assert set(photos.values_list("status", flat=True)) == {PhotoStatus.READY}
    photo = photos.first()
    assert (demo_media / photo.original.name).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert (demo_media / photo.thumbnail.name).is_file()


def test_production_refuses_exactly_the_demo_logins():
    # accounts.security keeps the demo's usernames so that production (without the demo app) refuses them.
    assert {login.username for login in DEMO_LOGINS} == set(DEMO_USERNAMES)


# ---- the inventory, the devices, the campaign -------------------------------------------------


@pytest.mark.django_db
def test_it_puts_a_few_hundred_assets_along_the_streets_each_in_its_grid(demo):
    from assets.models import Asset
    from assets.services import code_problem

    kinds = dict(Asset.objects.values_list("category__code").annotate(n=Count("id")))
    assert 300 <= sum(kinds.values()) <= 700
    assert {"0101", "0102", "0103", "0120", "0305", "0206"} <= set(kinds)
    for asset in Asset.objects.select_related("category", "micro_grid"):
        assert code_problem(asset.code, asset.category) is None, asset.code
        assert asset.micro_grid.boundary.contains(asset.point), asset.code
    water = Asset.objects.filter(category__code="0101").values_list("maintainer__code", flat=True)
    assert set(water) == {"housing"}  # not 市政, the subcategory's default: intake shows the difference
    assert (
        Asset.objects.filter(geometry__isnull=False, category__code="0206").first().geometry.geom_type == "LineString"
    )


@pytest.mark.django_db
def test_it_gives_the_county_cameras_a_sensor_and_alerts_of_every_outcome(demo):
    from cases.models import Status
    from devices.models import Alert, Device

    assert Device.objects.filter(kind="camera", integration__isnull=False).count() == 4
    assert Device.objects.filter(kind="sensor", key_hash__isnull=False).count() == 1
    assert set(Alert.objects.values_list("outcome", flat=True)) == {"filed", "held", "merged"}
    assert Alert.objects.filter(outcome="held", case__status=Status.REPORTED).exists()  # waiting for a look
    assert Alert.objects.filter(case__status=Status.REJECTED).exists()  # false alarms
    assert "Device key of 雪亮工程视频平台 (shown once): " in demo


@pytest.mark.django_db
def test_it_runs_a_clean_up_campaign_and_a_census_with_reports_about_assets(demo):
    from assets.models import CensusFinding
    from campaigns.models import Campaign, CampaignCase
    from cases.models import Case

    campaign = Campaign.objects.get(name="全城清洁专项整治")
    assert campaign.targets.count() == 3 and CampaignCase.objects.filter(campaign=campaign).count() >= 20
    assert set(CensusFinding.objects.values_list("finding", flat=True)) == {"found", "damaged", "missing"}
    water = Case.objects.get(asset__category__code="0101")
    assert water.department.code == "housing"  # dispatched to the cover's maintainer


@pytest.mark.django_db
def test_it_registers_the_hotline_and_the_higher_platform_with_their_orders(demo):
    from cases.models import Notification, Source
    from exchange.models import ExternalOrder, UpstreamSystem

    hotline, platform = UpstreamSystem.objects.get(code="12345"), UpstreamSystem.objects.get(code="city-platform")
    assert hotline.source == Source.HOTLINE and platform.source == Source.HIGHER_LEVEL and platform.push_all
    orders = ExternalOrder.objects.select_related("case")
    assert {o.case.source for o in orders.filter(system=hotline)} == {Source.HOTLINE}
    assert {o.case.source for o in orders.filter(system=platform)} == {Source.HIGHER_LEVEL}  # 上级交办
    assert orders.count() == 7
    assert not Notification.objects.filter(upstream__isnull=False).exists()  # no callback URL: nothing sent
    assert "Upstream system key of 临沭县 12345 政务服务便民热线 (shown once): " in demo


# ---- the territory's organisation: centers in tiers, the 三长 and the roads ---------------------------


@pytest.mark.django_db
def test_it_seeds_centers_in_tiers_roads_and_the_chiefs_logins(demo):
    from cases.models import Case, CaseEvent, Source

    district = CommandCenter.objects.get(parent__isnull=True)
    towns = list(CommandCenter.objects.filter(parent=district).order_by("code"))
    assert [town.name for town in towns] == ["郑山街道指挥中心", "临沭街道指挥中心"]
    assert sum(town.grids.count() for town in towns) == 8  # every large grid in one town
    operator = User.objects.get(username="town_operator")
    (town,) = operator.command_centers.all()
    assert town in towns and set(operator.groups.values_list("name", flat=True)) == {
        Role.INTAKE_CLERK, Role.DISPATCHER, Role.SHIFT_LEADER,
    }  # fmt: skip
    # The town's cases are held by the town, and some were escalated and one assigned back down.
    assert Case.objects.filter(center=town).exists()
    assert CaseEvent.objects.filter(action="escalate", actor=operator).count() == 2
    assert CaseEvent.objects.filter(action="assign_down").count() == 1
    # The 三长 and the road chief: each linked to their place or road, reporting from patrol.
    for username, kind in (("street_chief", "street"), ("shop_chief", "shop"), ("lane_chief", "lane")):
        assert Place.objects.get(chief__user__username=username).kind == kind
    road = Road.objects.get(chief__user__username="road_chief")
    assert road.segments.count() >= 3
    assert Case.objects.filter(source=Source.PLACE_PATROL).exists()
    # Segments of about 300 m, each with its city manager and inspector.
    assert Road.objects.filter(level="first").count() == 3
    assert not RoadSegment.objects.filter(manager__isnull=True).exists()
    assert not RoadSegment.objects.filter(inspector__isnull=True).exists()
    lengths = [area_m2(segment.reach) / (2 * segment.reach_m) for segment in RoadSegment.objects.all()[:50]]
    assert 150 < sum(lengths) / len(lengths) < 450
    # Cases on a segment name it.
    assert Case.objects.filter(road_segment__isnull=False, responsible_role="segment_manager").exists()
    assert "town_operator" in demo and "road_chief" in demo


@pytest.mark.django_db
def test_it_has_a_rural_town_with_villages_and_their_groups(demo):
    from grids.selectors import grid_at_point

    town = Grid.objects.get(level=Level.LARGE, name="青云镇")
    villages = list(town.children.order_by("code"))
    assert [v.name for v in villages] == ["东盘村", "西盘村", "南岭村", "北岭村"]
    assert all(v.level == Level.COMMUNITY for v in villages)
    groups = Grid.objects.filter(parent__parent=town).select_related("region_class")
    assert groups.count() == 12 and {g.region_class.name for g in groups} == {"农村区域"}
    first = groups.get(name="东盘村第一组")
    where = grid_at_point(point=first.boundary.point_on_surface)
    assert (where.micro, where.community, where.large) == (first, villages[0], town)
    # The county seat's micro grids are graded 一类/二类/三类 by distance from the old town centre.
    seat = Grid.objects.filter(level=Level.MICRO).exclude(parent__parent=town)
    assert set(seat.values_list("region_class__code", flat=True)) == {"1", "2", "3"}


@pytest.mark.django_db
def test_it_ships_a_gazetteer_of_its_streets_and_shops(demo):
    from gazetteer.models import Entry
    from gazetteer.selectors import gazetteer_search

    assert Entry.objects.filter(kind="street").count() > 100 and Entry.objects.filter(kind="poi").count() > 400
    assert [found.name for found in gazetteer_search(text="xll")][:1] == ["兴隆路"]
    door = gazetteer_search(text="兴隆路60号")[0]
    assert door.address == "兴隆路60号"
    assert Entry.objects.filter(kind="poi").exclude(number="").exists()  # shops with their door numbers


def test_it_publishes_the_last_two_months_bulletins_and_drafts_this_ones(demo):
    from django.utils import timezone

    from assessments.allocation import allocation
    from assessments.issues import issue_period
    from assessments.models import BulletinIssue
    from assessments.selectors import Period

    issues = list(BulletinIssue.objects.order_by("start"))
    assert [issue.status for issue in issues] == ["published", "published", "draft"]
    assert issues[-1].start == timezone.localdate().replace(day=1)
    first, second = issues[0], issues[1]
    assert second.number == first.number + 1 or (second.year != first.year and second.number == 1)
    content = second.content
    assert content["office"] == "临沭县数字化城市管理监督指挥中心" and len(content["footer"]) == 3  # 报、送、发
    assert [post["heading"] for post in content["posts"]] == ["监督员", "受理员和值班长", "派遣员和值班长", "处置部门"]
    # the inspectors' reports carry who made them: four inspectors ranked on 有效上报率
    assert len(content["posts"][0]["rows"]) >= 3
    assert len(content["rankings"][1]["rows"]) > 10  # the communities, ranked
    assert len(content["honour"]["talk"]) > 1  # the bottom communities, listed for a talk (约谈)
    # the fund (20 万元 a month) is shared to the fen among the communities
    a = allocation(period=Period.containing("month", issue_period(second).start))
    assert a.total == a.fund == 200000 and len(a.shares) > 10
