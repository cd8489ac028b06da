"""Allocation (考核结果与经费挂钩): each unit's monthly composite score turned into its share of the
city's fund, by the formula set in the admin (Assessment settings):

    share(u) = fund × base% / n  +  fund × (1 − base%) × score(u) / Σ score

over the n units of the chosen kind (large grids, community grids or departments). A unit without
a score (no assessed case) gets its base share and nothing of the rest; if no unit has a score, the
whole fund is shared equally. Amounts are rounded to the fen (0.01 yuan) so that they add up to the
fund exactly: the fen lost in rounding go, one each, to the units whose amounts were cut most
(largest remainder; then by code). It reads the same rankings as the dashboard: one truth.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from assessments.selectors import Period, RankedUnit, assessment_settings, department_ranking, grid_ranking

FEN = Decimal("0.01")


@dataclass
class Share:
    unit: RankedUnit
    base: Decimal
    by_score: Decimal

    @property
    def total(self) -> Decimal:
        return self.base + self.by_score


@dataclass
class Allocation:
    period: Period
    units_kind: str
    fund: Decimal
    base_percent: int
    shares: list[Share]

    @property
    def total(self) -> Decimal:
        return sum((s.total for s in self.shares), Decimal(0))

    @property
    def base_total(self) -> Decimal:
        return sum((s.base for s in self.shares), Decimal(0))

    @property
    def by_score_total(self) -> Decimal:
        return sum((s.by_score for s in self.shares), Decimal(0))

    def percent(self, share: Share) -> Decimal | None:
        """The share's part of the fund in %, to two places (none without a fund)."""
        return (share.total / self.fund * 100).quantize(FEN) if self.fund else None

    @property
    def total_percent(self) -> Decimal | None:
        return Decimal(100) if self.fund else None


def allocation_month(period: Period) -> Period:
    """The fund is monthly: any period asked for gives the month it starts in (the page, its Excel
    file and the API alike)."""
    return Period.containing("month", period.start)


def split(fund: Decimal, weights: list[Decimal], keys: list[str]) -> list[Decimal]:
    """`fund` in proportion to `weights`, in fen, adding up to `fund` exactly (largest remainder)."""
    total = sum(weights, Decimal(0))
    if not weights:
        return []
    if not total:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [fund * w / total for w in weights]
    cut = [e.quantize(FEN, rounding=ROUND_DOWN) for e in exact]
    left = int(((fund - sum(cut, Decimal(0))) / FEN).to_integral_value())
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - cut[i]), keys[i]))
    for i in order[:left]:
        cut[i] += FEN
    return cut


def allocation(*, period: Period, now: datetime.datetime | None = None) -> Allocation:
    cfg = assessment_settings()
    if cfg.fund_units == "department":
        ranked = department_ranking(period=period, now=now)
    else:
        ranked = grid_ranking(period=period, level=cfg.fund_units, now=now)
    fund = Decimal(cfg.fund_amount).quantize(FEN)
    base_pool = (fund * Decimal(cfg.fund_base_percent) / 100).quantize(FEN)
    keys = [r.unit.code for r in ranked]
    base = split(base_pool, [Decimal(1)] * len(ranked), keys)
    scores = [r.figures.score or Decimal(0) for r in ranked]
    rest = fund - base_pool
    if not any(scores):
        scores = [Decimal(1)] * len(ranked)  # nobody scored: the rest is shared equally too
    by_score = split(rest, scores, keys)
    shares = [Share(r, b, s) for r, b, s in zip(ranked, base, by_score, strict=True)]
    return Allocation(period, cfg.fund_units, fund, cfg.fund_base_percent, shares)


def allocation_rows(a: Allocation) -> tuple[list[str], list[list[object]], list[object]]:
    """(columns, rows, totals) as the page and the Excel file show them."""
    from django.utils.translation import gettext as _

    columns = [_("Code"), _("Name"), _("Rank"), _("Composite score"), _("Grade"), _("Base share (yuan)"),
               _("Score share (yuan)"), _("Allocation (yuan)"), _("Share of the fund (%)")]  # fmt: skip
    rows = []
    for s in a.shares:
        r = s.unit
        rows.append([r.unit.code, r.unit.name, r.rank if r.ranked else "—", r.figures.score,
                     r.figures.grade if r.ranked else "", s.base, s.by_score, s.total, a.percent(s)])  # fmt: skip
    totals = [_("Total"), "", "", None, "", a.base_total, a.by_score_total, a.total, a.total_percent]
    return columns, rows, totals


def allocation_xlsx(a: Allocation, heading: list[str]) -> bytes:
    """The allocation as Excel: money as #,##0.00, scores and shares as 0.00, the header frozen,
    widths that fit, and the totals row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns, rows, totals = allocation_rows(a)
    book = Workbook()
    sheet = book.active
    sheet.title = "allocation"
    for line in heading:
        sheet.append([line])
    sheet.append(columns)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    formats = {3: "0.00", 5: "#,##0.00", 6: "#,##0.00", 7: "#,##0.00", 8: "0.00"}
    for row in [*rows, totals]:
        sheet.append([float(v) if isinstance(v, Decimal) else ("" if v is None else v) for v in row])
        for index, fmt in formats.items():
            sheet.cell(row=sheet.max_row, column=index + 1).number_format = fmt
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    for n, title in enumerate(columns, start=1):
        values = [str(title)] + [
            str(sheet.cell(row=r, column=n).value or "") for r in range(header_row + 1, sheet.max_row + 1)
        ]
        width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values)
        sheet.column_dimensions[sheet.cell(row=header_row, column=n).column_letter].width = min(width + 2, 48)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
