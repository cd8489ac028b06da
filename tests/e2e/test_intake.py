"""Journey 1: an intake clerk takes in a report by clicking on the map."""

from playwright.sync_api import expect

from tests.e2e.steps import click_on_map, expect_flash, expect_status


def test_it_takes_in_a_report_by_clicking_on_the_map(cast, demo):
    point = demo["points"][0]
    page = cast.login("intake")
    page.get_by_role("link", name="新建上报").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建上报")
    # The county's outlines are drawn once the page has fetched them.
    expect(page.locator("#intake-map .leaflet-overlay-pane path").first).to_be_attached()

    click_on_map(page, "intake-map", lon=point["lon"], lat=point["lat"])

    located = page.locator("#located")
    expect(located).to_contain_text(demo["micro"]["name"])
    expect(located).to_contain_text(demo["community"]["name"])
    expect(located).to_contain_text(point["responsible"])
    assert abs(float(page.locator("#id_lon").input_value()) - point["lon"]) < 0.0005
    assert abs(float(page.locator("#id_lat").input_value()) - point["lat"]) < 0.0005

    page.locator("#id_category").select_option(label="0102 暴露垃圾")
    page.locator("#id_address").fill("兴隆路东段公交站旁")
    page.locator("#id_description").fill("公交站旁生活垃圾成堆，约两平方米。")
    page.locator("#id_reporter_name").fill("王先生")
    page.locator("#id_reporter_phone").fill("13800138000")
    with page.expect_navigation():
        page.get_by_role("button", name="受理上报").click()

    expect_flash(page, demo["micro"]["name"])
    expect_status(page, "已上报")
    facts = page.locator(".case-facts")
    expect(facts).to_contain_text(demo["micro"]["name"])
    expect(facts).to_contain_text(demo["micro"]["code"])
    expect(facts).to_contain_text(point["responsible"])
    expect(facts).to_contain_text("暴露垃圾")
    cast.screenshot(page)
