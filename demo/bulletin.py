"""The demo county's bulletin (工作简报): the city's settings for it (issuing office, 报/送/发, the
fund shared by score) and the issues a visitor finds: the last two whole months published, with
their narrative, and the current month as a draft. Each once: a second run adds nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from assessments.facts import facts_refresh
from assessments.models import AssessmentSettings, BulletinIssue
from assessments.services import bulletin_issue_create, bulletin_issue_publish, bulletin_issue_update

OFFICE = "临沭县数字化城市管理监督指挥中心"
NARRATIVE = {
    "work_news": "本月指挥中心坚持“发现即受理、受理即派遣”，对暴露垃圾、占道经营、井盖缺失等问题"
    "实行限时办结；各镇街网格长按时审批派遣，处置部门按期反馈处置结果。\n"
    "开展全城清洁专项整治，清理卫生死角和小广告，专项整治问题按期结案。",
    "problems": "一是部分社区超期案件较多，处置部门反馈不及时；二是个别单位存在推诿、退单现象，"
    "派遣准确率有待提高；三是群众回访满意率仍有提升空间。",
    "next_steps": "一是对黑榜单位进行约谈，督促限期整改；二是加强处置部门与网格长的协同，减少退单；"
    "三是做好群众回访，对不满意案件及时重办。",
}


def demo_bulletin_load(*, now: datetime.datetime | None = None) -> int:
    """The settings (where still blank) and the issues; returns how many issues were made."""
    now = now or timezone.now()
    cfg, _created = AssessmentSettings.objects.get_or_create(pk=1)
    if not cfg.bulletin_office:
        cfg.bulletin_office = OFFICE
        cfg.bulletin_report_to = "县委、县人大、县政府、县政协领导。"
        cfg.bulletin_send_to = "各镇（街道）党政主要负责同志，县直有关部门主要负责同志。"
        cfg.bulletin_issue_to = "县城市管理委员会成员单位，各社区网格长。"
        if not cfg.fund_amount:
            cfg.fund_amount = Decimal("200000.00")  # 20 万元 a month, shared among the communities
        cfg.save()
    if BulletinIssue.objects.exists():
        return 0
    leader = get_user_model().objects.get(username="shiftlead")
    facts_refresh()
    made = 0
    first_of_month = timezone.localdate(now).replace(day=1)
    months = []
    day = first_of_month
    for _i in range(2):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
        months.append(day)
    with translation.override(settings.LANGUAGE_CODE):
        for start in reversed(months):  # the older first, so it takes the lower number
            issue = bulletin_issue_create(kind=BulletinIssue.Kind.MONTH, day=start, actor=leader)
            bulletin_issue_update(issue_id=issue.pk, **NARRATIVE)
            month_end = (start + datetime.timedelta(days=32)).replace(day=1)
            issued_on = min(month_end + datetime.timedelta(days=3), timezone.localdate(now))
            bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=issued_on, now=now)
            made += 1
        draft = bulletin_issue_create(kind=BulletinIssue.Kind.MONTH, day=first_of_month, actor=leader)
        bulletin_issue_update(issue_id=draft.pk, work_news="（本月工作动态，月底前由值班长补充。）", problems="",
                              next_steps="")  # fmt: skip
        made += 1
    return made
