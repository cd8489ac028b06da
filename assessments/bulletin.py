"""The monthly and quarterly bulletin (工作简报): its content from the selectors, and its PDF.

The page and the PDF are drawn from the same list of sections (`bulletin_sections`: headings,
paragraphs and tables of strings), so they show the same content, not only the same figures.
The PDF is drawn with reportlab: a CJK font file when the machine has one
(WenQuanYi Micro Hei, Noto CJK), else reportlab's built-in CID font STSong-Light,
which needs no file at all (the viewer supplies the glyphs).
"""

from __future__ import annotations

import datetime
import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from assessments.selectors import (
    ALL,
    RATES,
    CampaignFigures,
    Change,
    Comparison,
    Figures,
    Period,
    RankedUnit,
    Slice,
    campaigns_figures,
    change,
    comparison,
    department_ranking,
    funnel,
    grid_ranking,
    metric_cases,
    overdue_now,
    trend,
)
from grids.models import Level

logger = logging.getLogger(__name__)
TOP = 3
NOTABLE = 10


@dataclass
class Bulletin:
    period: Period
    title: str
    made_at: datetime.datetime
    compared: Comparison
    overdue_now: int
    grid_level: str
    grid_top: list[RankedUnit]
    grid_bottom: list[RankedUnit]
    grid_unranked: int
    department_top: list[RankedUnit]
    department_bottom: list[RankedUnit]
    months: list[Figures]
    overdue_cases: list[dict]
    campaigns: list[CampaignFigures] = field(default_factory=list)
    posts: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    slice_text: str = ""

    @property
    def current(self) -> Figures:
        return self.compared.current

    @property
    def made_text(self) -> str:
        """The line under the title: whose figures, made when, counted up to when."""
        return f"{self.slice_text} · " + _("Made %(when)s; figures as of %(cut)s.") % {
            "when": timezone.localtime(self.made_at).strftime("%Y-%m-%d %H:%M"),
            "cut": timezone.localtime(self.current.cut).strftime("%Y-%m-%d %H:%M"),
        }


def _top_bottom(ranked: list[RankedUnit]) -> tuple[list[RankedUnit], list[RankedUnit], int]:
    ranked_only = [r for r in ranked if r.ranked]
    top = ranked_only[:TOP]
    bottom = [r for r in ranked_only[-TOP:] if r not in top][::-1]
    return top, bottom, len(ranked) - len(ranked_only)


def bulletin_data(*, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None,
                  progress: Callable[[int], None] | None = None) -> Bulletin:  # fmt: skip
    now = now or timezone.now()
    step = progress or (lambda percent: None)
    compared = comparison(period=period, slice=slice, now=now)
    step(20)
    level = Level.COMMUNITY
    if slice.grid is not None:
        level = {Level.DISTRICT: Level.LARGE, Level.LARGE: Level.COMMUNITY}.get(slice.grid.level, Level.MICRO)
    grids = grid_ranking(period=period, level=level, within=slice.grid, slice=slice, now=now)
    grid_top, grid_bottom, grid_unranked = _top_bottom(grids)
    step(40)
    departments = department_ranking(
        period=period, slice=slice, now=now, departments=[slice.department] if slice.department else None
    )
    department_top, department_bottom, _unranked = _top_bottom(departments)
    step(60)
    if period.kind == "quarter":
        months = trend(period=period, slice=slice, now=now)
    else:
        start = period.start
        for _i in range(5):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
        months = trend(period=Period.custom(start, period.end), slice=slice, now=now)
    step(75)
    late = metric_cases(name="overdue", period=period, slice=slice, now=now)
    overdue_cases = []
    for case in late.annotate(late_since=F("fact__late_at")).order_by("late_since", "pk")[:NOTABLE]:
        overdue_cases.append({
            "tracking_number": case.tracking_number, "category": case.category.name if case.category else "",
            "grid": case.micro_grid.name if case.micro_grid else "", "address": case.address,
            "department": case.department.name if case.department else "",
            "late_since": timezone.localtime(case.late_since) if case.late_since else None,
            "status": case.get_status_display(), "pk": case.pk,
        })  # fmt: skip
    campaigns = campaigns_figures(period=period, slice=slice, now=now)
    step(80)
    posts = post_sections(period=period, slice=slice, now=now)
    step(85)
    from assessments.tables import slice_text

    kind = _("Monthly") if period.kind == "month" else _("Quarterly")
    return Bulletin(
        period=period,
        title=_("%(kind)s bulletin of digital city management, %(period)s") % {"kind": kind, "period": period.label},
        made_at=now,
        compared=compared,
        overdue_now=overdue_now(slice=slice, now=now),
        grid_level=level,
        grid_top=grid_top,
        grid_bottom=grid_bottom,
        grid_unranked=grid_unranked,
        department_top=department_top,
        department_bottom=department_bottom,
        months=months,
        overdue_cases=overdue_cases,
        campaigns=campaigns,
        posts=posts,
        slice_text=slice_text(slice),
    )


