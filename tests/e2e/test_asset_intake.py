"""Journey 9: an intake clerk zooms in on the map until the component inventory shows, clicks a
water-supply manhole cover (上水井盖): the point goes on the cover, the subcategory is filled
and its maintaining unit (住建, not the subcategory's default 市政) is named; the report taken
in shows the asset, and the dispatcher's dispatch goes to that maintainer. On the grid map the
inventory is a layer to switch on."""

from playwright.sync_api import expect

from tests.e2e.steps import act, case_status, expect_flash, expect_status, map_pixel

MAP = "intake-map"


def a_water_cover(site) -> dict:
    """A 上水井盖 of the demo county no case is about yet, with what the page will say of it."""
    return site.shell(
        """
from assets.models import Asset
asset = (Asset.objects.filter(category__code="0101", category__major__kind="component", status="in_service",
                              cases__isnull=True)
         .select_related("category", "maintainer", "micro_grid").order_by("code").first())
result = {"id": asset.pk, "code": asset.code, "lon": asset.point.x, "lat": asset.point.y,
          "category_id": asset.category_id, "category": asset.category.name, "maintainer": asset.maintainer.name,
          "default": asset.category.default_department.name, "micro": asset.micro_grid.name}
"""
    )


def zoom_in_on(page, *, lon: float, lat: float, zoom: float, map_id: str = MAP) -> dict:
    """Turn the mouse wheel over (lon, lat) until the map is zoomed in at least to `zoom`."""
    spot = map_pixel(page, map_id, lon=lon, lat=lat)
    while spot["zoom"] < zoom:
        page.mouse.move(spot["x"], spot["y"])
        page.mouse.wheel(0, -120)
        page.wait_for_function(
            """([id, zoom]) => (window.__e2eMaps || []).find(m => m.getContainer().id === id).getZoom() > zoom""",
            arg=[map_id, spot["zoom"]],
        )
        spot = map_pixel(page, map_id, lon=lon, lat=lat)
    return spot


def test_it_takes_a_report_on_an_asset_and_sends_it_to_the_assets_maintainer(cast, site):
    cover = a_water_cover(site)
    assert cover["maintainer"] != cover["default"]
    page = cast.login("intake")
    page.goto("/cases/new/")
    expect(page.locator("#intake-map .leaflet-overlay-pane path").first).to_be_attached()
    expect(page.locator("#asset-hint")).to_contain_text("放大地图可见部件")

    spot = zoom_in_on(page, lon=cover["lon"], lat=cover["lat"], zoom=17)
    expect(page.locator("#intake-map path.asset-marker").first).to_be_attached()  # the inventory, drawn
    page.mouse.click(spot["x"], spot["y"])

    picked = page.locator("#picked-asset")
    expect(picked).to_be_visible()
    expect(picked).to_contain_text(cover["code"])
    expect(picked).to_contain_text(cover["maintainer"])
    expect(page.locator("#id_category")).to_have_value(str(cover["category_id"]))
    expect(page.locator("#id_asset")).to_have_value(str(cover["id"]))
    expect(page.locator("#located")).to_contain_text(cover["micro"])
    assert abs(float(page.locator("#id_lon").input_value()) - cover["lon"]) < 1e-5
    assert abs(float(page.locator("#id_lat").input_value()) - cover["lat"]) < 1e-5
    cast.screenshot(page, "-picked", full_page=False)

    page.locator("#id_description").fill("井盖一角破损下陷，行人易绊倒。")
    with page.expect_navigation():
        page.get_by_role("button", name="受理上报").click()
    expect_flash(page, cover["micro"])
    expect_status(page, "已上报")
    facts = page.locator(".case-facts")
    expect(facts.locator(".case-asset")).to_contain_text(cover["code"])
    expect(facts.locator(".case-asset")).to_contain_text(cover["maintainer"])
    expect(facts).to_contain_text(cover["category"])
    case_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    number = page.locator(".case-facts dd.mono").first.inner_text()
    act(page, "file")
    expect_status(page, "已立案")

    dispatcher = cast.login("dispatcher")
    dispatcher.goto(f"/cases/{case_id}/")
    form = dispatcher.locator("form.action-dispatch")
    expect(form.locator("select[name=department] option").first).to_have_text(f"按派遣规则：{cover['maintainer']}")
    act(dispatcher, "dispatch")
    assert case_status(site, case_id)["department"] == "housing"
    expect(dispatcher.locator(".case-facts")).to_contain_text(cover["maintainer"])

    # The asset's page lists the case about it.
    dispatcher.locator(".case-asset a").click()
    expect(dispatcher.locator("h1.asset-title")).to_contain_text(cover["code"])
    expect(dispatcher.locator(".asset-history")).to_contain_text(number)

    # The grid map (the supervision map): the inventory is a layer switched on with its box.
    dispatcher.goto("/grids/map/")
    layer = dispatcher.locator("#grid-map-assets")
    layer.check()
    zoom_in_on(dispatcher, lon=cover["lon"], lat=cover["lat"], zoom=17, map_id="grid-map")
    expect(dispatcher.locator("#grid-map path.asset-marker").first).to_be_attached()
    cast.screenshot(dispatcher)
