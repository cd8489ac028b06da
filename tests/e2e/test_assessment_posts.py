"""Journey: a leader reads the funnel on the dashboard at 1,600 px, counts closure over the cases
due in the month instead of those filed in it, and opens the evaluation of posts (岗位考评)."""

from playwright.sync_api import expect


def test_it_shows_the_funnel_the_due_basis_and_the_posts(cast, site, demo):
    supervisor = cast.login("supervisor")
    supervisor.set_viewport_size({"width": 1600, "height": 900})
    supervisor.get_by_role("link", name="考核评价看板").first.click()
    for element in ("#card-reports", "#card-filed", "#card-closure-rate", "#card-on-time-rate"):
        expect(supervisor.locator(element)).to_be_visible()
    expect(supervisor.locator("#card-filed")).to_contain_text("立案率")
    expect(supervisor.locator("#card-due")).to_have_count(0)
    # The ranking's deciding columns are in view without scrolling sideways.
    ranking = supervisor.locator("#ranking-large .table-wrap")
    assert ranking.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    expect(supervisor.locator("#ranking-large thead")).to_contain_text("综合指标值")
    expect(supervisor.locator("#ranking-large thead")).to_contain_text("等级")

    supervisor.locator("#id_basis").select_option("due")
    supervisor.get_by_role("button", name="查看").click()
    expect(supervisor.locator("#card-due")).to_be_visible()
    expect(supervisor.locator("#card-due")).to_contain_text("应结案数")
    expect(supervisor.locator("#card-closure-rate")).to_contain_text("应结案")
    cast.screenshot(supervisor, "due", full_page=False)

    supervisor.locator("#posts-link").click()
    expect(supervisor.get_by_role("heading", level=1)).to_have_text("岗位考评")
    expect(supervisor.locator("#posts-inspector thead")).to_contain_text("有效上报率")
    supervisor.get_by_role("link", name="派遣员和值班长").click()
    expect(supervisor.locator("#posts-dispatch thead")).to_contain_text("按时派遣率")
    expect(supervisor.locator("#id_basis")).to_have_value("due")  # the basis asked for stays
    supervisor.get_by_role("link", name="处置部门").click()
    expect(supervisor.locator("#posts-department thead")).to_contain_text("按时处置率")
    assert "sanitation" not in supervisor.locator("#posts-department tbody").inner_text()
    cast.screenshot(supervisor, "posts", full_page=False)
