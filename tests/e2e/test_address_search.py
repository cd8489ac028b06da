"""Journey: an intake clerk told "兴隆路60号" finds it on the intake form (by 汉字 and by pinyin
initials), picks it: the marker moves there, the grid and the chief are looked up and the address
is filled; a click on the map fills the address of the clicked point (reverse lookup). Then the
system administrator opens the grids' coverage page in the admin and sees a community's map."""

from playwright.sync_api import expect

from tests.e2e.steps import click_on_map


def test_it_finds_an_address_by_text_and_pinyin_and_fills_it_from_a_map_click(cast, site, demo):
    door = site.shell(
        """
from gazetteer.selectors import gazetteer_reverse, gazetteer_search
from grids.selectors import grid_at_point
from django.contrib.gis.geos import Point

found = gazetteer_search(text="兴隆路60号")[0]
where = grid_at_point(point=Point(found.lon, found.lat, srid=4326))
clicks = []
for p in points:
    answer = gazetteer_reverse(point=Point(p["lon"], p["lat"], srid=4326))
    if answer is not None:
        clicks.append({"lon": p["lon"], "lat": p["lat"], "address": answer.address})
result = {"lon": found.lon, "lat": found.lat, "address": found.address, "micro": where.micro.name if where.micro else None,
          "clicks": clicks}
""",
        points=demo["points"],
    )
    assert door["address"] == "兴隆路60号" and door["micro"]
    page = cast.login("intake")
    page.get_by_role("link", name="新建上报").first.click()
    expect(page.locator("#intake-map .leaflet-overlay-pane path").first).to_be_attached()

    # Pinyin initials find the street.
    search = page.get_by_label("查找地址或地点")
    search.fill("xll")
    expect(page.locator("#address-results button.address-result").first).to_contain_text("兴隆路")

    # A street and a door number: picked, the point and the address are set.
    search.fill("兴隆路60号")
    result = page.locator("#address-results button.address-result").filter(has_text="兴隆路60号").first
    expect(result).to_be_visible()
    expect(page.locator("#intake-map .leaflet-overlay-pane path.leaflet-interactive").last).to_be_attached()
    result.click()
    expect(page.locator("#id_address")).to_have_value("兴隆路60号")
    expect(page.locator("#located")).to_contain_text(door["micro"])
    assert abs(float(page.locator("#id_lon").input_value()) - door["lon"]) < 1e-5
    assert abs(float(page.locator("#id_lat").input_value()) - door["lat"]) < 1e-5
    marker = page.locator("#intake-map .leaflet-marker-pane .case-pin")
    expect(marker).to_have_count(1)
    box = marker.bounding_box()
    at = page.evaluate(
        """([lat, lon]) => { const map = window.__e2eMaps.find(m => m.getContainer().id === "intake-map");
             const p = map.latLngToContainerPoint([lat, lon]); const b = map.getContainer().getBoundingClientRect();
             return {x: b.left + p.x, y: b.top + p.y}; }""",
        [door["lat"], door["lon"]],
    )
    # the pin's tip (bottom centre) is on the door
    assert abs(box["x"] + box["width"] / 2 - at["x"]) < 3 and abs(box["y"] + box["height"] - at["y"]) < 3

    # On a fresh form, a click on the map fills the address there.
    assert door["clicks"], "no demo point near a shop or a street with door numbers"
    click = door["clicks"][0]
    page.reload()
    expect(page.locator("#intake-map .leaflet-overlay-pane path").first).to_be_attached()
    click_on_map(page, "intake-map", lon=click["lon"], lat=click["lat"])
    expect(page.locator("#id_address")).to_have_value(click["address"])
    expect(page.locator("#located")).to_contain_text(demo["micro"]["name"])
    cast.screenshot(page)


def test_the_coverage_page_draws_a_community_on_its_map(cast, demo):
    page = cast.login("sysadmin")
    page.goto("/admin/grids/grid/")
    page.get_by_role("link", name="覆盖检查：重叠与缺口").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("覆盖检查")
    page.locator("#id_parent").select_option(index=1)
    page.get_by_role("button", name="检查").click()
    expect(page.locator("#coverage-map .leaflet-overlay-pane path").first).to_be_attached()
    expect(page.locator("#coverage-count")).to_be_visible()
    cast.screenshot(page)
