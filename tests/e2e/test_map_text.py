"""Journey 8: names people typed are text on every map. A grid and its chief named like HTML
(`<img src=x onerror=alert(1)>`, as in issue 11, where such a grid name ran script on the grid
map) show exactly as written in the map's tooltips, labels and panels, on the grid map and on
the dashboard's closure-rate map, and run nothing: no dialog, no request for `x`."""

from playwright.sync_api import Page, expect

from tests.e2e.steps import map_pixel

GRID_NAME = "<img src=x onerror=alert(1)>"
CHIEF_NAME = "<img src=y onerror=alert(2)>"


def rename(site, grid_id: int, *, grid: str, chief: str | None) -> dict:
    """Give the grid and its chief these names; answers the names they had."""
    return site.shell(
        """
from grids.models import Grid

g = Grid.objects.select_related("chief").get(pk=grid_id)
result = {"grid": g.name, "chief": g.chief.name}
Grid.objects.filter(pk=grid_id).update(name=grid)
if chief is not None:
    type(g.chief).objects.filter(pk=g.chief_id).update(name=chief)
""",
        grid_id=grid_id,
        grid=grid,
        chief=chief,
    )


def hover_tooltip(page: Page, map_id: str, point: dict):
    expect(page.locator(f"#{map_id} .leaflet-overlay-pane path").first).to_be_attached()
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    target = map_pixel(page, map_id, lon=point["lon"], lat=point["lat"])
    page.mouse.move(target["x"], target["y"])
    tooltip = page.locator(f"#{map_id} .leaflet-tooltip")
    expect(tooltip).to_be_visible()
    return tooltip


def test_it_shows_grid_and_chief_names_as_text_on_the_maps(cast, site, demo):
    point = demo["points"][12]
    community = demo["community"]["id"]
    before = rename(site, demo["micro"]["id"], grid=GRID_NAME, chief=CHIEF_NAME)
    try:
        page = cast.login("supervisor")
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        # The grid map, inside the community: tooltip, label, list and details.
        page.goto(f"/grids/map/?parent={community}")
        tooltip = hover_tooltip(page, "grid-map", point)
        expect(tooltip).to_contain_text(f"{GRID_NAME} · {demo['micro']['code']} · {CHIEF_NAME}")
        expect(page.locator("#grid-map .grid-label").filter(has_text=GRID_NAME)).to_have_count(1)
        page.locator("#grid-list .grid-list-item").filter(has_text=GRID_NAME).click()
        expect(page.locator("#grid-detail-title")).to_have_text(GRID_NAME)
        expect(page.locator("#grid-detail")).to_contain_text(CHIEF_NAME)
        assert page.locator("main img").count() == 0

        # The dashboard's closure-rate map of the same community.
        page.goto(f"/assessments/?grid={community}")
        tooltip = hover_tooltip(page, "closure-map", point)
        expect(tooltip).to_contain_text(GRID_NAME)
        expect(tooltip).to_contain_text("结案率")
        assert page.locator("#closure-map img, #closure-map-legend img").count() == 0
        assert page.evaluate("() => document.querySelectorAll('img[onerror]').length") == 0
        assert dialogs == []
        cast.screenshot(page, full_page=False)
    finally:
        rename(site, demo["micro"]["id"], grid=before["grid"], chief=before["chief"])
