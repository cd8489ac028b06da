"""The tables the screens show and the exports write: built once from the selectors,
rendered as HTML, CSV or Excel, so a download always matches the screen."""

from __future__ import annotations

import csv
import datetime
import functools
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from assessments.selectors import (
    ALERT_COUNTS,
    CHILD_LEVEL,
    GRID_FIELD,
    POSTS,
    AlertFigures,
    CampaignFigures,
    Figures,
    Period,
    PersonFigures,
    RankedUnit,
    Slice,
    alert_figures,
    breakdown,
    campaign_figures,
    center_ranking,
    department_post_ranking,
    department_ranking,
    figures_by_each,
    grid_ranking,
    grid_units,
    person_name,
    post_ranking,
    road_ranking,
    trend,
)
from grids.models import Level

TABLE_KINDS = ("ranking-center", "ranking-road", "ranking-large", "ranking-community", "ranking-micro",
               "ranking-department", "category", "source", "trend", "campaign-targets", "campaign-category",
               "campaign-grid", "devices", "posts-inspector", "posts-intake", "posts-dispatch", "posts-department")  # fmt: skip
# The campaign tables are of the campaign the slice names (Slice.campaign), over its own period.
CAMPAIGN_KINDS = ("campaign-targets", "campaign-category", "campaign-grid")


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # per row: the unit's own view, if any
    unranked_from: int | None = None  # index of the first row listed without a rank
    hidden: frozenset[int] = frozenset()  # columns (indices) in the exports only, not on the page
    total: list[object] | None = None  # the exports' last row: every unit listed, added up
    unranked_note: str = ""  # what the grey rows lack, where it is not filed cases

    @property
    def screen_columns(self) -> list[str]:
        return [column for n, column in enumerate(self.columns) if n not in self.hidden]

    @functools.cached_property
    def lines(self) -> list[Line]:
        """The rows as the template shows them: an empty cell as "—", the third cell (a unit's name)
        apart, to be a link where the row has one. Prepared here: a ranking of a hundred units is
        1,500 cells, and the template then only prints them."""
        links = self.links or [None] * len(self.rows)
        first = len(self.rows) if self.unranked_from is None else self.unranked_from
        lines = []
        for n, (row, link) in enumerate(zip(self.rows, links, strict=True)):
            # As text here: the template would localise every number on its own, a few times slower;
            # neither language of the product groups digits or uses a decimal comma.
            cells = ["—" if cell is None else str(cell) for n, cell in enumerate(row) if n not in self.hidden]
            lines.append(Line(cells[:2], cells[2] if len(cells) > 2 else "", cells[3:], link, n >= first))
        return lines

    @functools.cached_property
    def body(self) -> str:
        """The rows as HTML table rows, every cell escaped: written here in one pass, the template
        including them whole (a ranking of a hundred units is 1,600 cells; the template language
        takes a few times longer to print them one by one)."""
        rows = []
        for line in self.lines:
            name = (
                format_html('<a href="{}">{}</a>', line.link, line.name) if line.link else conditional_escape(line.name)
            )
            cells = "".join(
                [*(f"<td>{conditional_escape(c)}</td>" for c in line.head), f"<td>{name}</td>",
                 *(f"<td>{conditional_escape(c)}</td>" for c in line.tail)]
            )  # fmt: skip
            rows.append(f'<tr class="unranked">{cells}</tr>' if line.unranked else f"<tr>{cells}</tr>")
        return mark_safe("\n".join(rows))  # noqa: S308 (every piece escaped above)


@dataclass(frozen=True)
class Line:
    head: list[object]
    name: object
    tail: list[object]
    link: str | None
    unranked: bool


def _figure_columns() -> list[str]:
    """The figures of a row: the funnel with each rate's numerator and denominator beside it, then
    the handling figures. Those marked in SCREEN_HIDDEN are in the exports, not on the page."""
    return [
        _("Reports"),
        _("Cases filed"),
        _("Filing rate (%)"),
        _("Counted for closure"),
        _("Closed"),
        _("Closure rate (%)"),
        _("Counted for on-time closure"),
        _("Closed on time"),
        _("On-time closure rate (%)"),
        _("Overdue"),
        _("Rework rate (%)"),
        _("Dispatch accuracy (%)"),
        _("Mean handling time (working hours)"),
        _("Response rate (%)"),
        _("Solution rate (%)"),
        _("Satisfaction rate (%)"),
    ]


