"""The bulletin as an official document (工作简报): numbered per kind and year when published,
frozen once published, its PDF opened and read back (number, office, date, footer, 红黑榜), and
the issues in the API (/api/assessments/bulletin-issues/)."""

import datetime
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assessments.facts import facts_refresh
from assessments.issues import build_document, chinese_date, document_pdf, issue_document
from assessments.models import AssessmentSettings, BulletinIssue
from assessments.services import (
    BulletinIssueFrozen,
    bulletin_issue_create,
    bulletin_issue_publish,
    bulletin_issue_update,
)
from audit.models import AuditEvent
from cases.services import case_transition
from tests.assessments.conftest import at, compact, page_texts, pdf_text

pytestmark = pytest.mark.django_db

OFFICE = "临沭县数字化城市管理监督指挥中心"


@pytest.fixture
def city_settings(db):
    return AssessmentSettings.objects.create(
        pk=1, bulletin_office=OFFICE, bulletin_report_to="县委、县人大、县政府、县政协领导。",
        bulletin_send_to="各镇（街）党政主要负责同志。", bulletin_issue_to="县城市管理委员会成员单位。",
        bulletin_honour_count=1, min_cases=1,
    )  # fmt: skip


def test_it_writes_dates_as_official_documents_do():
    assert chinese_date(datetime.date(2026, 12, 4)) == "二〇二六年十二月四日"
    assert chinese_date(datetime.date(2019, 4, 30)) == "二〇一九年四月三十日"
    assert chinese_date(datetime.date(2026, 10, 21)) == "二〇二六年十月二十一日"
    assert chinese_date(datetime.date(2026, 11, 10)) == "二〇二六年十一月十日"
    assert chinese_date(datetime.date(2026, 12, 4), "digits") == "2026年12月4日"


def test_it_numbers_issues_per_kind_and_per_year(city, city_settings):
    leader = city["leader"]
    day = datetime.date(2026, 10, 1)
    sept = bulletin_issue_create(kind="month", day=datetime.date(2026, 9, 1), actor=leader)
    octo = bulletin_issue_create(kind="month", day=day, actor=leader)
    q3 = bulletin_issue_create(kind="quarter", day=datetime.date(2026, 9, 1), actor=leader)
    dec = bulletin_issue_create(kind="month", day=datetime.date(2026, 12, 1), actor=leader)
    assert (q3.start, q3.end) == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    assert bulletin_issue_publish(issue_id=sept.pk, actor=leader, issued_on=datetime.date(2026, 10, 5)).number == 1
    assert bulletin_issue_publish(issue_id=octo.pk, actor=leader, issued_on=datetime.date(2026, 11, 4)).number == 2
    assert bulletin_issue_publish(issue_id=q3.pk, actor=leader, issued_on=datetime.date(2026, 10, 8)).number == 1
    # a new year starts the count again
    january = bulletin_issue_publish(issue_id=dec.pk, actor=leader, issued_on=datetime.date(2027, 1, 5))
    assert (january.year, january.number) == (2027, 1)
    with translation.override("en"):
        assert build_document(january)["issue_label"] == "No. 1"
    with pytest.raises(BulletinIssueFrozen):
        bulletin_issue_publish(issue_id=sept.pk, actor=leader)


def test_a_published_issue_is_frozen(october, city_settings, now):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    bulletin_issue_update(issue_id=issue.pk, work_news="十月开展背街小巷整治。", problems="部分社区结案偏慢。",
                          next_steps="加强核查。")  # fmt: skip
    with translation.override("en"):
        issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
    before = issue_document(issue)
    headline = {row[0]: row[1] for row in before["headline"]}
    # the October story (test_figures): 5 closed of the 8 filed and not cancelled
    assert headline["Cases closed"] == "5" and headline["Closure rate"] == "62.50%"
    # a case of October is cancelled afterwards: live figures move, the published issue does not
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=leader, note="重复",
                    now=at(10, 9, month=11))  # fmt: skip
    facts_refresh()
    issue.refresh_from_db()
    assert issue_document(issue) == before
    with translation.override("en"):
        live = {row[0]: row[1] for row in build_document(issue, now=now)["headline"]}
    assert live["Closure rate"] == "71.43%"  # 5 of 7: the cancelled case leaves the denominator
    with pytest.raises(BulletinIssueFrozen):
        bulletin_issue_update(issue_id=issue.pk, work_news="改", problems="", next_steps="")


