"""Allocation (考核结果与经费挂钩): the monthly fund shared by score, adding up to the fund to the
fen, shown on a page and exported to Excel (read back with openpyxl), audited."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from assessments.allocation import allocation, split
from assessments.models import AssessmentSettings
from assessments.selectors import Period, department_ranking
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

OCTOBER = Period.containing("month", datetime.date(2026, 10, 1))


@pytest.fixture
def fund(db):
    return AssessmentSettings.objects.create(pk=1, fund_amount=Decimal("10000.00"), fund_base_percent=40,
                                             fund_units="department", min_cases=1)  # fmt: skip


def test_it_splits_to_the_fen_and_adds_up():
    assert split(Decimal("100.00"), [Decimal(1)] * 3, ["a", "b", "c"]) == [Decimal("33.34"), Decimal("33.33"),
                                                                             Decimal("33.33")]  # fmt: skip
    # 60 : 30 : 10 of 1,000.01 → 600.006, 300.003, 100.001: the lost fen goes to the largest remainder
    assert split(Decimal("1000.01"), [Decimal(60), Decimal(30), Decimal(10)], ["a", "b", "c"]) == [
        Decimal("600.01"), Decimal("300.00"), Decimal("100.00")]  # fmt: skip
    assert split(Decimal("10.00"), [Decimal(0), Decimal(0)], ["a", "b"]) == [Decimal("5.00"), Decimal("5.00")]


def test_the_fund_is_shared_by_base_and_score_and_sums_to_the_fund(october, fund, now):
    a = allocation(period=OCTOBER, now=now)
    assert a.total == Decimal("10000.00")
    by_code = {s.unit.unit.code: s for s in a.shares}
    scores = {r.unit.code: r.figures.score for r in department_ranking(period=OCTOBER, now=now)}
    # 40 % of 10,000 equally among the six departments of the catalogue: 4,000 / 6 = 666.666…,
    # 666.66 each leaves 4 fen, one each to four of them (equal remainders: by code)
    assert sorted(s.base for s in a.shares) == [Decimal("666.66")] * 2 + [Decimal("666.67")] * 4
    assert sum(s.base for s in a.shares) == Decimal("4000.00")
    # 6,000 by score: only sanitation and enforcement have cases in October
    total = scores["sanitation"] + scores["enforcement"]
    for code in ("sanitation", "enforcement"):
        exact = Decimal(6000) * scores[code] / total
        assert abs(by_code[code].by_score - exact) < Decimal("0.01")
    assert by_code["sanitation"].by_score + by_code["enforcement"].by_score == Decimal("6000.00")
    assert all(s.by_score == 0 for code, s in by_code.items() if code not in ("sanitation", "enforcement"))


def test_the_excel_file_reads_back_with_formats_and_totals(client, october, fund, now):
    client.force_login(october["leader"])
    client.cookies["django_language"] = "en"
    response = client.get("/assessments/allocation.xlsx", {"period": "month", "day": "2026-10-01"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = next(r for r in range(1, 10) if sheet.cell(row=r, column=1).value == "Code")
    assert sheet.cell(row=header, column=8).value == "Allocation (yuan)"
    assert sheet.freeze_panes == f"C{header + 1}"
    rows = list(sheet.iter_rows(min_row=header + 1, values_only=True))
    units, totals = rows[:-1], rows[-1]
    assert totals[0] == "Total" and totals[7] == 10000.0
    assert round(sum(row[7] for row in units), 2) == 10000.0
    assert sheet.cell(row=header + 1, column=8).number_format == "#,##0.00"
    assert sheet.column_dimensions["H"].width >= len("Allocation (yuan)")
    assert AuditEvent.objects.filter(action="assessments.exported").exists()


def test_the_page_shows_the_table_to_the_city_only(client, october, fund):
    client.force_login(october["leader"])
    response = client.get("/assessments/allocation/", {"period": "month", "day": "2026-10-01"})
    assert response.status_code == 200 and 'id="allocation"' in response.content.decode()
    client.force_login(october["handler"])
    assert client.get("/assessments/allocation/").status_code == 403
    assert client.get("/assessments/allocation.xlsx").status_code == 403