# Figure columns (indices into _figure_columns) left to the exports: the page keeps the ranking's
# deciding figures in 1,600 px, the spreadsheet has every numerator and denominator.
SCREEN_HIDDEN = frozenset({2, 3, 6, 7})


def _hidden(offset: int) -> frozenset[int]:
    return frozenset(offset + n for n in SCREEN_HIDDEN)


def _figure_cells(f: Figures) -> list[object]:
    closure, on_time = f.ratio("closure_rate"), f.ratio("on_time_rate")
    return [
        f["reports"],
        f["filed"],
        f.percent("filing_rate"),
        closure.denominator,
        closure.numerator,
        closure.percent,
        on_time.denominator,
        on_time.numerator,
        on_time.percent,
        f["overdue"],
        f.percent("rework_rate"),
        f.percent("dispatch_accuracy"),
        f.mean_handling_hours,
        f.percent("response_rate"),
        f.percent("solution_rate"),
        f.percent("satisfaction_rate"),
    ]


def ranking_table(key: str, title: str, ranked: list[RankedUnit], link=None) -> Table:
    table = Table(key, title, [_("Rank"), _("Code"), _("Name"), *_figure_columns(), _("Composite score"), _("Grade")],
                  hidden=_hidden(3))  # fmt: skip
    for n, r in enumerate(ranked):
        if r.rank is None and table.unranked_from is None:
            table.unranked_from = n
        # An unranked unit (below the minimum count) gets no grade either.
        table.rows.append([r.rank if r.rank is not None else "—", r.unit.code, r.unit.name,
                           *_figure_cells(r.figures), r.figures.score,
                           r.figures.grade if r.ranked else ""])  # fmt: skip
        table.links.append(link(r.unit) if link else None)
    if ranked:
        whole = _sum([r.figures for r in ranked])
        table.total = ["", "", _("Total"), *_figure_cells(whole), whole.score, ""]
    return table


def _sum(units: list[Figures]) -> Figures:
    """The units' figures added up: counts and hours summed, every rate computed from the sums."""
    first = units[0]
    whole = Figures(first.period, first.cut, dict.fromkeys(first.counts, 0), Decimal(0), first.weights, first.basis)
    for f in units:
        for name, value in f.counts.items():
            whole.counts[name] += value
        whole.handling_hours_sum += f.handling_hours_sum
    return whole


def ranking_levels(slice: Slice) -> list[str]:
    """The grid level ranked on the dashboard: the one just below the slice's grid (large grids for
    the whole city). Only that level is shown, a unit's name drilling down to the next: a city of
    40,000 micro grids is not one table (the API and the exports rank any level)."""
    if slice.grid is None:
        return [Level.LARGE]
    return [CHILD_LEVEL[slice.grid.level]] if slice.grid.level in CHILD_LEVEL else []


# The fact column each table groups by.
TABLE_GROUP = {
    "ranking-large": GRID_FIELD[Level.LARGE],
    "ranking-community": GRID_FIELD[Level.COMMUNITY],
    "ranking-micro": GRID_FIELD[Level.MICRO],
    "ranking-department": "department_id",
    "category": "category_id",
    "source": "source",
}


def build_tables(kinds: list[str], *, period: Period, slice: Slice, now: datetime.datetime | None = None,
                 link=None) -> list[Table]:  # fmt: skip
    """Several tables at once (the dashboard's rankings and breakdowns): their figures are read
    together, one statement per table of the rollup (selectors.figures_by_each)."""
    by = figures_by_each(period=period, groups=[TABLE_GROUP[kind] for kind in kinds], slice=slice, now=now)
    return [build_table(kind, period=period, slice=slice, now=now, link=link, figures=by[TABLE_GROUP[kind]])
            for kind in kinds]  # fmt: skip