# ---- PDF -----------------------------------------------------------------------------

FONT_FILES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
]


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if "BulletinCJK" in pdfmetrics.getRegisteredFontNames():
        return "BulletinCJK"
    for path, index in FONT_FILES:
        if os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont("BulletinCJK", path, subfontIndex=index))
                return "BulletinCJK"
            except Exception:  # noqa: BLE001 (a font the library cannot read: try the next)
                logger.warning("bulletin PDF: cannot use the font %s", path, exc_info=True)
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def change_text(c: Change, *, percent: bool) -> str:
    """A change as the page and the bulletin write it: "+3 (+5.26%)", a rate's "+2.10pp (+2.30%)"
    (in Chinese "+2.10个百分点（+2.30%）")."""
    if c.difference is None:
        return "—"
    unit = _("pp") if percent else ""
    text = f"{'+' if c.difference >= 0 else ''}{c.difference}{unit}"
    if c.relative is not None:
        text = _("%(difference)s (%(relative)s%%)") % {
            "difference": text,
            "relative": f"{'+' if c.relative >= 0 else ''}{c.relative}",
        }
    return text


def _delta(current, previous, percent: bool) -> str:
    return change_text(change(current, previous), percent=percent)


def headline_rows(b: Bulletin) -> list[list[str]]:
    """The headline table of the page and the PDF: figure, value, 环比, 同比. First the funnel
    (上报 → 立案 → [应结案 →] 结案 → 按期结案, each step's rate after it), then the handling figures."""
    c, p, y = b.compared.current, b.compared.previous, b.compared.year_earlier
    rows = [[_("Figure"), _("This period"), _("Change on previous period"), _("Change on a year earlier")]]
    before = {step.key: step for step in funnel(p)}
    year = {step.key: step for step in funnel(y)}
    for step in funnel(c):
        rows.append([str(step.label), str(step.value), _delta(step.value, before[step.key].value, False),
                     _delta(step.value, year[step.key].value, False)])  # fmt: skip
        if step.rate:
            now_, then, last = step.ratio.percent, before[step.key].ratio.percent, year[step.key].ratio.percent
            rows.append([str(RATES[step.rate].label), _pct(now_), _delta(now_, then, True), _delta(now_, last, True)])
    rows.append([_("Overdue"), str(c["overdue"]), _delta(c["overdue"], p["overdue"], False),
                 _delta(c["overdue"], y["overdue"], False)])  # fmt: skip
    for label, key in ((_("Rework rate"), "rework_rate"), (_("Dispatch accuracy"), "dispatch_accuracy"),
                       (_("Response rate"), "response_rate"), (_("Solution rate"), "solution_rate"),
                       (_("Satisfaction rate"), "satisfaction_rate")):  # fmt: skip
        rows.append([label, _pct(c.percent(key)), _delta(c.percent(key), p.percent(key), True),
                     _delta(c.percent(key), y.percent(key), True)])  # fmt: skip
    hours = c.mean_handling_hours
    rows.append([_("Mean handling time (working hours)"), "—" if hours is None else str(hours), "", ""])
    rows.append([_("Composite score"), "—" if c.score is None else f"{c.score} ({c.grade})", "", ""])
    return rows


def trend_rows(b: Bulletin) -> list[list[str]]:
    """The monthly trend of the bulletin and of an issue: each month's cases filed, and the
    closure rate's own numerator and denominator (on the basis asked for), so the rate can be
    checked by hand from the row."""
    rows = [[_("Month"), _("Filed"), _("Counted for closure"), _("Closed"), _("Closure rate"),
             _("On-time closure rate")]]  # fmt: skip
    for f in b.months:
        closure = f.ratio("closure_rate")
        rows.append([f.period.label, str(f["filed"]), str(closure.denominator), str(closure.numerator),
                     _pct(f.percent("closure_rate")), _pct(f.percent("on_time_rate"))])  # fmt: skip
    return rows


