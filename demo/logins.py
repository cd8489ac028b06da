"""The demo logins: one account per role, all with one published password.

The three chief logins are linked to the chiefs (grids.models.Person) of one branch of the
demo county (demo.territory.DemoCounty.chiefs: the old town centre's micro grid and its
ancestors), so a chief sees that grid's cases; the handler works for the sanitation
department (环卫). The password is published in the README, which is why seed_demo refuses
to run with DEBUG off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.roles import Role
from cases.models import Department, Patrol
from grids.models import CommandCenter, Grid, Person, Place, Road

HANDLER_DEPARTMENT = "sanitation"  # the demo handler's department (the catalogue's 环卫)


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: its username, role group, role in Chinese and, for chiefs, the grid level."""

    username: str
    role: str | None  # accounts.roles.Role value; None for the superuser
    label: str
    grid_level: str | None = None
    more_roles: tuple[str, ...] = ()  # a town center's operator works every desk of its small center
    place_kind: str | None = None  # a 三长's login: the chief of a place of this kind


DEMO_LOGINS = [
    DemoLogin("intake", Role.INTAKE_CLERK, "受理员"),
    DemoLogin("shiftlead", Role.SHIFT_LEADER, "值班长"),
    DemoLogin("dispatcher", Role.DISPATCHER, "派遣员"),
    DemoLogin("chief_large", Role.GRID_CHIEF, "大网格长", "large"),
    DemoLogin("chief_community", Role.GRID_CHIEF, "社区网格长", "community"),
    DemoLogin("chief_micro", Role.GRID_CHIEF, "微网格长", "micro"),
    DemoLogin("handler", Role.DEPARTMENT_HANDLER, "处置人员（专业部门）"),
    DemoLogin("inspector", Role.INSPECTOR, "监督员"),
    DemoLogin("supervisor", Role.SUPERVISOR, "领导"),
    DemoLogin("admin", None, "超级用户（安装用）"),
    DemoLogin("sysadmin", Role.SYSTEM_ADMIN, "系统管理员"),
    DemoLogin("secadmin", Role.SECURITY_ADMIN, "安全管理员"),
    DemoLogin("auditadmin", Role.AUDIT_ADMIN, "审计管理员"),
    DemoLogin("street_chief", Role.PLACE_CHIEF, "街长", place_kind="street"),
    DemoLogin("shop_chief", Role.PLACE_CHIEF, "店长", place_kind="shop"),
    DemoLogin("lane_chief", Role.PLACE_CHIEF, "巷长", place_kind="lane"),
    DemoLogin("road_chief", Role.PLACE_CHIEF, "路长", place_kind="road"),
    DemoLogin(
        "town_operator", Role.DISPATCHER, "镇街指挥中心操作员", more_roles=(Role.INTAKE_CLERK, Role.SHIFT_LEADER)
    ),
]


def logins_save(
    *,
    chiefs: dict[str, str],
    staff_names: Sequence[str],
    password: str,
    places: dict[str, str] | None = None,
    road: str | None = None,
) -> None:
    """Create or update every demo login with `password`, in its role's group; the handler joins
    HANDLER_DEPARTMENT (the departments must be loaded).

    chiefs: grid level → code of the grid whose chief the chief login of that level becomes;
    staff_names: the names of the logins that are not chiefs, in their order; places: place kind →
    code of the place whose chief the 三长 login of that kind becomes (none given: no 三长 logins);
    road: the code of the road whose chief (路长) the road chief login becomes."""
    User = get_user_model()
    staff = [login for login in DEMO_LOGINS if not login.grid_level and not login.place_kind]
    if len(staff_names) < len(staff):
        raise ValueError(f"{len(staff)} staff names are needed, got {len(staff_names)}")
    names = {login.username: name for login, name in zip(staff, staff_names, strict=False)}
    # One hash for all: the demo accounts share one password anyway, and hashing
    # it ten times would take longer than loading the whole county.
    hashed = make_password(password)
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    chief_grids = {level: Grid.objects.select_related("chief").get(code=code) for level, code in chiefs.items()}
    chief_places = {kind: Place.objects.select_related("chief").get(code=code) for kind, code in (places or {}).items()}
    if road:
        chief_places["road"] = Road.objects.select_related("chief").defer("geometry").get(code=road)
    for login in DEMO_LOGINS:
        if login.place_kind and login.place_kind not in chief_places:
            continue
        grid = chief_grids.get(login.grid_level) or chief_places.get(login.place_kind)
        superuser = login.role is None
        user, _created = User.objects.update_or_create(
            username=login.username,
            defaults={
                "first_name": grid.chief.name if grid else names[login.username],
                "last_name": "",
                "password": hashed,
                "is_active": True,
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        user.groups.set([groups[role] for role in (login.role, *login.more_roles)] if login.role else [])
        if grid:
            Person.objects.filter(user=user).exclude(pk=grid.chief.pk).update(user=None)
            Person.objects.filter(pk=grid.chief.pk).update(user=user)
        if login.role == Role.DEPARTMENT_HANDLER:
            Department.objects.get(code=HANDLER_DEPARTMENT).members.add(user)
        if login.role == Role.INSPECTOR and "community" in chief_grids:
            # The demo inspector patrols the community grid of the community chief's login: sent first there.
            Patrol.objects.update_or_create(inspector=user, defaults={"grid": chief_grids["community"]})


def logins_list() -> list[tuple[DemoLogin, str, str]]:
    """The demo logins that exist: (login, the user's name, the role with the chief's grid)."""
    User = get_user_model()
    users = {user.username: user for user in User.objects.filter(username__in=[x.username for x in DEMO_LOGINS])}
    grids = Grid.objects.filter(chief__user__in=users.values()).select_related("chief").defer("boundary")
    chief_grids = {grid.chief.user_id: grid for grid in grids.order_by("-code")}
    places = Place.objects.filter(chief__user__in=users.values()).select_related("chief").defer("geometry", "reach")
    chief_places = {place.chief.user_id: place for place in places.order_by("-code")}
    roads = Road.objects.filter(chief__user__in=users.values()).select_related("chief").defer("geometry")
    chief_places.update({road.chief.user_id: road for road in roads})
    centers = dict(
        CommandCenter.objects.filter(members__in=users.values(), parent__isnull=False).values_list("members", "name")
    )
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user:
            grid = chief_grids.get(user.pk)
            role = f"{login.label}（{grid.name}）" if login.grid_level and grid else login.label
            if user.pk in centers:
                role = f"{login.label}（{centers[user.pk]}）"
            if login.place_kind and user.pk in chief_places:
                role = f"{login.label}（{chief_places[user.pk].name}）"
            rows.append((login, user.first_name, role))
    return rows


def place_logins_for(geojson: dict, micro_code: str) -> dict[str, str]:
    """The places whose chiefs get the 三长 logins: one of each kind, in the demo chiefs' micro
    grid if it has one, else in its community, else anywhere (kind → place code)."""
    places = [f["properties"] for f in geojson["features"] if "kind" in f["properties"]]
    community = micro_code[:12]  # 6 district + 3 street + 3 community digits
    chosen = {}
    for kind in ("street", "shop", "lane"):
        of_kind = sorted((p for p in places if p["kind"] == kind), key=lambda p: p["code"])
        best = (
            next((p for p in of_kind if p["grid"] == micro_code), None)
            or next((p for p in of_kind if p["grid"].startswith(community)), None)
            or (of_kind[0] if of_kind else None)
        )
        if best is not None:
            chosen[kind] = best["code"]
    return chosen