def build_table(kind: str, *, period: Period, slice: Slice, now: datetime.datetime | None = None,
                link=None, figures=None, everyone: bool = True) -> Table:  # fmt: skip
    """One table; `figures`: the figures per unit if already read (build_tables)."""
    if kind == "ranking-center":
        return ranking_table(kind, _("Ranking: town centers"), center_ranking(period=period, slice=slice, now=now))
    if kind == "ranking-road":
        return ranking_table(kind, _("Ranking: roads"), road_ranking(period=period, slice=slice, now=now))
    if kind.startswith("ranking-") and kind not in ("ranking-department", "ranking-center", "ranking-road"):
        level = kind.removeprefix("ranking-")
        ranked = grid_ranking(period=period, level=level, within=slice.grid, slice=slice, now=now, figures=figures)
        titles = {Level.LARGE: _("Large grids"), Level.COMMUNITY: _("Community grids"), Level.MICRO: _("Micro grids")}
        return ranking_table(kind, _("Ranking: %(level)s") % {"level": titles[level]}, ranked, link)
    if kind == "ranking-department":
        departments = [slice.department] if slice.department is not None else None
        ranked = department_ranking(period=period, slice=slice, departments=departments, now=now, figures=figures)
        table = ranking_table(kind, _("Ranking: departments"), ranked)
        table.hidden |= {1}  # a department's code (sanitation …) is for machines: the page shows its name
        return table
    if kind in ("category", "source"):
        title = _("By category") if kind == "category" else _("By source")
        table = Table(kind, title, [_("Category") if kind == "category" else _("Source"), *_figure_columns()],
                      hidden=_hidden(1))  # fmt: skip
        rows = breakdown(period=period, by=kind, slice=slice, now=now, figures=figures)
        for name, f in rows:
            table.rows.append([name, *_figure_cells(f)])
        if rows and kind == "source":  # a case has one source (its category may be unset: no total there)
            table.total = [_("Total"), *_figure_cells(_sum([f for _name, f in rows]))]
        return table
    if kind == "trend":
        table = Table(kind, _("Monthly trend"), [_("Month"), *_figure_columns(), _("Composite score")],
                      hidden=_hidden(1))  # fmt: skip
        for f in trend(period=trend_period(period), slice=slice, now=now):
            table.rows.append([f.period.label, *_figure_cells(f), f.score])
        return table
    if kind in CAMPAIGN_KINDS:
        if slice.campaign is None:
            raise ValueError(f"{kind} needs a campaign")
        return campaign_table(kind, campaign_figures(campaign=slice.campaign, slice=slice, now=now))
    if kind == "devices":
        return devices_table(alert_figures(period=period, now=now))
    if kind.startswith("posts-"):
        return post_table(kind.removeprefix("posts-"), period=period, slice=slice, now=now, everyone=everyone)
    raise ValueError(kind)


