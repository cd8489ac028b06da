"""Journey: a shop chief (店长) on a phone opens “my places and my cases” from the home page and
reports a problem from patrol (source 三长巡查) with the phone's position; the dispatcher shows the
shops on the grid map (a checkbox per kind of place) and reads a shop's tooltip, built from text."""

from playwright.sync_api import expect

from tests.e2e.steps import map_settled


def test_a_shop_chief_reports_from_patrol_and_places_show_on_the_map(cast, site, demo):
    shop = site.shell(
        """
from grids.models import Place
place = Place.objects.select_related("chief").get(chief__user__username="shop_chief")
result = {"name": place.name, "lon": place.geometry.x, "lat": place.geometry.y}
"""
    )
    chief = cast.open("shop_chief", phone=True, position={"lon": shop["lon"], "lat": shop["lat"]})
    cast.sign_in(chief, "shop_chief")
    chief.get_by_role("link", name="我的地点和案件").first.click()
    expect(chief.locator("#my-places")).to_contain_text(shop["name"])
    chief.locator("#report-from-patrol").click()
    expect(chief.locator("select[name=source]")).to_have_value("place_patrol")
    expect(chief.locator("select[name=source] option")).to_have_count(1)
    chief.locator("input[name=lon]").fill(str(shop["lon"]))
    chief.locator("input[name=lat]").fill(str(shop["lat"]))
    chief.locator("textarea[name=description]").fill("巡查发现：店门前占道堆放纸箱。")
    with chief.expect_navigation():
        chief.locator("form.intake-form button[type=submit]").click()
    expect(chief.locator("h1.case-title")).to_be_visible()
    expect(chief.locator(".case-facts")).to_contain_text("三长巡查")
    chief.goto("/cases/mine/")
    expect(chief.locator("#my-cases")).to_contain_text("店门前占道堆放纸箱")

    dispatcher = cast.login("dispatcher")
    dispatcher.goto("/grids/map/")
    expect(dispatcher.locator("#grid-list li").first).to_be_visible()  # the grids drawn and fitted first
    map_settled(dispatcher, "grid-map")
    shops = dispatcher.locator("#grid-map-places-shop")
    expect(shops).to_be_visible()
    shops.check()
    expect(dispatcher.locator(".place-toggle-status")).not_to_be_empty()  # zoom in first
    dispatcher.evaluate(
        "([lat, lon]) => window.__e2eMaps.find(m => m.getContainer().id === 'grid-map').setView([lat, lon], 17)",
        [shop["lat"], shop["lon"]],
    )
    map_settled(dispatcher, "grid-map")
    marker = dispatcher.locator("path.place-marker.place-shop >> visible=true").first  # those in view
    expect(marker).to_be_visible()
    marker.hover()
    expect(dispatcher.locator(".leaflet-tooltip")).to_contain_text("店")
    cast.screenshot(dispatcher)
