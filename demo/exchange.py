"""The demo county's upstream systems: the county's 12345 hotline and the city's platform (市级城市
运行管理服务平台, the higher-level platform), and a few work orders and assignments they sent in
the last two days, through the real service (exchange.services.order_receive).

Neither has a callback URL (a demo has nobody to receive): the exchange page lists them and their
orders, and nothing is sent; set a URL and a secret in the admin (数据交换 → 对接系统) to see the
callbacks and pushes go out.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from cases.models import Source
from exchange.models import ExternalOrder, UpstreamSystem
from exchange.services import key_issue, order_receive
from grids.models import Grid, Level

SYSTEMS = [
    ("12345", "临沭县 12345 政务服务便民热线", Source.HOTLINE, False),
    ("city-platform", "临沂市城市运行管理服务平台", Source.HIGHER_LEVEL, True),
]
# system code, the order's id prefix, subcategory full code, description
ORDERS = [
    ("12345", "GD", "E0102", "市民来电：路口东北角垃圾堆放三天未清运，气味较大"),
    ("12345", "GD", "E0503", "市民来电：早市摊贩占用人行道经营，行人只能走机动车道"),
    ("12345", "GD", "C0102", "市民来电：小区门口污水井盖破损，夜间有安全隐患"),
    ("12345", "GD", "E0201", "市民来电：小区单元门和电线杆上贴满非法小广告"),
    ("12345", "GD", "", "市民来电：楼下烧烤店油烟直排，影响居民休息"),
    ("city-platform", "JB", "E0102", "上级交办：群众信访反映河堤路段垃圾长期无人清理，请核实处置"),
    ("city-platform", "JB", "E0504", "上级交办：专项督查发现学校周边机动车乱停放，请限期整改"),
]


def demo_exchange_load(*, seed: int = 2026, now: datetime.datetime | None = None) -> dict[str, str]:
    """The two systems and (once) their orders. Returns the keys made this time ({name: key})."""
    now = now or timezone.now()
    keys: dict[str, str] = {}
    systems = {}
    for code, name, source, push_all in SYSTEMS:
        system, created = UpstreamSystem.objects.get_or_create(
            code=code, defaults={"name": name, "source": source, "push_all": push_all}
        )
        if created:
            keys[name] = key_issue(system=system)
        systems[code] = system
    if ExternalOrder.objects.exists():
        return keys
    rng = random.Random(seed)
    micro = list(Grid.objects.filter(level=Level.MICRO).order_by("code").only("boundary")[:60])
    for n, (code, prefix, category, description) in enumerate(ORDERS, start=1):
        at = now - datetime.timedelta(hours=rng.randrange(2, 48), minutes=rng.randrange(60))
        point = rng.choice(micro).boundary.point_on_surface
        order_receive(
            system=systems[code], external_id=f"{prefix}{at:%Y%m%d}{n:04d}", lon=point.x, lat=point.y,
            category_code=category, description=description, reporter_name="市民" if code == "12345" else "",
            now=at,
        )  # fmt: skip
    return keys