def post_table(post: str, *, period: Period, slice: Slice, now=None, everyone: bool = True) -> Table:
    """A post's ranking (岗位考评): per person, each rate with its numerator and denominator; for
    the departments, on-time handling, rework and send-backs."""
    if post == "department":
        departments = [slice.department] if slice.department is not None else None
        ranked = department_post_ranking(period=period, slice=slice, now=now, departments=departments)
        table = Table("posts-department", _("Posts: departments"), [
            _("Rank"), _("Code"), _("Department"), _("Handled, not suspended"), _("Handled on time"),
            _("On-time handling rate (%)"), _("Handled"), _("Reworked"), _("Rework rate (%)"), _("Send-backs"),
        ], hidden=frozenset({1}))  # fmt: skip
        table.unranked_note = _("Departments shown in grey have handled fewer cases than the minimum and are listed "
                                "without a rank.")  # fmt: skip
        for n, r in enumerate(ranked):
            f = r.figures
            if r.rank is None and table.unranked_from is None:
                table.unranked_from = n
            table.rows.append([r.rank if r.ranked else "—", r.unit.code, r.unit.name, f["handled_base"],
                               f["handled_on_time"], f.percent("on_time_handling_rate"), f["handled"], f["reworked"],
                               f.percent("rework_rate"), f["send_backs"]])  # fmt: skip
        if ranked:
            whole = _sum([r.figures for r in ranked])
            table.total = ["", "", _("Total"), whole["handled_base"], whole["handled_on_time"],
                           whole.percent("on_time_handling_rate"), whole["handled"], whole["reworked"],
                           whole.percent("rework_rate"), whole["send_backs"]]  # fmt: skip
        return table
    definition = POSTS[post]
    ranked = post_ranking(period=period, post=post, slice=slice, everyone=everyone, now=now)
    columns = [_("Rank"), _("Account"), _("Name")]
    for rate in definition.rates:
        columns += [_("%(rate)s: steps") % {"rate": rate.label}, _("%(rate)s: good") % {"rate": rate.label},
                    _("%(rate)s (%%)") % {"rate": rate.label}]  # fmt: skip
    table = Table(f"posts-{post}", _("Posts: %(post)s") % {"post": definition.label}, columns,
                  hidden=frozenset(3 + 3 * n + k for n in range(len(definition.rates)) for k in (0, 1)))  # fmt: skip
    table.unranked_note = _("People shown in grey have fewer steps than the minimum count and are listed without a "
                            "rank.")  # fmt: skip
    totals_done: dict[str, int] = {}
    totals_good: dict[str, int] = {}
    for n, r in enumerate(ranked):
        if r.rank is None and table.unranked_from is None:
            table.unranked_from = n
        row = [r.rank if r.ranked else "—", r.person.get_username(), person_name(r.person)]
        for rate in definition.rates:
            ratio = r.figures.ratio(rate.name)
            row += [ratio.denominator, ratio.numerator, ratio.percent]
            totals_done[rate.step] = totals_done.get(rate.step, 0) + ratio.denominator
            totals_good[rate.step] = totals_good.get(rate.step, 0) + ratio.numerator
        table.rows.append(row)
    if ranked:
        whole = PersonFigures(definition, totals_done, totals_good)
        table.total = ["", "", _("Total")]
        for rate in definition.rates:
            ratio = whole.ratio(rate.name)
            table.total += [ratio.denominator, ratio.numerator, ratio.percent]
    return table


def campaign_table(kind: str, c: CampaignFigures) -> Table:
    """A campaign's targets against its figures, or its figures by subcategory or by community grid."""
    if kind == "campaign-targets":
        table = Table(kind, _("Targets"), [_("Figure"), _("Subcategory"), _("Target"), _("So far"), _("Reached (%)")])
        for t in c.targets:
            category = t.target.category.name if t.target.category_id else _("All subcategories")
            table.rows.append([t.target.get_figure_display(), category, t.target.amount, t.actual, t.percent])
        return table
    columns = [_("Found (reports)"), _("Filed"), _("Handled"), _("Closed"), _("Closure rate (%)"),
               _("On-time closure rate (%)"), _("Overdue")]  # fmt: skip
    if kind == "campaign-category":
        table = Table(kind, _("By subcategory"), [_("Code"), _("Subcategory"), *columns])
        rows = [(category.full_code, category.name, f) for category, f in c.by_category]
    else:
        table = Table(kind, _("By community grid"), [_("Code"), _("Grid"), *columns])
        rows = [(grid.code, grid.name, f) for grid, f in c.by_grid]
    for code, name, f in rows:
        table.rows.append([code, name, f["reports"], f["assessed"], f["handled"], f["closed"],
                           f.percent("closure_rate"), f.percent("on_time_rate"), f["overdue"]])  # fmt: skip
    return table


def devices_table(rows: list[AlertFigures]) -> Table:
    table = Table("devices", _("Device alerts"), [
        _("Device id"), _("Device"), _("Event type"), ALERT_COUNTS["alerts"].label,
        ALERT_COUNTS["auto_filed"].label, _("Auto-filed share (%)"), ALERT_COUNTS["held"].label,
        ALERT_COUNTS["merged"].label, ALERT_COUNTS["false_alarms"].label, _("False-alarm share (%)"),
    ])  # fmt: skip
    for f in rows:
        table.rows.append([f.device.code, f.device.name, f.event_type.name, f["alerts"], f["auto_filed"],
                           f.percent("auto_filed_share"), f["held"], f["merged"], f["false_alarms"],
                           f.percent("false_alarm_share")])  # fmt: skip
    return table


