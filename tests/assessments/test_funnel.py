"""The funnel 上报 → 立案 (立案率) → 结案 (结案率) → 按期结案 (按期结案率) on the dashboard, the API,
the exports and the bulletin, with 环比 and 同比 as differences (percentage points for a rate) and
as relative changes. October's story (conftest.py); November holds only D (reported 1 Nov, open)
and C's and D's deadlines (2 Nov)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from assessments.bulletin import bulletin_data, headline_rows
from assessments.selectors import Period, Slice, change, comparison, funnel

pytestmark = pytest.mark.django_db
OCT = "period=month&day=2026-10-05"
NOV = "period=month&day=2026-11-05"


@pytest.fixture
def supervisor_client(client, october):
    client.cookies["django_language"] = "en"
    client.force_login(october["supervisor"])
    return client


def card(html: str, element: str) -> str:
    return re.search(rf'id="{element}".*?</article>', html, re.S).group(0)


def test_it_builds_the_funnel_on_each_basis(october, now):
    oct_ = Period.containing("month", october["cases"]["A"].reported_at.date())
    steps = funnel(comparison(period=oct_, now=now).current)
    assert [(s.key, s.value) for s in steps] == [
        ("reports", 11), ("filed", 9), ("closed", 5), ("closed_on_time", 4),
    ]  # fmt: skip
    assert steps[1].ratio.percent == Decimal("81.82")  # 立案率: 9 of the 11 reports filed
    assert (steps[2].ratio.numerator, steps[2].ratio.denominator) == (5, 8)  # E cancelled left out
    due = funnel(comparison(period=oct_, slice=Slice(basis="due"), now=now).current)
    assert [(s.key, s.value) for s in due] == [
        ("reports", 11), ("filed", 9), ("due", 7), ("closed", 5), ("closed_on_time", 4),
    ]  # fmt: skip
    assert (due[3].ratio.denominator, due[4].ratio.denominator) == (7, 6)


def test_it_gives_a_change_in_points_and_in_per_cent():
    assert change(Decimal("0.00"), Decimal("62.50")) == (change(0, 0).__class__)(Decimal("-62.50"), Decimal("-100.00"))
    assert change(1, 11).relative == Decimal("-90.91")  # (1 − 11) / 11
    assert change(3, 0).relative is None and change(None, 2).difference is None


def test_the_dashboard_shows_the_funnel_with_its_changes(supervisor_client, october):
    html = supervisor_client.get(f"/assessments/?{NOV}").content.decode()
    reports = card(html, "card-reports")
    # November: D only; October: 11 reports → −10, −90.91 %
    assert '<p class="card-value">1</p>' in reports and '<b class="down">-10 (-90.91%)</b>' in reports
    filed = card(html, "card-filed")
    assert (
        "Cases filed" in filed
        and "Filing rate <b>100.00%</b>" in filed
        and "cancelled or merged later included" in filed
    )
    closure = card(html, "card-closure-rate")
    # November's closure: D open → 0 / 1; October's 62.50 → −62.50 points, −100 %
    assert "0.00" in closure and ">0</a> / <a" in closure and ">1</a>" in closure
    assert "-62.50pp (-100.00%)" in closure
    assert 'id="card-on-time-rate"' in html and 'id="card-due"' not in html
    assert 'name="basis"' in html


def test_the_dashboard_counts_closure_over_the_cases_due_when_asked(supervisor_client, october):
    html = supervisor_client.get(f"/assessments/?{NOV}&basis=due").content.decode()
    assert '<p class="card-value">2</p>' in card(html, "card-due")  # C and D, due 2 November
    closure = card(html, "card-closure-rate")
    # C closed → 1 / 2 = 50.00 %; October on this basis 71.43 → −21.43 points, −21.43 / 71.43 = −30.00 %
    assert "50.00" in closure and "-21.43pp (-30.00%)" in closure
    assert '<option value="due" selected>' in html
    assert "basis=due" in html  # the links keep the basis asked for


def test_the_api_gives_the_funnel_and_the_changes(supervisor_client, october):
    body = supervisor_client.get(f"/api/assessments/figures/?{NOV}").json()
    assert [(s["step"], s["value"]) for s in body["funnel"]] == [
        ("reports", 1), ("filed", 1), ("closed", 0), ("closed_on_time", 0),
    ]  # fmt: skip
    assert body["funnel"][1]["ratio"] == {"numerator": 1, "denominator": 1, "percent": "100.00"}
    previous = body["changes"]["previous"]
    assert previous["counts"]["reports"] == {"difference": -10, "relative_percent": "-90.91"}
    assert previous["rates_pp"]["closure_rate"] == {"difference": "-62.50", "relative_percent": "-100.00"}


def test_the_bulletin_shows_the_funnel_with_both_changes(october, now):
    with translation.override("en"):
        data = bulletin_data(period=Period.containing("month", datetime.date(2026, 11, 1)), now=now)
        rows = {row[0]: row for row in headline_rows(data)}
    # November (up to the 18th) against October: 1 report against 11, 0.00 % closed against 62.50 %
    assert rows["Reports"][1:3] == ["1", "-10 (-90.91%)"]
    assert rows["Filing rate"][1:3] == ["100.00%", "+18.18pp (+22.22%)"]  # 100 − 81.82; 18.18 / 81.82
    assert rows["Cases filed"][1] == "1" and rows["Cases closed"][1] == "0"
    assert rows["Closure rate"][1:3] == ["0.00%", "-62.50pp (-100.00%)"]
    assert rows["Closure rate"][3] == "—"  # no cases in November 2025


def test_the_export_has_the_funnel_columns(supervisor_client, october):
    response = supervisor_client.get(f"/assessments/export/ranking-micro.xlsx?{OCT}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Rank")
    for column in ("Reports", "Cases filed", "Filing rate (%)", "Closed", "Closure rate (%)", "Closed on time",
                   "On-time closure rate (%)"):  # fmt: skip
        assert column in header, column


def test_the_chinese_dashboard_says_what_each_card_counts(client, october):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(october["supervisor"])
    html = client.get(f"/assessments/?{NOV}").content.decode()
    filed = card(html, "card-filed")
    assert "立案数" in filed and "含其后作废、合并的案件" in filed and "立案率" in filed
    closure = card(html, "card-closure-rate")
    # full-width brackets around the relative change; points as 个百分点
    assert "-62.50个百分点（-100.00%）" in closure
    assert "立案数（不含作废、合并）" in closure  # the denominator says what it leaves out
    assert "结案统计口径" in html and "sanitation" not in re.search(
        r'id="ranking-department".*?</section>', html, re.S
    ).group(0)


def test_the_excel_export_has_formats_a_frozen_header_widths_and_totals(supervisor_client, october):
    response = supervisor_client.get(f"/assessments/export/ranking-micro.xlsx?{OCT}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    header = next(n for n, row in enumerate(rows) if row[0].value == "Rank")
    columns = [cell.value for cell in rows[header]]
    assert sheet.freeze_panes == f"D{header + 2}"  # the header row and rank, code, name stay in view
    m1 = next(row for row in rows if row[1].value == "M1")
    cell = {name: m1[n] for n, name in enumerate(columns)}
    assert cell["Closure rate (%)"].value == 60.0 and cell["Closure rate (%)"].number_format == "0.00"
    assert cell["Reports"].number_format == "#,##0"
    # numerator and denominator beside the rate: M1 counted A B C F G, closed A B G
    assert (cell["Closed"].value, cell["Counted for closure"].value) == (3, 5)
    total = rows[-1]
    assert total[2].value == "Total" and total[2].font.b
    totals = {name: total[n].value for n, name in enumerate(columns)}
    # M1 + M2: closed 3 + 2 of 5 + 3 counted → 62.50, as the city's card
    assert (totals["Closed"], totals["Counted for closure"], totals["Closure rate (%)"]) == (5, 8, 62.5)
    width = sheet.column_dimensions["P"].width  # mean handling time (working hours)
    assert columns[15] == "Mean handling time (working hours)" and width >= 24
