"""Journey 5: a supervisor watches the assessment dashboard while a case is closed: drilled down
from the city through the large grid to the community, the closure rate, the ranking of the micro
grids and the closure-rate map move, and the ranking goes to Excel with the new figures."""

import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.steps import act, expect_status, map_pixel, seed_case

PARTS = re.compile(r"[(（](\d+)/(\d+)[)）]")  # full-width brackets on the Chinese page


def figures(page: Page, code: str, point: dict) -> dict:
    """What the dashboard says now: the closure-rate card, the micro grid's ranking row, and
    the map's tooltip over the case's place."""
    card = page.locator("#card-closure-rate .card-parts a")
    ranking = page.locator("#ranking-micro")
    headers = ranking.locator("thead th").all_inner_texts()
    row = ranking.locator("tbody tr").filter(has=page.locator("td", has_text=code))
    expect(row).to_have_count(1)
    cells = row.locator("td").all_inner_texts()

    expect(page.locator("#closure-map .leaflet-overlay-pane path").first).to_be_attached()
    page.locator("#closure-map").scroll_into_view_if_needed()  # arrived by a link further down the page
    target = map_pixel(page, "closure-map", lon=point["lon"], lat=point["lat"])
    page.mouse.move(target["x"], target["y"])
    tooltip = page.locator("#closure-map .leaflet-tooltip")
    expect(tooltip).to_contain_text("结案率")
    closed_on_map, filed_on_map = (int(n) for n in PARTS.search(tooltip.inner_text()).groups())
    page.mouse.move(0, 0)
    return {
        "card": (int(card.nth(0).inner_text()), int(card.nth(1).inner_text())),
        "ranking": int(cells[headers.index("已结案")]),
        "map": (closed_on_map, filed_on_map),
    }


def test_it_shows_the_dashboard_move_when_a_case_is_closed_and_exports_the_ranking(cast, site, demo, tmp_path):
    point = demo["points"][18]
    code = demo["micro"]["code"]
    case = seed_case(site, point=point, upto="checked", address="兴隆路 40 号", description="垃圾成堆")

    supervisor = cast.login("supervisor")
    supervisor.get_by_role("link", name="考核评价看板").first.click()
    expect(supervisor.get_by_role("heading", level=1)).to_have_text("考核评价看板")
    # The city ranks its large grids; each name leads one level down, to the micro grids' ranking.
    expect(supervisor.locator("#ranking-micro")).to_have_count(0)
    supervisor.locator("#ranking-large").get_by_role("link", name=demo["large"]["name"], exact=True).click()
    supervisor.locator("#ranking-community").get_by_role("link", name=demo["community"]["name"], exact=True).click()
    before = figures(supervisor, code, point)

    shiftlead = cast.login("shiftlead")
    shiftlead.goto(f"/cases/{case['id']}/")
    act(shiftlead, "close")
    expect_status(shiftlead, "已结案")

    supervisor.reload()
    after = figures(supervisor, code, point)
    assert after["card"] == (before["card"][0] + 1, before["card"][1])
    assert after["ranking"] == before["ranking"] + 1
    assert after["map"] == (before["map"][0] + 1, before["map"][1])

    with supervisor.expect_download() as download:
        supervisor.locator("#ranking-micro").get_by_role("link", name="导出 Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    rows = [[cell for cell in row] for row in load_workbook(path).active.iter_rows(values_only=True)]
    header = next(row for row in rows if "已结案" in row)
    mine = next(row for row in rows if code in row)
    assert mine[header.index("已结案")] == after["ranking"]
    supervisor.evaluate("() => window.scrollTo(0, 0)")
    cast.screenshot(supervisor, full_page=False)  # the community's figures and map
