"""The bulletin as an official document (工作简报): numbered issues, the issuing office, the date
in Chinese, the narrative sections, the rankings and the 红黑榜, the distribution footer.

An issue's whole content is one plain dictionary (`issue_document`), built from the same
selectors as every other figure (through bulletin.bulletin_data). The printable page and the
PDF are both drawn from it, so they carry the same content; publishing stores it in the issue
(BulletinIssue.content) and from then on the page and the PDF read the stored one: a published
issue never changes, whatever happens to its cases afterwards.
"""

from __future__ import annotations

import datetime
import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.bulletin import (
    Bulletin,
    _font,
    _pct,
    bulletin_data,
    campaign_rows,
    headline_rows,
    summary_sentence,
    trend_rows,
)
from assessments.models import AssessmentSettings, BulletinIssue
from assessments.selectors import ALL, Period, RankedUnit, assessment_settings, department_ranking, grid_ranking
from grids.models import Grid, Level

DIGITS = "〇一二三四五六七八九"


def _small_number(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 20 → 二十, 31 → 三十一 (months and days)."""
    tens, units = divmod(n, 10)
    text = (DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return text + (DIGITS[units] if units else "")


def chinese_date(day: datetime.date, style: str = "numerals") -> str:
    """二〇二六年十二月四日 (numerals) or 2026年12月4日 (digits), as official documents write it; in
    English, 4 December 2026."""
    if not (translation.get_language() or "zh").startswith("zh"):
        return f"{day.day} {day:%B %Y}"
    if style == "digits":
        return f"{day.year}年{day.month}月{day.day}日"
    year = "".join(DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_small_number(day.month)}月{_small_number(day.day)}日"


def issue_period(issue: BulletinIssue) -> Period:
    return Period(issue.kind, issue.start, issue.end)


def _ranking_rows(units: list[RankedUnit]) -> list[list[str]]:
    rows = [[_("Rank"), _("Name"), _("Filed"), _("Closure rate"), _("On-time closure rate"), _("Satisfaction rate"),
             _("Composite score"), _("Grade")]]  # fmt: skip
    for r in units:
        f = r.figures
        rows.append([
            str(r.rank) if r.ranked else "—", r.unit.name, str(f["assessed"]), _pct(f.percent("closure_rate")),
            _pct(f.percent("on_time_rate")), _pct(f.percent("satisfaction_rate")),
            "—" if f.score is None else str(f.score), f.grade if r.ranked else "",
        ])  # fmt: skip
    return rows


def _honour(units: list[RankedUnit], n: int) -> tuple[list[RankedUnit], list[RankedUnit]]:
    """红榜: the first n ranked units; 黑榜: the last n ranked units (worst first), none in both."""
    ranked = [r for r in units if r.ranked]
    red = ranked[:n]
    black = [r for r in ranked[-n:] if r not in red][::-1]
    return red, black


def _talk_list(black_grids: list[RankedUnit], black_departments: list[RankedUnit]) -> list[list[str]]:
    """The units of the 黑榜 listed for a talk (约谈), with the grid chief who answers for each grid."""
    chiefs = dict(
        Grid.objects.filter(pk__in=[r.unit.pk for r in black_grids]).values_list("pk", "chief__name")
    )  # one query
    rows = [[_("Unit"), _("Responsible"), _("Composite score"), _("Rank")]]
    for r in black_grids:
        rows.append([r.unit.name, chiefs.get(r.unit.pk) or "—", str(r.figures.score), str(r.rank)])
    for r in black_departments:
        rows.append([r.unit.name, _("the department's head"), str(r.figures.score), str(r.rank)])
    return rows


def issue_document(issue: BulletinIssue, *, now: datetime.datetime | None = None) -> dict:
    """The issue's content: the stored one once published, else built from the figures now."""
    if issue.status == BulletinIssue.Status.PUBLISHED and issue.content:
        return issue.content
    return build_document(issue, now=now)


def build_document(issue: BulletinIssue, *, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    period = issue_period(issue)
    cfg: AssessmentSettings = assessment_settings()
    b: Bulletin = bulletin_data(period=period, slice=ALL, now=now)
    n = cfg.bulletin_honour_count
    large = grid_ranking(period=period, level=Level.LARGE, now=now)
    community = grid_ranking(period=period, level=Level.COMMUNITY, now=now)
    departments = department_ranking(period=period, now=now)
    red, black = _honour(community, n)
    red_d, black_d = _honour(departments, n)
    kind = _("Monthly") if issue.kind == BulletinIssue.Kind.MONTH else _("Quarterly")
    published = issue.status == BulletinIssue.Status.PUBLISHED
    day = issue.issued_on or timezone.localdate(now)
    scored = [r for r in community if r.ranked]
    sections = [
        ("work_news", _("Work news"), issue.work_news),
        ("problems", _("Problems"), issue.problems),
        ("next_steps", _("Next steps"), issue.next_steps),
    ]
    return {
        "title": _("Bulletin of digital city management (%(kind)s)") % {"kind": kind},
        "issue_label": (_("No. %(number)s") % {"number": issue.number}) if issue.number else _("(draft)"),
        "office": cfg.bulletin_office,
        "date_text": chinese_date(day, cfg.bulletin_date_style),
        "period_label": period.label,
        "made_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "cut": timezone.localtime(b.current.cut).strftime("%Y-%m-%d %H:%M"),
        "summary": summary_sentence(b),
        "headline": headline_rows(b),
        "rankings": [
            {
                "id": "large",
                "heading": _("Ranking of the large grids (towns and streets)"),
                "rows": _ranking_rows(large),
            },
            {"id": "community", "heading": _("Ranking of the community grids"), "rows": _ranking_rows(community)},
            {"id": "department", "heading": _("Ranking of the departments"), "rows": _ranking_rows(departments)},
        ],
        "honour": {
            "n": n,
            "red": _ranking_rows(red + red_d),
            "black": _ranking_rows(black + black_d),
            "talk": _talk_list(black, black_d),
        },
        "trend": trend_rows(b),
        "charts": {
            "trend": {
                "labels": [f.period.label for f in b.months],
                "closure": [float(f.percent("closure_rate") or 0) for f in b.months],
                "on_time": [float(f.percent("on_time_rate") or 0) for f in b.months],
                "names": [_("Closure rate"), _("On-time closure rate")],
            },
            "ranking": {
                "labels": [r.unit.name for r in scored],
                "scores": [float(r.figures.score or 0) for r in scored],
                "name": _("Composite score"),
            },
        },
        "overdue": [[_("Tracking number"), _("Category"), _("Grid"), _("Department"), _("Late since")]]
        + [
            [
                c["tracking_number"],
                c["category"],
                c["grid"],
                c["department"],
                c["late_since"].strftime("%Y-%m-%d %H:%M") if c["late_since"] else "",
            ]
            for c in b.overdue_cases
        ],  # fmt: skip
        "campaigns": campaign_rows(b) if b.campaigns else [],
        "posts": [{"heading": heading, "rows": rows} for heading, rows in b.posts],
        "sections": [{"id": key, "heading": heading, "text": text} for key, heading, text in sections],
        "footer": [
            [label, text]
            for label, text in (
                (_("Reported to"), cfg.bulletin_report_to),
                (_("Sent to"), cfg.bulletin_send_to),
                (_("Issued to"), cfg.bulletin_issue_to),
            )  # fmt: skip
            if text
        ],
        "published": published,
    }


# ---- PDF -----------------------------------------------------------------------------------------


def _trend_chart(data: dict, font: str):
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(480, 170)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 420, 110
    chart.data = [data["closure"] or [0], data["on_time"] or [0]]
    chart.categoryAxis.categoryNames = data["labels"] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.lines[0].strokeColor = colors.HexColor("#0f766e")
    chart.lines[1].strokeColor = colors.HexColor("#c2410c")
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 60, 165, font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(colors.HexColor("#0f766e"), data["names"][0]),
                             (colors.HexColor("#c2410c"), data["names"][1])]  # fmt: skip
    drawing.add(legend)
    return drawing


def _ranking_chart(data: dict, font: str):
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    labels = data["labels"] or [""]
    height = max(60, 14 * len(labels) + 30)
    drawing = Drawing(480, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 15, 350, height - 25
    chart.data = [list(reversed(data["scores"])) or [0]]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = font
    chart.bars[0].fillColor = colors.HexColor("#1d5fd1")
    drawing.add(chart)
    return drawing


def document_pdf(doc: dict) -> bytes:
    """The issue's PDF, A4, from its content: the same sections, tables and charts as the page.
    Each table repeats its header on a new page; a short table is kept on one page with its
    heading (KeepTogether), so no table starts at the foot of a page or leaves its heading behind."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _font()
    red = colors.HexColor("#b42318")
    title = ParagraphStyle("t", fontName=font, fontSize=22, leading=30, alignment=1, textColor=red)
    centre = ParagraphStyle("c", fontName=font, fontSize=11, leading=16, alignment=1)
    h2 = ParagraphStyle("h", fontName=font, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    h3 = ParagraphStyle("h3", fontName=font, fontSize=11, leading=16, spaceBefore=4, spaceAfter=2)
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=16, firstLineIndent=20)
    small = ParagraphStyle("s", fontName=font, fontSize=10, leading=15)
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0fd")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ])  # fmt: skip

    def table(heading: str, rows: list[list[str]]) -> list:
        if len(rows) <= 1:
            return [KeepTogether([Paragraph(heading, h3), Paragraph(_("None."), small)])]
        t = Table(rows, style=style, hAlign="LEFT", repeatRows=1)
        if len(rows) <= 25:
            return [KeepTogether([Paragraph(heading, h3), t])]
        return [Paragraph(heading, h3), t]

    def text(value: str) -> str:
        return (value or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    story = [
        Paragraph(text(doc["title"]), title),
        Paragraph(text(doc["issue_label"]), centre),
        Spacer(1, 2 * mm),
        Table(
            [[text(doc["office"]), text(doc["date_text"])]],
            colWidths=[90 * mm, 90 * mm],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 11),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ]
            ),
        ),  # fmt: skip
        HRFlowable(width="100%", thickness=1.5, color=red, spaceBefore=2, spaceAfter=6),
        Paragraph(
            text(_("Period: %(period)s; figures as of %(cut)s.") % {"period": doc["period_label"], "cut": doc["cut"]}),
            small,
        ),  # fmt: skip
    ]
    for section in doc["sections"]:
        if section["text"]:
            story.append(Paragraph(text(section["heading"]), h2))
            for para in section["text"].splitlines():
                if para.strip():
                    story.append(Paragraph(text(para.strip()), body))
    story += [Paragraph(_("Headline figures"), h2), Paragraph(text(doc["summary"]), body), Spacer(1, 2 * mm)]
    story += table(_("Figures"), doc["headline"])
    story.append(Paragraph(_("Trend"), h2))
    story.append(KeepTogether([_trend_chart(doc["charts"]["trend"], font)]))
    story += table(_("Monthly trend"), doc["trend"])
    story.append(Paragraph(_("Rankings"), h2))
    story.append(KeepTogether([Paragraph(_("Composite score of the community grids"), h3),
                               _ranking_chart(doc["charts"]["ranking"], font)]))  # fmt: skip
    for ranking in doc["rankings"]:
        story += table(ranking["heading"], ranking["rows"])
    story.append(Paragraph(_("Honour roll and warning list (红黑榜)"), h2))
    story += table(_("Honour roll (红榜)"), doc["honour"]["red"])
    story += table(_("Warning list (黑榜)"), doc["honour"]["black"])
    story += table(_("Listed for a talk (约谈)"), doc["honour"]["talk"])
    story.append(Paragraph(_("Notable overdue cases"), h2))
    story += table(_("Overdue cases"), doc["overdue"])
    if doc["campaigns"]:
        story.append(Paragraph(_("Campaigns"), h2))
        story += table(_("Campaigns"), doc["campaigns"])
    if doc.get("posts"):  # issues published before the posts were evaluated have none
        story.append(Paragraph(_("Evaluation of posts"), h2))
        for post in doc["posts"]:
            story += table(post["heading"], post["rows"])
    if doc["footer"]:
        footer = [HRFlowable(width="100%", thickness=0.8, color=colors.black, spaceBefore=10, spaceAfter=4)]
        footer += [Paragraph(text(f"{label}{_(': ')}{value}"), small) for label, value in doc["footer"]]
        story.append(KeepTogether(footer))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=doc["title"], leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()
