"""Journey: a town center's operator (镇街指挥中心) escalates (上报) a case of the town to the
county's center with a reason; the county's shift leader finds it among the cases its center
holds, reads why, and assigns it back down (交办) to the town, which then files it."""

from playwright.sync_api import expect

from tests.e2e.steps import act, case_status, expect_flash, expect_status, seed_case

REASON = "占道经营涉及交警和市场监管，超出街道处置权限，请区中心协调。"
DOWN = "已协调交警配合，请街道先行劝离并立案。"


def test_a_town_escalates_a_case_and_the_district_assigns_it_back_down(cast, site, demo):
    case = seed_case(site, point=demo["points"][8], upto="reported", address="沭河大街 88 号", description="占道摆摊")
    number = case["tracking_number"]
    centers = site.shell(
        """
from grids.models import CommandCenter
from cases.models import Case
case = Case.objects.select_related("center__parent").get(pk=case_id)
result = {"town": case.center.name, "district": case.center.parent.name, "district_id": case.center.parent_id}
""",
        case_id=case["id"],
    )

    # The town operator finds it in the town's queue and escalates it with the reason.
    town = cast.login("town_operator")
    town.get_by_role("link", name="案件").first.click()
    town.get_by_label("案件编号").fill(number)
    town.get_by_role("button", name="筛选").click()
    town.locator("table.cases-table").get_by_role("link", name=number).click()
    expect(town.locator("#case-center")).to_have_text(centers["town"])
    act(town, "escalate", note=REASON)
    expect_flash(town, "上报上级指挥中心")
    expect(town.locator("#case-center")).to_have_text(centers["district"])
    # Still the town's to follow, no longer the town's to act on.
    expect(town.locator("form.action-file")).to_have_count(0)
    expect(town.locator("form.action-escalate")).to_have_count(0)

    # The county's shift leader lists what the county's center holds, reads why, assigns it down.
    leader = cast.login("shiftlead")
    leader.get_by_role("link", name="案件").first.click()
    leader.get_by_label("承办中心").select_option(label=centers["district"])
    leader.get_by_label("案件编号").fill(number)
    leader.get_by_role("button", name="筛选").click()
    leader.locator("table.cases-table").get_by_role("link", name=number).click()
    expect(leader.locator(".timeline-item").filter(has_text="上报上级指挥中心")).to_contain_text(REASON)
    act(leader, "assign_down", note=DOWN)
    expect_flash(leader, "交办镇街指挥中心")
    expect(leader.locator("#case-center")).to_have_text(centers["town"])
    expect(leader.locator(".timeline-item").filter(has_text="交办镇街指挥中心")).to_contain_text(DOWN)

    # Back in the town: its center holds the case again and files it.
    town.reload()
    expect(town.locator("#case-center")).to_have_text(centers["town"])
    act(town, "file")
    expect_status(town, "已立案")
    assert case_status(site, case["id"])["status"] == "filed"
    cast.screenshot(town)
