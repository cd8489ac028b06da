"""What the journeys do again and again: prepare a case in the application, act on a case page
or a work card, and set a point on a Leaflet map with the mouse."""

from __future__ import annotations

import base64
import io
import re
import uuid

from PIL import Image, ImageDraw
from playwright.sync_api import Locator, Page, expect

from tests.e2e.site import Site

# The subcategory of the journeys: 暴露垃圾 (exposed rubbish), routed to 环卫 sanitation, the demo
# handler's department; its dispatch needs the grid chief's approval.
GARBAGE = ("event", "0102")

# Leaflet keeps its maps to itself: note each one as it is made, so that a test can turn a
# longitude/latitude into the pixel to click (window.L is set once leaflet.js has run).
MAP_HOOK = """
(() => {
  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && !value.__e2e) {
        value.__e2e = true;
        value.Map.addInitHook(function () { (window.__e2eMaps = window.__e2eMaps || []).push(this); });
      }
    },
  });
})();
"""


def county(site: Site) -> dict:
    """The demo micro grid of chief_micro, points well inside it and who answers for them."""
    return site.shell(
        """
from django.contrib.gis.geos import Point
from grids.models import Grid
from grids.selectors import responsible_at_point

grid = Grid.objects.select_related("parent__parent").get(chief__user__username="chief_micro", level="micro")
xmin, ymin, xmax, ymax = grid.boundary.extent
points = []
for fy in (0.3, 0.4, 0.5, 0.6, 0.7):
    for fx in (0.3, 0.4, 0.5, 0.6, 0.7):
        point = Point(xmin + fx * (xmax - xmin), ymin + fy * (ymax - ymin), srid=4326)
        # A margin of a tenth of the cell on every side: a click a pixel off stays inside.
        if grid.boundary.contains(point.buffer((xmax - xmin) / 10)):
            who = responsible_at_point(point=point)
            points.append({"lon": round(point.x, 6), "lat": round(point.y, 6), "responsible": who.person.name})
result = {"micro": {"id": grid.pk, "name": grid.name, "code": grid.code},
          "community": {"id": grid.parent_id, "name": grid.parent.name},
          "large": {"id": grid.parent.parent_id, "name": grid.parent.parent.name}, "points": points}
"""
    )


# How seed_case moves a case on, as the people of the demo county would: action, by whom, status after.
SEED_STEPS = [
    ("file", "intake", "filed"),
    ("dispatch", "dispatcher", "pending_approval"),
    ("approve", "chief_micro", "dispatched"),
    ("handle", "handler", "handled"),
    ("send_to_check", "dispatcher", "checking"),
    ("check_pass", "inspector", "checked"),
    ("close", "shiftlead", "closed"),
]


def _steps_to(status: str) -> int:
    return 0 if status == "reported" else 1 + [step[2] for step in SEED_STEPS].index(status)


def seed_case(site: Site, *, point: dict, upto: str = "filed", description: str = "", address: str = "") -> dict:
    """A case of GARBAGE at `point`, taken in by the intake clerk and moved on by the services
    up to the status `upto` ("reported" or a status of SEED_STEPS)."""
    return seed_cases(site, [{"point": point, "upto": upto, "description": description, "address": address}])[0]


def seed_cases(site: Site, specs: list[dict]) -> list[dict]:
    """seed_case for several cases at once (one start of the application)."""
    specs = [
        {
            "point": spec["point"],
            "description": spec.get("description", ""),
            "address": spec.get("address", ""),
            "steps": [(action, who) for action, who, _ in SEED_STEPS[: _steps_to(spec.get("upto", "filed"))]],
            "request_id": str(uuid.uuid4()),
        }
        for spec in specs
    ]
    return site.shell(
        """
import base64
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from cases.models import Category
from cases.services import case_report, case_transition

users = {u.username: u for u in get_user_model().objects.all()}
category = Category.objects.get(major__kind=kind, code=code)
result = []
for spec in specs:
    point = Point(spec["point"]["lon"], spec["point"]["lat"], srid=4326)
    case = case_report(source="hotline", point=point, address=spec["address"], description=spec["description"],
                       category=category, actor=users["intake"], request_id=spec["request_id"])
    for action, who in spec["steps"]:
        params = {}
        if action == "handle":  # handling needs a photo of the result
            params = {"note": "已清运。", "photos": [SimpleUploadedFile("after.jpg", base64.b64decode(photo), "image/jpeg")]}
        if action in ("check_pass", "check_fail"):  # the inspector's check needs an on-site photo
            params = {"photos": [SimpleUploadedFile("check.jpg", base64.b64decode(photo), "image/jpeg")]}
        case = case_transition(case_id=case.pk, action=action, actor=users[who], **params)
    result.append({"id": case.pk, "tracking_number": case.tracking_number, "status": case.status})
""",
        specs=specs,
        kind=GARBAGE[0],
        code=GARBAGE[1],
        photo=base64.b64encode(photo("after.jpg")["buffer"]).decode(),
    )


