"""Journeys 10–12 (issue 14): the command center's supervision map (a marker opens its case), the
wall (a new report appears without a reload) and a batch dispatch from the queue in which one case
has moved on meanwhile: the others are dispatched, that one is left as it was."""

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.steps import case_status, seed_case, seed_cases


def test_it_finds_a_case_on_the_supervision_map_and_opens_it(cast, site, demo):
    case = seed_case(site, point=demo["points"][5], upto="filed", address="兴隆路 66 号", description="路面垃圾")
    page = cast.login("dispatcher")
    page.get_by_role("link", name="案件", exact=True).first.click()
    page.get_by_role("link", name="监督地图").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("监督地图")
    # The county's open cases: clustered at the city's zoom, coloured by their worst light.
    expect(page.locator("#supervision-map .case-cluster").first).to_be_visible()
    expect(page.locator("#map-status")).to_contain_text("在办案件")
    expect(page.locator("#case-list li").first).to_be_visible()

    # The queue's own filters: the case's number, then its dot alone on the map and in the list.
    page.locator("#id_q").fill(case["tracking_number"])
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    item = page.locator("#case-list li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(case["tracking_number"])
    expect(item).to_contain_text("兴隆路 66 号")
    expect(page.locator("#map-status")).to_have_text("视野内 1 个在办案件")
    dot = page.locator(f'#supervision-map .case-dot [data-case="{case["id"]}"]')
    expect(dot).to_be_visible()
    dot.hover()
    expect(page.locator("#supervision-map .leaflet-tooltip")).to_contain_text(case["tracking_number"])
    with page.expect_navigation():
        dot.click()
    expect(page).to_have_url(re.compile(rf"/cases/{case['id']}/$"))
    expect(page.locator("h1.case-title")).to_contain_text(case["tracking_number"])
    cast.screenshot(page)


def test_it_shows_a_new_report_on_the_wall_without_reloading(cast, site, demo):
    page = cast.open("shiftlead")
    page.set_viewport_size({"width": 1920, "height": 1080})
    cast.sign_in(page, "shiftlead")
    page.goto("/cases/wall/")
    expect(page.get_by_role("heading", level=1)).to_have_text("指挥大屏")
    expect(page.locator("#wall-map .case-cluster").first).to_be_visible()
    before = int(page.locator("#today-reports").inner_text())
    page.evaluate("() => { window.__sameWall = true; }")

    address = f"兴隆路 {uuid.uuid4().int % 900 + 100} 号"
    case = seed_case(site, point=demo["points"][6], upto="reported", address=address, description="井盖缺失")
    arrived = page.locator("#wall-newest li").filter(has_text=case["tracking_number"])
    expect(arrived).to_be_visible(timeout=30_000)
    expect(arrived).to_contain_text(address)
    expect(arrived).to_have_class(re.compile("is-new"))
    expect(page.locator("#today-reports")).to_have_text(str(before + 1))
    assert page.evaluate("() => window.__sameWall") is True, "the wall was reloaded"
    cast.screenshot(page, full_page=False)


def test_it_dispatches_a_selection_from_the_queue_case_by_case(cast, site, demo):
    points = demo["points"]
    seeded = seed_cases(
        site, [{"point": points[7 + n], "upto": "filed", "address": f"兴隆路 {n + 1} 号"} for n in range(3)]
    )
    page = cast.login("dispatcher")
    page.goto("/cases/?status=filed")
    table = page.locator("#queue-table")
    for case in seeded:
        expect(table.locator(f'tr[data-case="{case["id"]}"]')).to_be_visible()

    # The help lists the shortcuts; j moves to a case, x selects it, the others by their boxes.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("下一个案件")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
    first = table.locator(f'tr[data-case="{seeded[2]["id"]}"]')  # the newest: the first row
    page.keyboard.press("j")
    expect(first).to_have_class(re.compile("is-current"))
    page.keyboard.press("x")
    expect(first.locator("input[name=case]")).to_be_checked()
    for case in seeded[:2]:
        table.locator(f'tr[data-case="{case["id"]}"] input[name=case]').check()
    expect(page.locator("#batch-count")).to_have_text("3")

    # Meanwhile the shift leader cancels one of them.
    site.shell(
        "from django.contrib.auth import get_user_model\n"
        "from cases.services import case_transition\n"
        "case_transition(case_id=case_id, action='cancel', actor=get_user_model().objects.get(username='shiftlead'),"
        " note='重复立案')\n"
        "result = None",
        case_id=seeded[1]["id"],
    )

    form = page.locator("#batch-form")
    form.locator("select[name=action]").select_option("dispatch")
    expect(form.locator("select[name=category]")).to_be_hidden()
    expect(form.locator("select[name=department]")).to_be_visible()
    form.locator("textarea[name=note]").fill("统一派环卫清运")
    with page.expect_navigation():
        page.get_by_role("button", name="对所选案件执行").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("派遣")
    summary = page.locator("#batch-summary")
    expect(summary).to_contain_text("2 个案件已完成")
    expect(summary).to_contain_text("1 个案件未受理")
    refused = page.locator(f'#batch-results tr[data-case="{seeded[1]["id"]}"]')
    expect(refused).to_contain_text("未执行")
    expect(refused).to_contain_text("已作废")
    for case in (seeded[0], seeded[2]):
        expect(page.locator(f'#batch-results tr[data-case="{case["id"]}"]')).to_contain_text("已完成")
    assert [case_status(site, c["id"])["status"] for c in seeded] == [
        "pending_approval",
        "cancelled",
        "pending_approval",
    ]
    cast.screenshot(page)