def trend_period(period: Period) -> Period:
    """The twelve months up to the end of `period`."""
    end = period.end
    start = datetime.date(end.year - 1, end.month, 1)
    start = datetime.date(start.year + (start.month // 12), start.month % 12 + 1, 1)
    return Period.custom(start, end)


# ---- exports ------------------------------------------------------------------------

# A table of more rows than this is exported in the background, with progress (a ranking of a
# city's micro grids: 40,000 in Shanghai); a shorter one while the browser waits.
EXPORT_INLINE_ROWS = 5_000


def table_size(kind: str, *, slice: Slice) -> int:
    """How many rows a table will have, at most, without computing it (one count for a grid
    ranking: its grids; the other tables are short)."""
    if not kind.startswith("ranking-") or kind in ("ranking-department", "ranking-center", "ranking-road"):
        return 0
    among = slice.center_tops if slice.grid is None else ()
    return grid_units(level=kind.removeprefix("ranking-"), within=slice.grid, among=among).count()


def export_heading(table: Table, period: Period, slice: Slice) -> list[str]:
    return [table.title, _("Period: %(period)s") % {"period": period.label}, slice_text(slice)]


def slice_text(slice: Slice) -> str:
    parts = []
    if slice.center is not None:
        parts.append(slice.center.name)
    if slice.grid is not None:
        parts.append(f"{slice.grid.get_level_display()} {slice.grid.name}")
    if slice.department is not None:
        parts.append(slice.department.name)
    if slice.chief is not None:
        parts.append(slice.chief.name)
    if slice.category is not None:
        parts.append(slice.category.name)
    if slice.source:
        parts.append(slice.source)
    if slice.campaign is not None:
        parts.append(slice.campaign.name)
    return _("Scope: %(scope)s") % {"scope": "，".join(parts) if parts else _("the whole city")}


def table_file(table: Table, heading: list[str], fmt: str, period: Period, progress=None) -> tuple[bytes, str]:
    """The export's content and file name; `progress(fraction)` as the rows are written."""
    name = f"{table.key}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    content = table_csv(table, heading) if fmt == "csv" else table_xlsx(table, heading, progress=progress)
    return content, name


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return float(value)
    return value


def table_csv(table: Table, heading: list[str]) -> bytes:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it with the right characters."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in heading:
        writer.writerow([line])
    writer.writerow(table.columns)
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _width(value: object) -> int:
    """Columns as wide as their text: a Chinese character takes two places."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value if value is not None else ""))


def _number_format(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return "0.00"  # rates in per cent, hours, scores: always two decimals (88.89, 100.00)
    if isinstance(value, int):
        return "#,##0"
    return None


def table_xlsx(table: Table, heading: list[str], progress=None) -> bytes:
    """The table as a worksheet: the heading lines, a bold header row frozen with the unit's name
    (scrolling keeps both in view), numbers as numbers with their format (counts "#,##0", rates,
    hours and scores "0.00"), a bold total row, and columns as wide as their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    for line in heading:
        sheet.append([line])
    sheet.append(table.columns)
    header = sheet.max_row
    for cell in sheet[header]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [min(_width(column), 24) for column in table.columns]
    rows = [*table.rows, *([table.total] if table.total else [])]
    for n, row in enumerate(rows, start=1):
        sheet.append([_plain(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            number_format = _number_format(value)
            if number_format:
                cell.number_format = number_format
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _width(value if not isinstance(value, Decimal) else f"{value:.2f}"))
        if progress is not None and n % 2000 == 0:
            progress(n / len(rows))
    if table.total:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 40)
    name_column = 3 if table.columns[:1] == [_("Rank")] else 1  # rankings: rank, code, name
    sheet.freeze_panes = sheet.cell(row=header + 1, column=name_column + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
