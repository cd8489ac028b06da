"""The evaluation of posts (GB/T 30428.4 岗位考评), counted from the case events by the rollup.

October's story (conftest.py; the shift leader files, the dispatcher dispatches, the inspector
checks), and two reports an inspector makes on Mon 26 October, each sent to verify:
  V1  reported 09:00 by the inspector, sent to verify 09:10, filed by the inspector 09:30
  V2  reported 09:00 by the inspector, sent to verify 09:10, refused by the inspector Tue 27 Oct 10:00
Limits (cases.clocks.STEP_LIMITS, office hours 08:30–12:00 and 13:30–17:30): acceptance, filing
and first dispatch 30 working minutes from the report (time verifying left out), verification
30 working minutes, on-site check 2 working hours.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from assessments.facts import facts_refresh
from assessments.selectors import Period, Ratio, department_post_ranking, post_ranking
from cases.models import Source
from cases.services import case_report, case_transition
from tests.assessments.conftest import IN_M2, at

pytestmark = pytest.mark.django_db
OCTOBER = Period.containing("month", datetime.date(2026, 10, 1))
OCT = "period=month&day=2026-10-05"


@pytest.fixture
def verified(october):
    inspector, leader = october["inspector"], october["leader"]
    v1 = case_report(source=Source.INSPECTOR, point=IN_M2, description="井盖缺失", actor=inspector, now=at(26, 9))
    case_transition(case_id=v1.pk, action="verify", actor=leader, note="请核实", now=at(26, 9, 10))
    case_transition(case_id=v1.pk, action="file", actor=inspector, note="属实", category=october["garbage"],
                    now=at(26, 9, 30))  # fmt: skip
    v2 = case_report(source=Source.INSPECTOR, point=IN_M2, description="占道经营", actor=inspector, now=at(26, 9))
    case_transition(case_id=v2.pk, action="verify", actor=leader, note="请核实", now=at(26, 9, 10))
    case_transition(case_id=v2.pk, action="reject", actor=inspector, note="现场未发现", now=at(27, 10))
    facts_refresh()
    return october


def rates(ranked, person):
    row = next(r for r in ranked if r.person == person)
    return {name: row.figures.ratio(name) for name in (r.name for r in row.figures.post.rates)}, row.rank


def test_it_counts_the_inspectors_steps(verified, now):
    ranked = post_ranking(period=OCTOBER, post="inspector", now=now, min_steps=0)
    found, rank = rates(ranked, verified["inspector"])
    assert found["valid_report_rate"] == Ratio(1, 2)  # V1 filed, V2 refused
    # V1 answered in 20 minutes; V2 the next day, 5 working hours after 09:10 (limit 30 minutes)
    assert found["on_time_verification_rate"] == Ratio(1, 2)
    # A: sent 10:10, passed 11:00; G: sent 10:40, failed 11:00; sent again Fri 16 Oct 11:40, passed
    # Mon 19 Oct 09:00: 20 minutes before noon + 4 h in the afternoon + 30 minutes on Monday > 2 h
    assert found["on_time_check_rate"] == Ratio(2, 3)
    assert rank == 1


def test_it_counts_the_centres_steps(verified, now):
    ranked = post_ranking(period=OCTOBER, post="intake", now=now, min_steps=0)
    leader, _rank = rates(ranked, verified["leader"])
    # the first answers to October's reports: A B C E F G H I L filed, J refused, V1 V2 sent to verify;
    # all within 30 minutes (C on a Saturday night: no working time passed)
    assert leader["on_time_acceptance_rate"] == Ratio(12, 12)
    # filings by the leader: A B C E F G H I L (V1 was filed by the inspector)
    assert leader["on_time_filing_rate"] == Ratio(9, 9)
    clerk, _rank = rates(ranked, verified["clerk"])
    assert all(r.denominator == 0 for r in clerk.values())  # listed, nothing done
    # ranked by acceptance: the leader (12/12) ranked; the clerk accepted nothing
    assert [(r.person.username, r.rank) for r in ranked][:1] == [("leader", 1)]
    assert {r.person.username: r.rank for r in ranked}["clerk"] is None
    assert "dispatcher" not in {r.person.username for r in ranked}  # a post of its own
    # 派遣员: the dispatcher, who accepts nothing, is ranked on dispatches (min 5 steps)
    dispatching = post_ranking(period=OCTOBER, post="dispatch", now=now)
    dispatcher, rank = rates(dispatching, verified["dispatcher"])
    assert dispatcher["on_time_dispatch_rate"] == Ratio(8, 8)  # first dispatches of A B C F G H I L
    # dispatches A B C F G H (sent back) H again I L (sent back): 7 of 9 stayed
    assert dispatcher["dispatch_accuracy"] == Ratio(7, 9)
    assert rank == 1 and "clerk" not in {r.person.username for r in dispatching}


def test_it_ranks_the_departments_by_on_time_handling(october, now):
    ranked = department_post_ranking(period=OCTOBER, now=now, min_cases=0)
    by_code = {r.unit.code: r for r in ranked}
    sanitation, enforcement = by_code["sanitation"].figures, by_code["enforcement"].figures
    # sanitation handled A B G I in October (C on 2 Nov; F suspended; H handled by enforcement); B late
    assert sanitation.ratio("on_time_handling_rate") == Ratio(3, 4)
    assert sanitation.ratio("rework_rate") == Ratio(1, 4)  # G
    # send-backs by date, of the department that sent back: H and L
    assert sanitation["send_backs"] == 2
    assert enforcement.ratio("on_time_handling_rate") == Ratio(1, 1)  # H
    assert (by_code["enforcement"].rank, by_code["sanitation"].rank) == (1, 2)


def test_the_page_api_and_export_agree(client, verified):
    client.cookies["django_language"] = "en"
    client.force_login(verified["supervisor"])
    html = client.get(f"/assessments/posts/inspector/?{OCT}").content.decode()
    row = re.search(r"<tr[^>]*><td>[^<]*</td><td>inspector</td>.*?</tr>", html, re.S).group(0)
    assert "50.00" in row and "66.67" in row
    assert "Valid report rate" in html and 'id="post-definitions"' in html
    body = client.get(f"/api/assessments/posts/inspector/?{OCT}").json()
    mine = next(p for p in body if p["account"] == "inspector")
    assert mine["rates"]["on_time_check_rate"] == {"numerator": 2, "denominator": 3, "percent": "66.67"}
    response = client.get(f"/assessments/export/posts-inspector.xlsx?{OCT}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(n for n, r in enumerate(rows) if r and r[0] == "Rank")
    line = next(r for r in rows[header + 1 :] if r[1] == "inspector")
    columns = rows[header]
    assert line[columns.index("On-time check rate: steps")] == 3
    assert line[columns.index("On-time check rate: good")] == 2
    assert line[columns.index("On-time check rate (%)")] == pytest.approx(66.67)
    assert rows[-1][2] == "Total"
    departments = {d["code"]: d for d in client.get(f"/api/assessments/posts/department/?{OCT}").json()}
    sanitation = departments["sanitation"]
    assert sanitation["rates"]["on_time_handling_rate"] == {"numerator": 3, "denominator": 4, "percent": "75.00"}
    assert sanitation["send_backs"] == 2 and sanitation["rank"] is None  # 4 handled: below the minimum of 5
    assert client.get(f"/assessments/posts/nobody/?{OCT}").status_code == 404


def test_it_keeps_the_post_pages_to_those_who_may_read_figures(client, verified):
    client.force_login(verified["outsider"])
    assert client.get(f"/assessments/posts/inspector/?{OCT}").status_code == 403
    assert client.get(f"/api/assessments/posts/intake/?{OCT}").status_code == 403


def test_it_reads_a_post_ranking_in_a_fixed_number_of_statements(client, verified, make_user):
    from accounts.roles import Role

    client.force_login(verified["supervisor"])
    url = f"/assessments/posts/intake/?{OCT}"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for n in range(15):  # more people at the desks
        make_user(f"clerk{n}", Role.INTAKE_CLERK)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries) <= 30
    assert Decimal("100.00") == Ratio(12, 12).percent


def test_the_bulletin_has_a_section_on_the_posts(verified, now):
    from django.utils import translation

    from assessments.bulletin import post_sections

    with translation.override("en"):
        sections = dict(post_sections(period=OCTOBER, now=now, top=3))
    # nobody reached the minimum of 5 steps as an inspector (2 reports); the leader accepted 12
    assert sections["Inspectors"] == [["Rank", "Name", "Valid report rate", "On-time verification rate",
                                       "On-time check rate"]]  # fmt: skip
    assert sections["Intake clerks and shift leaders"][1][:3] == ["1", "leader", "100.00%"]
    assert sections["Dispatchers and shift leaders"][1][:4] == ["1", "dispatcher", "100.00%", "77.78%"]


def test_the_check_compares_the_post_rows_with_a_derivation(verified):
    from assessments.facts import facts_check
    from assessments.models import PostFact

    assert facts_check().wrong == {}
    row = PostFact.objects.filter(step=PostFact.Step.CHECK, good=False).get()  # G's second check
    PostFact.objects.filter(pk=row.pk).update(good=True)
    assert facts_check().wrong == {row.case_id: ["post facts"]}


def test_the_systems_own_accounts_are_not_ranked_as_people(verified, now):
    """The account that files confident camera alerts holds the intake clerk's role and the one
    that reopens a case rated 不满意 the shift leader's: neither is a person to rank."""
    from citizens.services import reopener
    from devices.services import autofiler

    machines = {autofiler().pk, reopener().pk}
    listed = {r.person.pk for r in post_ranking(period=OCTOBER, post="intake", now=now, everyone=True)}
    assert verified["leader"].pk in listed and not machines & listed


def test_the_one_post_before_the_split_leads_to_the_intake_post(client, verified):
    client.force_login(verified["supervisor"])
    response = client.get(f"/assessments/posts/centre/?{OCT}")
    assert response.status_code == 302 and response["Location"] == f"/assessments/posts/intake/?{OCT}"
    assert client.get(f"/api/assessments/posts/centre/?{OCT}").status_code == 404
