"""Journey: a citizen rates a closed case 不满意 on the status page; the case comes back to the
command centre's dispatch queue as 重办 (reopened), with the rating and the reopening in its history."""

from playwright.sync_api import expect

from tests.e2e.steps import advance_case, case_status, expect_status, seed_citizen_report


def test_a_dissatisfied_citizen_sends_the_case_back_to_the_queue(cast, site, demo):
    report = seed_citizen_report(site, point=demo["points"][23], description="路边垃圾桶满溢，没人清理。")
    advance_case(site, report["case_id"], upto="closed")
    number = site.shell("from cases.models import Case\nresult = Case.objects.get(pk=pk).tracking_number",
                        pk=report["case_id"])  # fmt: skip

    citizen = cast.open("citizen", phone=True)
    citizen.goto(f"/citizen/track/{report['code']}/")
    expect(citizen.locator("#status-now")).to_have_text("已结案")
    form = citizen.locator("#rating-form")
    form.locator("#rating-satisfaction").get_by_text("不满意", exact=True).tap()
    form.locator("#rating-solved").get_by_text("否", exact=True).tap()
    form.locator("#rating-contacted").get_by_text("是", exact=True).tap()
    form.locator("[name=comment]").fill("垃圾桶还是满的。")
    with citizen.expect_navigation():
        form.get_by_role("button", name="提交评价").tap()
    expect(citizen.locator("#rating-thanks")).to_have_text("感谢您的评价。")
    expect(citizen.locator("#rating-given")).to_contain_text("不满意")
    expect(citizen.locator("#rating-form")).to_have_count(0)
    expect(citizen.locator("#status-now")).to_have_text("已立案")  # open again: the later steps are to come
    assert case_status(site, report["case_id"])["status"] == "filed"
    cast.screenshot(citizen, "-citizen")

    # The dispatcher finds it among the filed cases, marked 重办, with the citizen's words in its history.
    dispatcher = cast.login("dispatcher")
    dispatcher.goto("/cases/?status=filed")
    dispatcher.get_by_label("案件编号").fill(number)
    dispatcher.get_by_role("button", name="筛选").click()
    row = dispatcher.locator("table.cases-table tr").filter(has_text=number)
    expect(row.locator(".reopen-badge")).to_have_text("重办")
    row.get_by_role("link", name=number).click()
    expect_status(dispatcher, "已立案")
    expect(dispatcher.locator(".timeline-item").filter(has_text="垃圾桶还是满的。")).to_contain_text("市民评价")
    expect(dispatcher.locator(".timeline-item").filter(has_text="市民对处理结果不满意")).to_contain_text("重办")
    expect(dispatcher.locator("form.action-dispatch")).to_be_visible()
    cast.screenshot(dispatcher)
