"""The demo county's time limits by region class (一类/二类/三类): the shipped catalogue with a
class's own limits for a few sanitation and street-order events, loaded through the same
loader as a city's own file (cases.catalogue.catalogue_load; format in cases/data/README.md).

Product defaults for trying the feature, not a published rule: class 1 (the old town centre)
gets half the time or less, class 3 (the outskirts and the villages) about twice the time;
class 2 keeps the class-less limits; the villages (class "rural", 农村区域) get a working day or more.
"""

from __future__ import annotations

import csv
import io

from cases.catalogue import DATA

# The villages' class (demo.territory's rural town), beside the default 一类/二类/三类.
RURAL_CLASS = ("rural", "农村区域", 4)

# (kind, subcategory code) → (class 1 limit, unit, class 3 limit, unit, rural limit, unit)
CLASS_LIMITS = {
    ("event", "0102"): ("2", "working_hours", "8", "working_hours", "2", "working_days"),  # 暴露垃圾 (4 working hours)
    ("event", "0104"): ("3", "working_hours", "8", "working_hours", "2", "working_days"),  # 道路不洁 (5)
    ("event", "0106"): ("2", "working_hours", "8", "working_hours", "2", "working_days"),  # 绿地脏乱 (4)
    ("event", "0201"): ("4", "working_hours", "2", "working_days", "3", "working_days"),  # 非法小广告 (1 working day)
    ("event", "0501"): ("2", "working_hours", "8", "working_hours", "1", "working_days"),  # 无照经营游商 (4)
    ("event", "0502"): ("2", "working_hours", "8", "working_hours", "1", "working_days"),  # 店外经营 (4)
    ("event", "0503"): ("2", "working_hours", "8", "working_hours", "1", "working_days"),  # 占道经营 (4)
    ("event", "0505"): ("2", "working_hours", "8", "working_hours", "1", "working_days"),  # 非机动车乱停放 (4)
}
CLASS_COLUMNS = ["limit[1]", "limit_unit[1]", "limit[3]", "limit_unit[3]", "limit[rural]", "limit_unit[rural]"]


def demo_region_classes_ensure() -> None:
    """The default classes and the villages' rural class (the demo's grids and catalogue name them)."""
    from grids.models import RegionClass
    from grids.services import region_classes_ensure

    region_classes_ensure()
    code, name, rank = RURAL_CLASS
    RegionClass.objects.get_or_create(code=code, defaults={"name": name, "rank": rank})


def demo_catalogue_text() -> str:
    """The shipped catalogue CSV with the demo's class columns added."""
    rows = list(csv.reader(io.StringIO((DATA / "catalogue.csv").read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    kind, minor = header.index("kind"), header.index("minor_code")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, *CLASS_COLUMNS])
    for row in body:
        writer.writerow([*row, *CLASS_LIMITS.get((row[kind], row[minor]), ("",) * len(CLASS_COLUMNS))])
    return out.getvalue()