def advance_case(site: Site, case_id: int, *, upto: str) -> dict:
    """Move a case on from where it is to `upto` along SEED_STEPS, as the centre, the chief,
    the department and the inspector would (filing it under GARBAGE if it has no category yet;
    handled with an after-photo)."""
    return site.shell(
        """
import base64
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from cases.models import Case, Category
from cases.services import case_transition

users = {u.username: u for u in get_user_model().objects.all()}
case = Case.objects.get(pk=case_id)
statuses = [status for _, _, status in steps]
start = 0 if case.status == "reported" else statuses.index(case.status) + 1
for action, who, _ in steps[start : statuses.index(upto) + 1]:
    params = {}
    if action == "file" and case.category_id is None:
        params["category"] = Category.objects.get(major__kind=kind, code=code)
    if action == "handle":
        params["note"] = "已清运。"
        params["photos"] = [SimpleUploadedFile("after.jpg", base64.b64decode(photo), "image/jpeg")]
    if action in ("check_pass", "check_fail"):  # the inspector's check needs an on-site photo
        params["photos"] = [SimpleUploadedFile("check.jpg", base64.b64decode(photo), "image/jpeg")]
    case = case_transition(case_id=case.pk, action=action, actor=users[who], **params)
result = {"id": case.pk, "tracking_number": case.tracking_number, "status": case.status}
""",
        case_id=case_id,
        upto=upto,
        steps=SEED_STEPS,
        kind=GARBAGE[0],
        code=GARBAGE[1],
        photo=base64.b64encode(photo("after.jpg")["buffer"]).decode(),
    )


def seed_citizen_report(site: Site, *, point: dict, description: str) -> dict:
    """A citizen's 随手拍 report made through the citizens' service: its tracking code and case."""
    return site.shell(
        """
import base64
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from citizens.services import citizen_report

report = citizen_report(
    point=Point(point["lon"], point["lat"], srid=4326), public_category="sanitation", description=description,
    photo=SimpleUploadedFile("photo.jpg", base64.b64decode(photo), "image/jpeg"), client_ip="192.0.2.10",
    request_id=request_id,
)
result = {"code": report.code, "case_id": report.case_id}
""",
        point=point,
        description=description,
        photo=base64.b64encode(photo("before.jpg")["buffer"]).decode(),
        request_id=str(uuid.uuid4()),
    )


def case_status(site: Site, case_id: int) -> dict:
    return site.shell(
        "from cases.models import Case\n"
        "case = Case.objects.select_related('department').get(pk=case_id)\n"
        "result = {'status': case.status, 'department': case.department.code if case.department else None}",
        case_id=case_id,
    )


def photo(name: str = "photo.jpg", colour: str = "#2f855a") -> dict:
    """A small JPEG as a phone would send it, for a file input."""
    image = Image.new("RGB", (640, 480), "#d9d4c7")
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 260, 520, 420), fill=colour)
    draw.ellipse((260, 60, 380, 180), fill="#f6c343")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


# ---- pages ---------------------------------------------------------------------


def action_form(scope: Page | Locator, action: str) -> Locator:
    return scope.locator(f"form.action-{action}")


def act(
    scope: Page | Locator,
    action: str,
    *,
    note: str | None = None,
    select: dict | None = None,
    files: dict | None = None,
) -> None:
    """Fill and send the form of `action` (on a case page, or inside one work card)."""
    form = action_form(scope, action)
    expect(form).to_have_count(1)
    if note is not None:
        form.locator("textarea[name=note]").fill(note)
    for name, label in (select or {}).items():
        form.locator(f"select[name={name}]").select_option(label=label)
    for name, payloads in (files or {}).items():
        form.locator(f"input[type=file][name={name}]").set_input_files(payloads)
    page = form.page
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def find_card(page: Page, case_id: int, *, pages: int = 20) -> Locator:
    """The case's card on a work list (approvals, work queue, tasks), turning its pages as
    someone looking for it would, from the page shown now."""
    card = page.locator(f"#case-{case_id}")
    for _ in range(pages):
        if card.count():
            break
        following = page.locator("nav.pagination a[rel=next]")
        if not following.count():
            break
        with page.expect_navigation():
            following.click()
    expect(card).to_be_visible()
    return card


def expect_status(page: Page, label: str) -> None:
    expect(page.locator("h1.case-title .status")).to_have_text(label)


def expect_flash(page: Page, text: str | re.Pattern) -> None:
    expect(page.locator(".messages .message-success")).to_contain_text(text)


def map_settled(page: Page, map_id: str) -> None:
    """Wait until the Leaflet map in #map_id exists and no zoom or pan animation runs."""
    page.wait_for_function(
        """id => {
             const map = (window.__e2eMaps || []).find(m => m.getContainer().id === id);
             return map && !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress);
           }""",
        arg=map_id,
    )


def map_pixel(page: Page, map_id: str, *, lon: float, lat: float) -> dict:
    """Where (lon, lat) is on the page now (x, y), and the map's zoom."""
    map_settled(page, map_id)
    return page.evaluate(
        """([id, lat, lon]) => {
             const map = (window.__e2eMaps || []).find(m => m.getContainer().id === id);
             const point = map.latLngToContainerPoint([lat, lon]);
             const box = map.getContainer().getBoundingClientRect();
             return {x: box.left + point.x, y: box.top + point.y, zoom: map.getZoom()};
           }""",
        [map_id, lat, lon],
    )


def click_on_map(page: Page, map_id: str, *, lon: float, lat: float, zoom_steps: int = 2) -> None:
    """Zoom in on (lon, lat) with the mouse wheel as a person would, then click exactly there."""
    expect(page.locator(f"#{map_id}")).to_be_visible()
    for _ in range(zoom_steps):
        before = map_pixel(page, map_id, lon=lon, lat=lat)
        page.mouse.move(before["x"], before["y"])
        page.mouse.wheel(0, -120)
        page.wait_for_function(
            """([id, zoom]) => (window.__e2eMaps || []).find(m => m.getContainer().id === id).getZoom() > zoom""",
            arg=[map_id, before["zoom"]],
        )
    target = map_pixel(page, map_id, lon=lon, lat=lat)
    page.mouse.click(target["x"], target["y"])