def test_the_pdf_carries_the_number_office_date_footer_and_honour_roll(october, city_settings, now):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    bulletin_issue_update(issue_id=issue.pk, work_news="十月开展背街小巷整治。", problems="", next_steps="")
    with translation.override("zh-hans"):
        issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
        doc = issue_document(issue)
        text = pdf_text(document_pdf(doc))
    compact = text.replace(" ", "").replace("\n", "")
    assert "第1期" in compact
    assert OFFICE in compact
    assert "二〇二六年十一月四日" in compact
    assert "报：县委、县人大、县政府、县政协领导。" in compact
    assert "送：各镇（街）党政主要负责同志。" in compact and "发：县城市管理委员会成员单位。" in compact
    assert "红黑榜" in compact and "约谈" in compact
    assert "十月开展背街小巷整治。" in compact
    # the 红黑榜, N = 1: the test city's one community grid tops its list (and so is not also at
    # the bottom); of the two departments, enforcement (H: 1 filed, 1 closed) tops, sanitation
    # (7 filed, 4 closed: 57.14 %) is at the bottom and listed for a talk (约谈)
    red, black, talk = doc["honour"]["red"], doc["honour"]["black"], doc["honour"]["talk"]
    assert [row[1] for row in red[1:]] == [october["community"].name, "县综合行政执法局"]
    assert [(row[1], row[3]) for row in black[1:]] == [("县环卫服务中心", "57.14%")]
    assert [row[0] for row in talk[1:]] == ["县环卫服务中心"]
    for row in red[1:] + black[1:]:
        assert row[1] in compact
    for row in doc["rankings"][0]["rows"][1:]:  # the large grids (镇街) are ranked too
        assert row[1] in compact


def test_the_page_shows_what_the_pdf_shows_and_downloads_are_audited(client, october, city_settings, now):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    with translation.override("en"):
        issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
    client.force_login(leader)
    client.cookies["django_language"] = "en"
    html = client.get(f"/assessments/bulletin/issues/{issue.pk}/").content.decode()
    doc = issue_document(issue)
    for needle in (doc["issue_label"], OFFICE, doc["date_text"], "Reported to", "县委、县人大、县政府、县政协领导。"):
        assert needle in html
    for table in (doc["honour"]["red"], doc["honour"]["black"], doc["honour"]["talk"]):
        for row in table[1:]:
            assert row[0] in html
    response = client.get(f"/assessments/bulletin/issues/{issue.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action="assessments.bulletin_downloaded").exists()


def test_only_shift_leaders_edit_and_publish(client, october, city_settings):
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=october["leader"])
    client.force_login(october["handler"])  # a department: not the city's bulletin
    assert client.get(f"/assessments/bulletin/issues/{issue.pk}/").status_code == 403
    client.force_login(october["inspector"])  # sees the figures, edits nothing
    assert client.get(f"/assessments/bulletin/issues/{issue.pk}/").status_code == 200
    assert client.post(f"/assessments/bulletin/issues/{issue.pk}/", {"publish": "1"}).status_code == 403
    issue.refresh_from_db()
    assert issue.status == BulletinIssue.Status.DRAFT
    client.force_login(october["leader"])
    response = client.post(f"/assessments/bulletin/issues/{issue.pk}/",
                           {"work_news": "动态", "problems": "问题", "next_steps": "下步"})  # fmt: skip
    assert response.status_code == 302
    assert client.post(f"/assessments/bulletin/issues/{issue.pk}/", {"publish": "1"}).status_code == 302
    issue.refresh_from_db()
    assert issue.status == BulletinIssue.Status.PUBLISHED and issue.number == 1 and issue.work_news == "动态"
    assert client.get("/assessments/bulletin/issues/999999/").status_code == 404


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_issue_pdf_says_all_the_page_says(client, october, city_settings, now, language):
    """Every heading, sentence and cell of the issue's page is in its PDF, the evaluation of
    posts (岗位考评) included."""
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    bulletin_issue_update(issue_id=issue.pk, work_news="十月开展背街小巷整治。", problems="一、井盖缺失较多。\n二、夜间巡查不足。",
                          next_steps="")  # fmt: skip
    with translation.override(language):
        issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
    client.force_login(leader)
    client.cookies["django_language"] = language
    texts = page_texts(client.get(f"/assessments/bulletin/issues/{issue.pk}/").content.decode(), "bulletin")
    pdf = compact(pdf_text(client.get(f"/assessments/bulletin/issues/{issue.pk}/pdf/").content))
    posts = issue_document(issue)["posts"]
    assert [post["heading"] for post in posts][-1] == ("处置部门" if language == "zh-hans" else "Departments")
    assert ("岗位考评" if language == "zh-hans" else "Evaluation of posts") in texts and "leader" in texts
    assert [text for text in texts if compact(text) not in pdf] == []


