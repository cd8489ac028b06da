"""Journey 4: the department sends a case back as not its own; the dispatcher re-routes it to
another department."""

from playwright.sync_api import expect

from tests.e2e.steps import act, case_status, expect_flash, expect_status, find_card, seed_case

REASON = "占道堆放建材，属执法范围，非环卫职责。"


def test_it_reroutes_a_case_the_department_sent_back(cast, site, demo):
    case = seed_case(site, point=demo["points"][6], upto="dispatched", address="兴隆路 30 号", description="门前堆物")
    number = case["tracking_number"]

    # The sanitation handler finds it in the work queue and sends it back.
    handler = cast.login("handler")
    handler.get_by_role("link", name="待处置案件").first.click()
    card = find_card(handler, case["id"])
    expect(card).to_contain_text(number)
    act(card, "send_back", note=REASON)
    expect_flash(handler, "已退单")
    expect(handler.locator(f"#case-{case['id']}")).to_have_count(0)

    # The dispatcher finds it under "sent back", reads why, and dispatches it to enforcement.
    dispatcher = cast.login("dispatcher")
    dispatcher.get_by_role("link", name="案件").first.click()
    dispatcher.locator("nav.tabs").get_by_role("link", name="已退单").click()
    dispatcher.get_by_label("案件编号").fill(number)
    dispatcher.get_by_role("button", name="筛选").click()
    dispatcher.locator("table.cases-table").get_by_role("link", name=number).click()
    expect_status(dispatcher, "已退单")
    expect(dispatcher.locator(".timeline-item").filter(has_text="退单")).to_contain_text(REASON)
    expect(dispatcher.locator("form.action-dispatch select[name=department]")).to_contain_text(
        "按派遣规则：县环卫服务中心"
    )
    act(dispatcher, "dispatch", note="改派综合执法", select={"department": "县综合行政执法局"})
    expect_status(dispatcher, "待网格长审批")
    expect(dispatcher.locator(".case-facts")).to_contain_text("县综合行政执法局")

    # The chief approves the new department; sanitation no longer has the case.
    chief = cast.login("chief_micro")
    chief.goto("/cases/approvals/")
    act(find_card(chief, case["id"]), "approve")
    assert case_status(site, case["id"]) == {"status": "dispatched", "department": "enforcement"}
    handler.reload()
    expect(handler.locator(f"#case-{case['id']}")).to_have_count(0)

    dispatcher.reload()
    expect_status(dispatcher, "已派遣")
    expect(dispatcher.locator(".case-facts")).to_contain_text("县综合行政执法局")
    expect(dispatcher.locator(".case-facts")).to_contain_text("退单 1")
    cast.screenshot(dispatcher)