def ranking_rows(units: list[RankedUnit]) -> list[list[str]]:
    rows = [[_("Rank"), _("Name"), _("Counted for closure"), _("Closure rate"), _("On-time closure rate"),
             _("Composite score")]]  # fmt: skip
    for r in units:
        f = r.figures
        rows.append([str(r.rank), r.unit.name, str(f.ratio("closure_rate").denominator), _pct(f.percent("closure_rate")),
                     _pct(f.percent("on_time_rate")), "—" if f.score is None else f"{f.score} {f.grade}"])  # fmt: skip
    return rows


class Link(str):
    """A table cell the page shows as a link (the PDF prints its text)."""

    href = ""

    def __new__(cls, text: str, href: str):
        cell = super().__new__(cls, text)
        cell.href = href
        return cell


@dataclass
class DocTable:
    rows: list[list[str]]  # the header first
    heading: str = ""
    empty: str = ""  # said instead of a table without rows
    id: str = ""


@dataclass
class DocSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[DocTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # small print after the tables
    id: str = ""


def bulletin_sections(b: Bulletin) -> list[DocSection]:
    """The bulletin's content in order, as the printable page and the PDF both draw it."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    none = _("None.")
    unranked = []
    if b.grid_unranked:
        unranked = [ngettext("%(n)s unit had too few cases to be ranked.",
                             "%(n)s units had too few cases to be ranked.", b.grid_unranked) % {"n": b.grid_unranked}]  # fmt: skip
    overdue = [[_("Tracking number"), _("Category"), _("Grid"), _("Department"), _("Late since"), _("Status")]]
    for case in b.overdue_cases:
        since = case["late_since"].strftime("%Y-%m-%d %H:%M") if case["late_since"] else ""
        overdue.append([Link(case["tracking_number"], reverse("cases:detail", args=[case["pk"]])), case["category"],
                        case["grid"], case["department"], since, case["status"]])  # fmt: skip
    return [
        DocSection(
            _("1. Headline figures"),
            paragraphs=[summary_sentence(b)],
            tables=[DocTable(headline_rows(b), id="bulletin-headline")],
        ),  # fmt: skip
        DocSection(
            _("2. Rankings"),
            tables=[
                DocTable(ranking_rows(units), heading=heading, empty=none)
                for heading, units in (
                    (_("Best units"), b.grid_top),
                    (_("Units to improve"), b.grid_bottom),
                    (_("Departments: best"), b.department_top),
                    (_("Departments: to improve"), b.department_bottom),
                )
            ],
            notes=unranked,
        ),  # fmt: skip
        DocSection(_("3. Trend"), tables=[DocTable(trend_rows(b), id="bulletin-trend")]),
        DocSection(
            _("4. Notable overdue cases"),
            tables=[
                DocTable(overdue, empty=_("No case filed in the period ran past its deadline."), id="bulletin-overdue")
            ],
        ),  # fmt: skip
        DocSection(
            _("5. Campaigns"),
            tables=[
                DocTable(
                    campaign_rows(b) if b.campaigns else [],
                    empty=_("No campaign ran in the period."),
                    id="bulletin-campaigns",
                )
            ],
        ),  # fmt: skip
        DocSection(
            _("6. Evaluation of posts"),
            id="bulletin-posts",
            tables=[
                DocTable(rows, heading=title, empty=_("No one reached the minimum count.")) for title, rows in b.posts
            ],
        ),  # fmt: skip
    ]


def bulletin_pdf(b: Bulletin, *, progress: Callable[[int], None] | None = None) -> bytes:
    """The bulletin's PDF: the page's sections, in its order. A table repeats its header on a new
    page and a short one is kept on one page with its heading."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    title = ParagraphStyle(
        "t", fontName=font, fontSize=18, leading=26, alignment=1, textColor=colors.HexColor("#b42318")
    )
    h2 = ParagraphStyle("h", fontName=font, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    h3 = ParagraphStyle("h3", fontName=font, fontSize=11, leading=16, spaceBefore=4, spaceAfter=2)
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15)
    small = ParagraphStyle("s", fontName=font, fontSize=8.5, leading=13, textColor=colors.HexColor("#555555"))
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0fd")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ])  # fmt: skip
    story = [
        Paragraph(escape(b.title), title),
        Paragraph(escape(b.made_text), small),
        Spacer(1, 4 * mm),
    ]
    if progress:
        progress(90)
    for section in bulletin_sections(b):
        story.append(Paragraph(escape(section.heading), h2))
        story += [Paragraph(escape(text), body) for text in section.paragraphs]
        for t in section.tables:
            head = [Paragraph(escape(t.heading), h3)] if t.heading else []
            if len(t.rows) <= 1:
                story.append(KeepTogether([*head, Paragraph(escape(t.empty), body)]))
                continue
            table = Table([[str(cell) for cell in row] for row in t.rows], style=style, hAlign="LEFT", repeatRows=1)
            story += [KeepTogether([*head, table])] if len(t.rows) <= 25 else [*head, table]
            story.append(Spacer(1, 2 * mm))
        story += [Paragraph(escape(text), small) for text in section.notes]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=b.title, leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()


