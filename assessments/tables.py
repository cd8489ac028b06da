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
    AlertFigures,
    CampaignFigures,
    Figures,
    Period,
    RankedUnit,
    Slice,
    alert_figures,
    breakdown,
    campaign_figures,
    center_ranking,
    department_ranking,
    figures_by_each,
    grid_ranking,
    grid_units,
    road_ranking,
    trend,
)
from grids.models import Level

TABLE_KINDS = ("ranking-center", "ranking-road", "ranking-large", "ranking-community", "ranking-micro", "ranking-department", "category", "source",
               "trend", "campaign-targets", "campaign-category", "campaign-grid", "devices")  # fmt: skip
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
            cells = ["—" if cell is None else str(cell) for cell in row]
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
    return [
        _("Reports"),
        _("Filed"),
        _("Closed"),
        _("Closure rate (%)"),
        _("On-time closure rate (%)"),
        _("Overdue"),
        _("Rework rate (%)"),
        _("Dispatch accuracy (%)"),
        _("Mean handling time (working hours)"),
    ]


def _figure_cells(f: Figures) -> list[object]:
    return [
        f["reports"],
        f["assessed"],
        f["closed"],
        f.percent("closure_rate"),
        f.percent("on_time_rate"),
        f["overdue"],
        f.percent("rework_rate"),
        f.percent("dispatch_accuracy"),
        f.mean_handling_hours,
    ]


def ranking_table(key: str, title: str, ranked: list[RankedUnit], link=None) -> Table:
    table = Table(key, title, [_("Rank"), _("Code"), _("Name"), *_figure_columns(), _("Composite score"), _("Grade")])
    for n, r in enumerate(ranked):
        if r.rank is None and table.unranked_from is None:
            table.unranked_from = n
        table.rows.append([r.rank if r.rank is not None else "—", r.unit.code, r.unit.name,
                           *_figure_cells(r.figures), r.figures.score, r.figures.grade])  # fmt: skip
        table.links.append(link(r.unit) if link else None)
    return table


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
                link=None, figures=None) -> Table:  # fmt: skip
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
        return ranking_table(kind, _("Ranking: departments"), ranked)
    if kind in ("category", "source"):
        title = _("By category") if kind == "category" else _("By source")
        table = Table(kind, title, [_("Category") if kind == "category" else _("Source"), *_figure_columns()])
        for name, f in breakdown(period=period, by=kind, slice=slice, now=now, figures=figures):
            table.rows.append([name, *_figure_cells(f)])
        return table
    if kind == "trend":
        table = Table(kind, _("Monthly trend"), [_("Month"), *_figure_columns(), _("Composite score")])
        for f in trend(period=trend_period(period), slice=slice, now=now):
            table.rows.append([f.period.label, *_figure_cells(f), f.score])
        return table
    if kind in CAMPAIGN_KINDS:
        if slice.campaign is None:
            raise ValueError(f"{kind} needs a campaign")
        return campaign_table(kind, campaign_figures(campaign=slice.campaign, slice=slice, now=now))
    if kind == "devices":
        return devices_table(alert_figures(period=period, now=now))
    raise ValueError(kind)


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
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table, heading: list[str], progress=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.key[:31]
    for line in heading:
        sheet.append([line])
    sheet.append(table.columns)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for n, row in enumerate(table.rows, start=1):
        sheet.append([_plain(v) for v in row])
        if progress is not None and n % 2000 == 0:
            progress(n / len(table.rows))
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column[len(heading) :]) if sheet.max_row > len(heading) else 8
        sheet.column_dimensions[column[0].column_letter].width = min(max(width * 1.6, 8), 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
