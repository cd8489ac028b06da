"""Journey 1: an intake clerk takes in a report by clicking on the map, sees the grid and the
responsible chief at once and an open case of the same subcategory nearby, and merges the new
report into it."""

from playwright.sync_api import expect

from tests.e2e.steps import act, click_on_map, expect_flash, expect_status, seed_case


def test_it_takes_in_a_report_by_clicking_on_the_map_and_merges_the_duplicate(cast, site, demo):
    point = demo["points"][0]
    # Reported earlier about 30 m away, same subcategory, still open.
    earlier = seed_case(site, point=demo["points"][1], upto="filed", description="站台边垃圾堆")
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
    duplicates = page.locator("#duplicates")
    expect(duplicates).to_be_visible()
    expect(duplicates).to_contain_text("附近可能重复的案件")
    suggestion = duplicates.locator("li.duplicate").filter(has_text=earlier["tracking_number"])
    expect(suggestion).to_contain_text("站台边垃圾堆")
    expect(suggestion).to_contain_text("已立案")
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
    number = page.locator(".case-facts dd.mono").first.inner_text()

    # The case page offers the same case to merge into: it is the same rubbish.
    offered = page.locator("#duplicates li.duplicate").filter(has_text=earlier["tracking_number"])
    act(offered, "merge")
    expect_status(page, "已合并")
    page.locator("#merged-into").get_by_role("link").click()
    expect(page.locator("h1.case-title")).to_contain_text(earlier["tracking_number"])
    expect(page.locator(".case-facts")).to_contain_text(number)
    expect(page.locator(".timeline-item").filter(has_text="一条重复上报已合并到本案")).to_contain_text(number)
    cast.screenshot(page)
