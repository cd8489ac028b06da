"""Journey 3: the department uploads an after-photo and reports the case handled; the
inspector (on a phone) looks at it on site and fails the check; the case goes back for rework;
the second check passes and the shift leader closes the case."""

from playwright.sync_api import expect

from tests.e2e.steps import act, expect_flash, expect_status, find_card, photo, seed_case

STILL_WRONG = "路边仍有两袋垃圾未清运。"


def test_it_sends_a_failed_check_back_for_rework_and_closes_after_the_second(cast, site, demo):
    case = seed_case(site, point=demo["points"][9], upto="dispatched", address="兴隆路 8 号", description="垃圾成堆")
    card_id = f"#case-{case['id']}"

    handler = cast.login("handler")
    handler.get_by_role("link", name="待处置案件").first.click()
    act(find_card(handler, case["id"]), "handle", note="已清运，现场已清扫。", files={"photos": [photo("after.jpg")]})
    expect_flash(handler, "已处置")

    shiftlead = cast.login("shiftlead")
    shiftlead.goto(f"/cases/{case['id']}/")
    expect_status(shiftlead, "已处置")
    act(shiftlead, "send_to_check")
    expect_status(shiftlead, "核查中")

    # The inspector, on a phone, fails the check: the case goes back to the department.
    inspector = cast.login("inspector", phone=True)
    inspector.get_by_role("link", name="我的任务").first.click()
    card = find_card(inspector, case["id"])
    expect(card).to_contain_text("已清除干净")  # the closing condition to check against
    # The department's photo, made small by the worker, on the case page.
    card.get_by_role("link", name=case["tracking_number"]).click()
    after = inspector.locator(".photos li").filter(has_text="处置后")
    for _attempt in range(20):  # the thumbnail is the worker's: until then the page says it is on its way
        if after.locator("img").count():
            break
        inspector.wait_for_timeout(500)
        inspector.reload()
    expect(after.locator("img")).to_be_visible()
    # Lazy-loaded, and below the check forms (with their photo inputs) on a phone: scrolled to.
    after.locator("img").scroll_into_view_if_needed()
    inspector.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=after.locator("img").element_handle()
    )
    assert after.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    inspector.go_back()
    inspector.reload()  # the card shows the photos ready now: the department's beside the report's
    expect(inspector.locator(card_id).locator(".photo-pair .photo-after img")).to_be_visible()
    # A check takes a photo on site, passed or failed.
    act(inspector.locator(card_id), "check_fail", note=STILL_WRONG, files={"photos": [photo("onsite.jpg")]})
    expect_flash(inspector, "已派遣")
    expect(inspector.locator(card_id)).to_have_count(0)

    handler.goto("/cases/work/")
    card = find_card(handler, case["id"])
    expect(card).to_contain_text(case["tracking_number"])
    act(card, "handle", note="剩余两袋已清运。", files={"photos": [photo("after-2.jpg", colour="#276749")]})

    shiftlead.reload()
    expect(shiftlead.locator(".timeline-item").filter(has_text="核查不通过")).to_contain_text(STILL_WRONG)
    expect(shiftlead.locator(".case-facts")).to_contain_text("返工 1")
    act(shiftlead, "send_to_check")

    inspector.goto("/cases/tasks/")
    act(find_card(inspector, case["id"]), "check_pass", files={"photos": [photo("onsite-2.jpg", colour="#2b6cb0")]})
    expect_flash(inspector, "核查通过/待结案")

    shiftlead.reload()
    expect_status(shiftlead, "核查通过/待结案")
    act(shiftlead, "close")
    expect_status(shiftlead, "已结案")
    expect(shiftlead.locator(".photos li").filter(has_text="处置后")).to_have_count(2)
    cast.screenshot(shiftlead)
