"""Journey: the shift leader makes the month's bulletin issue (工作简报), writes its narrative,
publishes it (第 N 期, frozen) and downloads its PDF; the supervisor reads it; then the allocation of
the fund goes to Excel."""

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

NEWS = "本月开展背街小巷环境整治，清理暴露垃圾一百余处。"


def test_the_shift_leader_publishes_an_issue_and_the_supervisor_reads_it(cast, site, demo):
    number = site.shell(
        "from assessments.models import AssessmentSettings\n"
        "AssessmentSettings.objects.update_or_create(pk=1, defaults={'bulletin_office': '临沭县数字化城市管理监督指挥中心',"
        " 'bulletin_report_to': '县委、县政府领导。', 'bulletin_issue_to': '各镇（街）。', 'fund_amount': 100000})\n"
        "from django.db.models import Max\n"
        "from django.utils import timezone\n"
        "from assessments.models import BulletinIssue\n"
        "year = timezone.localdate().year\n"  # the demo published the last two months' issues already
        "result = (BulletinIssue.objects.filter(kind='month', year=year).aggregate(n=Max('number'))['n'] or 0) + 1"
    )
    leader = cast.login("shiftlead")
    leader.goto("/assessments/bulletin/issues/")
    form = leader.locator("#issue-new")
    form.locator("select[name=kind]").select_option("month")
    with leader.expect_navigation():
        form.get_by_role("button", name="新建草稿").click()
    expect(leader.locator("#issue-number")).to_have_text("（草稿）")
    narrative = leader.locator("#issue-narrative")
    narrative.locator("[name=work_news]").fill(NEWS)
    narrative.locator("[name=problems]").fill("个别社区结案偏慢。")
    narrative.locator("[name=next_steps]").fill("加强核查，落实约谈。")
    with leader.expect_navigation():
        narrative.get_by_role("button", name="保存正文").click()
    expect(leader.locator("#section-work_news")).to_contain_text(NEWS)
    with leader.expect_navigation():
        leader.locator("#issue-publish button").click()
    expect(leader.locator("#issue-number")).to_have_text(f"第 {number} 期")
    expect(leader.locator("#issue-office")).to_have_text("临沭县数字化城市管理监督指挥中心")
    expect(leader.locator("#issue-footer")).to_contain_text("报：县委、县政府领导。")
    expect(leader.locator("#issue-narrative")).to_have_count(0)  # frozen
    expect(leader.locator("#ranking-large tbody tr")).to_have_count(9)  # the county's nine 镇街 (青云镇 the rural one)
    expect(leader.locator("#honour-red tbody tr").first).to_be_visible()
    expect(leader.locator("#issue-trend-chart svg")).to_be_attached()
    expect(leader.locator("#issue-ranking-chart svg")).to_be_attached()
    with leader.expect_download() as download:
        leader.locator("#issue-pdf").click()
    text = "".join(page.extract_text() for page in PdfReader(download.value.path()).pages).replace(" ", "")
    assert f"第{number}期" in text and "临沭县数字化城市管理监督指挥中心" in text and "红黑榜" in text
    assert NEWS in text.replace("\n", "")
    cast.screenshot(leader)

    supervisor = cast.login("supervisor")
    supervisor.goto("/assessments/")
    supervisor.locator("#link-issues").click()
    supervisor.locator("#issues").get_by_role("link").first.click()
    expect(supervisor.locator("#issue-number")).to_have_text(f"第 {number} 期")
    expect(supervisor.locator("#issue-publish")).to_have_count(0)
    supervisor.goto("/assessments/")
    supervisor.locator("#link-allocation").click()
    expect(supervisor.locator("#allocation tfoot")).to_contain_text("100000.00")
    with supervisor.expect_download() as download:
        supervisor.locator("#allocation-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    totals = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "合计"]
    assert totals and totals[0][7] == 100000.0
    cast.screenshot(supervisor, "-allocation")