def test_an_issue_published_before_the_posts_were_evaluated_still_shows(client, october, city_settings, now):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
    content = dict(issue.content)
    del content["posts"]
    BulletinIssue.objects.filter(pk=issue.pk).update(content=content)
    client.force_login(leader)
    page = client.get(f"/assessments/bulletin/issues/{issue.pk}/")
    assert page.status_code == 200 and 'id="issue-posts"' not in page.content.decode()
    assert client.get(f"/assessments/bulletin/issues/{issue.pk}/pdf/").status_code == 200


# ---- the API: /api/assessments/bulletin-issues/ -----------------------------------------------

ISSUES = "/api/assessments/bulletin-issues/"


def test_the_api_lists_the_issues_newest_first_with_their_links(client, october, city_settings, now):
    leader = october["leader"]
    sept = bulletin_issue_create(kind="month", day=datetime.date(2026, 9, 1), actor=leader)
    q3 = bulletin_issue_create(kind="quarter", day=datetime.date(2026, 9, 1), actor=leader)
    octo = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    bulletin_issue_publish(issue_id=sept.pk, actor=leader, issued_on=datetime.date(2026, 10, 5), now=now)
    client.force_login(october["inspector"])  # reads the whole city, edits nothing
    body = client.get(ISSUES, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [row["id"] for row in body] == [octo.pk, sept.pk, q3.pk]
    assert body[1] == {
        "id": sept.pk, "kind": "month", "kind_label": "Monthly", "status": "published", "status_label": "Published",
        "year": 2026, "number": 1, "start": "2026-09-01", "end": "2026-09-30", "period_label": "2026-09",
        "issued_on": "2026-10-05", "url": f"{ISSUES}{sept.pk}/", "page_url": f"/assessments/bulletin/issues/{sept.pk}/",
        "pdf_url": f"/assessments/bulletin/issues/{sept.pk}/pdf/",
    }  # fmt: skip
    assert (body[0]["status"], body[0]["number"], body[0]["issued_on"]) == ("draft", None, None)
    assert (body[2]["kind"], body[2]["start"], body[2]["end"]) == ("quarter", "2026-07-01", "2026-09-30")
    # the links lead to the issue in the API, its page and its PDF
    assert client.get(body[1]["url"]).json()["id"] == sept.pk
    assert client.get(body[1]["page_url"]).status_code == 200
    assert client.get(body[1]["pdf_url"])["Content-Type"] == "application/pdf"
    # in the language asked for
    chinese = client.get(ISSUES, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (chinese[1]["kind_label"], chinese[1]["status_label"], chinese[0]["status_label"]) == (
        "月度",
        "已发布",
        "草稿",
    )


def test_the_api_lists_the_issues_in_a_fixed_number_of_queries(client, october, city_settings, now):
    leader = october["leader"]
    bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    client.force_login(leader)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(ISSUES).json()) == 1
    for month in range(1, 10):
        issue = bulletin_issue_create(kind="month", day=datetime.date(2026, month, 1), actor=leader)
        if month % 2:
            bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 10, month), now=now)
    bulletin_issue_create(kind="quarter", day=datetime.date(2026, 1, 1), actor=leader)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(ISSUES).json()) == 11
    assert len(many.captured_queries) == len(few.captured_queries) <= 4  # the session, the user, the roles, the list
    listed = many.captured_queries[-1]["sql"]
    assert "assessments_bulletinissue" in listed and '"content"' not in listed  # the stored documents stay in the table