def campaign_rows(b: Bulletin) -> list[list[str]]:
    """The campaigns of the period (专项整治), each over its own period, against its targets."""
    rows = [[_("Campaign"), _("Period"), _("Problems found"), _("Handled"), _("Closed"), _("Closure rate"),
             _("Targets")]]  # fmt: skip
    for c in b.campaigns:
        f = c.figures
        targets = "; ".join(
            f"{t.target.get_figure_display()}{' ' + t.target.category.name if t.target.category_id else ''} "
            f"{t.actual}/{t.target.amount}"
            for t in c.targets
        )
        rows.append([c.campaign.name, c.period.label, str(f["reports"]), str(f["handled"]), str(f["closed"]),
                     _pct(f.percent("closure_rate")), targets or "—"])  # fmt: skip
    return rows


def summary_sentence(b: Bulletin) -> str:
    c = b.current
    return _(
        "In %(period)s, %(reports)s reports were received and %(filed)s cases filed; %(closed)s were closed "
        "(closure rate %(closure)s, on time %(on_time)s). %(overdue)s cases ran late; %(overdue_now)s open cases "
        "are overdue now."
    ) % {
        "period": b.period.label, "reports": c["reports"], "filed": c["filed"],
        "closed": c.ratio("closure_rate").numerator,
        "closure": _pct(c.percent("closure_rate")), "on_time": _pct(c.percent("on_time_rate")),
        "overdue": c["overdue"], "overdue_now": b.overdue_now,
    }  # fmt: skip


# ---- the evaluation of posts (岗位考评), as a section a bulletin can include ----------------------


def post_sections(*, period: Period, slice: Slice = ALL, now: datetime.datetime | None = None,
                  top: int = TOP) -> list[tuple[str, list[list[str]]]]:  # fmt: skip
    """Per post type, its best `top` (people ranked, or departments): a title and table rows (the
    header first) — the same rankings as the posts page, the API and the exports."""
    from assessments.selectors import POSTS, department_post_ranking, person_name, post_ranking

    sections = []
    for name, post in POSTS.items():
        ranked = [r for r in post_ranking(period=period, post=name, slice=slice, now=now) if r.ranked][:top]
        rows = [[_("Rank"), _("Name"), *(str(rate.label) for rate in post.rates)]]
        for r in ranked:
            rows.append(
                [str(r.rank), person_name(r.person), *(_pct(r.figures.percent(rate.name)) for rate in post.rates)]
            )
        sections.append((str(post.label), rows))
    departments = [r for r in department_post_ranking(period=period, slice=slice, now=now) if r.ranked][:top]
    rows = [[_("Rank"), _("Name"), str(RATES["on_time_handling_rate"].label), str(RATES["rework_rate"].label),
             _("Send-backs")]]  # fmt: skip
    for r in departments:
        f = r.figures
        rows.append([str(r.rank), r.unit.name, _pct(f.percent("on_time_handling_rate")), _pct(f.percent("rework_rate")),
                     str(f["send_backs"])])  # fmt: skip
    sections.append((_("Departments"), rows))
    return sections
