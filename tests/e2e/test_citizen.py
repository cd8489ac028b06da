"""Journey 6: a citizen on a phone reports a problem with a photo (随手拍), gets a tracking code,
and follows the status page while the case is worked on, until it is closed."""

from playwright.sync_api import expect

from tests.e2e.steps import advance_case, photo


def test_it_lets_a_citizen_report_with_a_photo_and_follow_it_to_closed(cast, site, demo):
    point = demo["points"][21]
    citizen = cast.open("citizen", phone=True, position=point)
    citizen.goto("/citizen/")
    expect(citizen.get_by_role("heading", level=1)).to_have_text("随手拍")

    citizen.locator("input[name=photo]").set_input_files(photo("IMG_0412.jpg"))
    expect(citizen.locator("#photo-preview")).to_be_visible()
    citizen.get_by_role("button", name="使用我的位置").tap()
    expect(citizen.locator("[name=lat]")).to_have_value(f"{point['lat']:.6f}")
    expect(citizen.locator("[name=lng]")).to_have_value(f"{point['lon']:.6f}")
    citizen.get_by_text("环境卫生", exact=True).tap()
    citizen.locator("[name=description]").fill("小区门口垃圾堆了三天没人清。")
    citizen.locator("[name=phone]").fill("13912345678")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="提交上报").tap()

    code = citizen.locator("#tracking-code").inner_text().strip()
    assert len(code) == 10, code
    citizen.get_by_role("link", name="查看处理进度").tap()
    expect(citizen.locator("#status-now")).to_have_text("已上报")
    case_id = site.shell(
        "from citizens.models import CitizenReport\nresult = CitizenReport.objects.get(code=code).case_id", code=code
    )

    # The command center files and dispatches it; the citizen sees it move on.
    advance_case(site, case_id, upto="dispatched")
    citizen.reload()
    expect(citizen.locator("#status-now")).to_have_text("已派遣")
    expect(citizen.locator("#milestones .is-done")).to_have_count(3)

    # Handled with an after-photo, checked on site, closed.
    advance_case(site, case_id, upto="closed")
    citizen.reload()
    expect(citizen.locator("#status-now")).to_have_text("已结案")
    expect(citizen.locator("#milestones .is-done")).to_have_count(5)
    after = citizen.locator("#after-photo img")
    for _attempt in range(20):  # the worker makes the display copy and the thumbnail
        if after.count():
            break
        citizen.wait_for_timeout(500)
        citizen.reload()
    expect(after).to_be_visible()
    assert after.evaluate("img => img.complete && img.naturalWidth > 0")
    cast.screenshot(citizen)