def test_the_api_gives_a_published_issue_as_published(client, october, city_settings, now):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    bulletin_issue_update(issue_id=issue.pk, work_news="十月开展背街小巷整治。", problems="", next_steps="")
    with translation.override("en"):
        issue = bulletin_issue_publish(issue_id=issue.pk, actor=leader, issued_on=datetime.date(2026, 11, 4), now=now)
    client.force_login(leader)
    url = f"{ISSUES}{issue.pk}/"
    before = client.get(url).json()
    assert (before["id"], before["number"], before["status"]) == (issue.pk, 1, "published")
    assert before["document"] == issue.content == issue_document(issue)
    assert (
        before["document"]["issue_label"] == "No. 1"
        and before["document"]["sections"][0]["text"] == "十月开展背街小巷整治。"
    )
    assert {row[0]: row[1] for row in before["document"]["headline"]}["Closure rate"] == "62.50%"
    # a case of October is cancelled afterwards: the live figures move, the published issue does not,
    # whatever language it is asked in
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=leader, note="重复",
                    now=at(10, 9, month=11))  # fmt: skip
    facts_refresh()
    after = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert after["document"] == before["document"]
    with translation.override("en"):
        live = {row[0]: row[1] for row in build_document(issue, now=now)["headline"]}
    assert live["Closure rate"] == "71.43%"  # 5 of 7 now: the API kept the published 62.50 %


def test_the_api_builds_a_drafts_document_now(client, october, city_settings):
    leader = october["leader"]
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=leader)
    client.force_login(leader)
    url = f"{ISSUES}{issue.pk}/"
    draft = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert (draft["status"], draft["number"], draft["document"]["published"]) == ("draft", None, False)
    assert draft["document"]["issue_label"] == "(draft)"
    assert {row[0]: row[1] for row in draft["document"]["headline"]}["Closure rate"] == "62.50%"
    with translation.override("en"):
        page = build_document(issue)
    assert [r["rows"] for r in draft["document"]["rankings"]] == [r["rows"] for r in page["rankings"]]
    # a change to a case is folded in at the start of the next request: a draft shows it
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=leader, note="重复")
    draft = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert {row[0]: row[1] for row in draft["document"]["headline"]}["Closure rate"] == "71.43%"
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["document"]["issue_label"] == "（草稿）"


def test_the_api_refuses_the_issues_to_whom_the_pages_refuse(client, october, city_settings):
    issue = bulletin_issue_create(kind="month", day=datetime.date(2026, 10, 1), actor=october["leader"])
    urls = [ISSUES, f"{ISSUES}{issue.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_authenticated"
    for who in ("handler", "chief", "outsider"):  # a department, a grid chief, no role at all
        client.force_login(october[who])
        client.cookies["django_language"] = "en"  # a page's language (the API's follows Accept-Language)
        page = client.get(f"/assessments/bulletin/issues/{issue.pk}/")
        assert page.status_code == 403
        for url in [*urls, f"{ISSUES}999999/"]:  # refused before the issue is looked up
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 403 and response.json()["error"]["code"] == "not_permitted", (who, url)
            assert response.json()["error"]["message"] in html.unescape(page.content.decode())  # the page's words
    client.force_login(october["supervisor"])
    assert client.get(f"{ISSUES}{issue.pk}/").status_code == 200
    missing = client.get(f"{ISSUES}999999/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
