"""Journey: 督办. The shift leader issues a supervision order from the case page, the department is
told by webhook, the handler answers it on the case page, and the shift leader signs it off (销号)."""

from playwright.sync_api import expect

from tests.e2e.conftest import WEBHOOK_SECRET
from tests.e2e.steps import act, action_form, expect_flash, expect_status, seed_case

ORDER = "市民多次投诉，请今日内清理并反馈。"
ANSWER = "已安排清运车辆，下午三点前完成。"


def test_it_supervises_a_case_from_issue_to_sign_off(cast, site, demo, webhook):
    case = seed_case(site, point=demo["points"][7], upto="dispatched", address="兴隆路 88 号", description="垃圾堆积")
    number = case["tracking_number"]

    # The shift leader finds the case in the queue and issues the order on its page.
    leader = cast.login("shiftlead")
    leader.goto(f"/cases/{case['id']}/")
    expect_status(leader, "已派遣")
    form = action_form(leader, "supervise")
    form.locator("input[name=amount]").fill("2")
    form.locator("select[name=unit]").select_option(label="工作时")
    act(leader, "supervise", note=ORDER)
    expect_flash(leader, number)
    expect(leader.locator("#supervised-badge")).to_have_text("督办")
    box = leader.locator("#supervision")
    expect(box).to_contain_text(ORDER)
    expect(box).to_contain_text("待回复")
    expect(box.locator(".order-addressee")).to_have_text("县环卫服务中心")
    expect(leader.locator(".timeline-item").filter(has_text=ORDER)).to_contain_text("回复时限")

    # The department's system is told, signed like every message.
    def mine(delivery):
        message = delivery.message
        return message["type"] == "case.supervision" and message["case"]["tracking_number"] == number

    [delivery] = webhook.wait_for(mine)
    assert delivery.signed_with(WEBHOOK_SECRET) and delivery.message["order"]["note"] == ORDER

    # A reminder (催办), recorded on the case.
    act(leader, "remind", note="请加快")
    expect(leader.locator("#supervision")).to_contain_text("催办次数")

    # The sanitation handler sees the case marked in the queue and answers on its page.
    handler = cast.login("handler")
    handler.goto(f"/cases/?q={number}")
    row = handler.locator("table.cases-table tr").filter(has_text=number)
    expect(row.locator(".supervised-badge")).to_be_visible()
    row.get_by_role("link", name=number).click()
    expect(action_form(handler, "remind")).to_have_count(0)
    act(handler, "answer_supervision", note=ANSWER)
    expect(handler.locator("#supervision")).to_contain_text("已回复，待销号")
    expect(handler.locator("#supervision .order-answer")).to_have_text(ANSWER)

    # The shift leader signs it off: the mark goes, the history stays.
    leader.reload()
    act(leader, "sign_off", note="现场已清理，同意销号")
    expect(leader.locator("#supervised-badge")).to_have_count(0)
    expect(leader.locator("#supervision")).to_have_count(0)
    expect(leader.locator(".timeline-item").filter(has_text="督办销号")).to_contain_text("现场已清理")
    expect_status(leader, "已派遣")
    cast.screenshot(leader)
