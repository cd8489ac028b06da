"""Allocation (考核结果与经费挂钩): the monthly fund shared by score, adding up to the fund to the
fen, shown on a page, exported to Excel (read back with openpyxl), audited, and served by the API
(/api/assessments/allocation/) with the same figures."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from assessments.allocation import allocation, allocation_rows, split
from assessments.models import AssessmentSettings, CaseFact
from assessments.selectors import Period, department_ranking
from audit.models import AuditEvent
from cases.services import case_transition

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


# ---- the API: /api/assessments/allocation/ ------------------------------------------------------

API = "/api/assessments/allocation/"


def test_the_api_gives_the_figures_of_the_page_and_the_excel_file(client, october, fund):
    client.force_login(october["leader"])
    client.cookies["django_language"] = "en"
    query = {"period": "month", "day": "2026-10-01"}
    body = client.get(API, query).json()
    sheet = load_workbook(io.BytesIO(client.get("/assessments/allocation.xlsx", query).content)).active
    header = next(r for r in range(1, 10) if sheet.cell(row=r, column=1).value == "Code")
    *excel, excel_totals = sheet.iter_rows(min_row=header + 1, values_only=True)
    assert body["period"] == {"kind": "month", "start": "2026-10-01", "end": "2026-10-31", "label": "2026-10"}
    assert (body["units"], body["fund"], body["base_percent"]) == ("department", "10000.00", 40)
    assert len(body["rows"]) == len(excel) == 6  # the six departments of the catalogue
    for row, cells in zip(body["rows"], excel, strict=True):
        code, name, rank, score, grade, base, by_score, amount, share = cells
        assert (row["code"], row["name"], row["grade"]) == (code, name, grade or "")
        assert row["rank"] == (None if rank == "—" else rank)
        assert (row["score"], row["share_percent"]) == (
            None if score in (None, "") else f"{score:.2f}", f"{share:.2f}")  # fmt: skip
        assert [Decimal(row[k]) for k in ("base", "by_score", "amount")] == [
            Decimal(f"{v:.2f}") for v in (base, by_score, amount)]  # fmt: skip
    # to the fen, exactly as allocation_rows gives the page its cells
    with translation.override("en"):
        _columns, rows, totals = allocation_rows(allocation(period=OCTOBER))
    assert [[r["code"], r["score"], r["base"], r["by_score"], r["amount"], r["share_percent"]] for r in body["rows"]] == [
        [code, None if score is None else str(score), str(base), str(by_score), str(amount), str(share)]
        for code, _name, _rank, score, _grade, base, by_score, amount, share in rows
    ]  # fmt: skip
    assert body["totals"] == {"base": str(totals[5]), "by_score": str(totals[6]), "amount": "10000.00",
                              "share_percent": "100"}  # fmt: skip
    assert excel_totals[7] == float(body["totals"]["amount"])
    # amounts as exact decimals, adding up to the fund to the fen
    assert sum(Decimal(r["amount"]) for r in body["rows"]) == Decimal(body["fund"]) == Decimal("10000.00")
    assert sum(Decimal(r["base"]) for r in body["rows"]) == Decimal("4000.00")
    by_code = {r["code"]: r for r in body["rows"]}
    assert Decimal(by_code["sanitation"]["by_score"]) + Decimal(by_code["enforcement"]["by_score"]) == 6000


def test_the_api_shares_the_month_a_period_starts_in(client, october, fund):
    """The fund is monthly, as on the page: a week of October gives October's allocation."""
    client.force_login(october["leader"])
    week = client.get(API, {"period": "week", "day": "2026-10-14"}).json()
    month = client.get(API, {"period": "month", "day": "2026-10-31"}).json()
    assert week["period"]["start"] == "2026-10-01" and week == month
    assert client.get(API, {"period": "month", "day": "2026-09-01"}).json()["period"]["label"] == "2026-09"


def test_the_api_refuses_bad_periods_as_the_other_endpoints_do(client, october, fund):
    client.force_login(october["leader"])
    for query in ({"period": "fortnight"}, {"period": "month", "day": "2026-13-45"}):
        response = client.get(API, query, HTTP_ACCEPT_LANGUAGE="en")
        figures = client.get("/api/assessments/figures/", query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == figures.status_code == 400
        assert response.json() == figures.json() and response.json()["error"]["code"] == "invalid"


def test_the_api_refuses_who_the_page_refuses_before_reading(client, october, fund):
    anonymous = client.get(API)
    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "not_authenticated"
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=october["leader"], note="重复")
    messages = {}
    for who in ("handler", "chief", "outsider"):  # a department, a grid chief, no role at all
        client.force_login(october[who])
        with CaptureQueriesContext(connection) as request:
            response = client.get(API, {"period": "month", "day": "2026-10-01"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_permitted"
        assert not any('"cases_caseevent"' in q["sql"] for q in request.captured_queries)  # nothing read
        messages[who] = response.json()["error"]["message"]
    assert CaseFact.objects.get(case=october["cases"]["L"]).cancelled_at is None  # the rollup untouched
    assert messages == {  # the page's words
        "handler": "The city's bulletin issues and fund allocation are for those who see the whole city's figures.",
        "chief": "The city's bulletin issues and fund allocation are for those who see the whole city's figures.",
        "outsider": "Assessments are for leaders, the command centre, grid chiefs and departments.",
    }
    for who in ("handler", "chief", "outsider"):  # the pages refuse them before any refresh too
        client.force_login(october[who])
        for page in ("/assessments/allocation/", "/assessments/allocation.xlsx", "/assessments/bulletin/issues/"):
            assert client.get(page).status_code == 403, page
    assert CaseFact.objects.get(case=october["cases"]["L"]).cancelled_at is None
    client.force_login(october["inspector"])  # sees the whole city: reads it, the cancellation folded in first
    assert client.get(API).status_code == 200
    assert CaseFact.objects.get(case=october["cases"]["L"]).cancelled_at is not None
