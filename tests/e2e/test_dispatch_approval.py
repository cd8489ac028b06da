"""Journey 2: a dispatch is refused by the grid chief with a reason, proposed again and
approved; the department's webhook is told, through the Celery worker."""

from playwright.sync_api import expect

from tests.e2e.conftest import WEBHOOK_SECRET
from tests.e2e.steps import act, expect_flash, expect_status, find_card, seed_case

REASON = "地点不在本网格主干道，请先与社区核实后再派。"


def test_it_takes_a_refused_dispatch_to_approval_and_tells_the_department(cast, site, demo, webhook):
    case = seed_case(site, point=demo["points"][3], upto="filed", address="兴隆路 12 号", description="垃圾堆放")
    number = case["tracking_number"]

    def mine(delivery) -> bool:
        return delivery.message["type"] == "case.dispatched" and delivery.message["case"]["tracking_number"] == number

    # The dispatcher proposes the dispatch: the routing rules pick 环卫, the chief must approve.
    dispatcher = cast.login("dispatcher")
    dispatcher.goto(f"/cases/{case['id']}/")
    act(dispatcher, "dispatch", note="请环卫清运")
    expect_status(dispatcher, "待网格长审批")
    expect(dispatcher.locator(".case-facts")).to_contain_text("县环卫服务中心")

    # The micro grid's chief finds it among the dispatches to approve and refuses it.
    chief = cast.login("chief_micro")
    chief.get_by_role("link", name="待审批派遣").first.click()
    card = find_card(chief, case["id"])
    expect(card).to_contain_text(number)
    expect(card).to_contain_text("县环卫服务中心")
    act(card, "refuse", note=REASON)
    expect_flash(chief, number)
    expect(chief.locator(f"#case-{case['id']}")).to_have_count(0)

    # The dispatcher sees why and proposes it again.
    dispatcher.reload()
    expect_status(dispatcher, "已立案")
    refusal = dispatcher.locator(".timeline-item").filter(has_text="退回派遣")
    expect(refusal).to_contain_text(REASON)
    act(dispatcher, "dispatch", note="已与社区核实，请环卫清运")
    expect_status(dispatcher, "待网格长审批")
    assert webhook.wait_for(mine, timeout=0) == [], "nothing is sent before the chief approves"

    # The chief approves: the case is dispatched and the department's system is told.
    chief.goto("/cases/approvals/")
    act(find_card(chief, case["id"]), "approve")
    expect_flash(chief, "已派遣")

    deliveries = webhook.wait_for(mine)
    assert len(deliveries) == 1, deliveries
    delivery = deliveries[0]
    assert delivery.signed_with(WEBHOOK_SECRET)
    assert delivery.headers["x-delivery-id"] == delivery.message["delivery_id"]
    message = delivery.message
    assert message["type"] == "case.dispatched"
    assert message["event"]["action"] == "approve"
    assert message["department"]["code"] == "sanitation"
    assert message["case"]["status"] == "dispatched"
    assert message["case"]["link"] == f"{site.url}/cases/{case['id']}/"  # absolute: SITE_URL

    # The dispatcher's page shows the case dispatched and the notification delivered.
    dispatcher.reload()
    expect_status(dispatcher, "已派遣")
    expect(dispatcher.locator(".notification")).to_contain_text("已送达")
    cast.screenshot(dispatcher)
