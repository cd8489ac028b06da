"""The dashboard, the cases behind a figure, exports (CSV, Excel), the bulletin and its PDF."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.roles import Role
from assessments.models import BulletinJob, CaseFact
from assessments.services import bulletin_job_run
from cases.models import Department
from cases.services import case_transition
from tests.assessments.conftest import compact, page_texts, pdf_text

pytestmark = pytest.mark.django_db
OCT = "period=month&day=2026-10-05"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def supervisor_client(client, october):
    client.force_login(october["supervisor"])
    return client


def test_it_shows_the_dashboard_with_cards_rankings_map_and_exports(supervisor_client, october):
    response = supervisor_client.get(f"/assessments/?{OCT}")
    assert response.status_code == 200
    html = response.content.decode()
    card = re.search(r'id="card-closure-rate".*?</article>', html, re.S).group(0)
    assert "62.50" in card and ">5</a> / <a" in card and ">8</a>" in card
    for element in ('id="ranking-large"', 'id="ranking-department"', 'id="closure-map"',
                    'id="trend-chart"', "Export Excel", "Export CSV", "echarts.min.js"):  # fmt: skip
        assert element in html, element


def test_it_ranks_only_the_level_below_the_grid_shown(supervisor_client, october):
    """The city shows its large grids, each a link one level down; the levels below are not in the page."""
    city = october
    html = supervisor_client.get(f"/assessments/?{OCT}").content.decode()
    assert 'id="ranking-community"' not in html and 'id="ranking-micro"' not in html
    assert f'href="?period=month&amp;start=2026-10-01&amp;end=2026-10-31&amp;grid={city["large"].pk}"' in html
    html = supervisor_client.get(f"/assessments/?{OCT}&grid={city['community'].pk}").content.decode()
    micro = re.search(r'id="ranking-micro".*?</section>', html, re.S).group(0)
    assert ">M1</td>" in micro and ">M2</td>" in micro
    assert 'id="ranking-large"' not in html and 'id="ranking-community"' not in html


def refreshes(queries) -> int:
    """How many times the rollup was brought up to date: each refresh first asks for the newest event."""
    return sum('MAX("cases_caseevent"."id")' in query["sql"] for query in queries)


@pytest.mark.parametrize(
    "url",
    [
        f"/assessments/?{OCT}",
        f"/assessments/cases/?{OCT}&metric=cancelled",
        f"/assessments/export/ranking-micro.csv?{OCT}",
        f"/assessments/bulletin/?{OCT}",
        f"/api/assessments/figures/?{OCT}",
        f"/api/assessments/trend/?{OCT}",
        f"/api/assessments/rankings/micro/?{OCT}",
        f"/api/assessments/breakdown/source/?{OCT}",
        f"/api/assessments/map/?{OCT}",
        f"/api/assessments/allocation/?{OCT}",
    ],
)
def test_it_folds_new_events_in_once_at_the_start_of_a_request(supervisor_client, october, url):
    case = october["cases"]["L"]
    case_transition(case_id=case.pk, action="cancel", actor=october["leader"], note="重复")
    with CaptureQueriesContext(connection) as request:
        assert supervisor_client.get(url).status_code == 200
    assert refreshes(request.captured_queries) == 1
    assert CaseFact.objects.get(case=case).cancelled_at is not None


def test_it_shows_a_change_on_the_dashboard_at_the_next_request(supervisor_client, october):
    case_transition(case_id=october["cases"]["L"].pk, action="cancel", actor=october["leader"], note="重复")
    html = supervisor_client.get(f"/assessments/?{OCT}").content.decode()
    card = re.search(r'id="card-closure-rate".*?</article>', html, re.S).group(0)
    assert "71.43" in card and ">5</a> / <a" in card and ">7</a>" in card  # L left October's cases


def test_it_leaves_the_rollup_alone_for_a_user_whose_role_reads_no_figures(client, october, make_user):
    client.force_login(make_user("citizen_desk"))  # an account without a role
    with CaptureQueriesContext(connection) as request:
        assert client.get(f"/assessments/?{OCT}").status_code == 403
        assert client.get("/assessments/bulletin/issues/").status_code == 403
        assert client.get(f"/api/assessments/figures/?{OCT}").status_code == 403
    assert refreshes(request.captured_queries) == 0


def test_it_leaves_the_rollup_alone_for_a_visitor_not_logged_in(client, october):
    with CaptureQueriesContext(connection) as request:
        assert client.get(f"/assessments/?{OCT}").status_code == 302
        assert client.get(f"/api/assessments/figures/?{OCT}").status_code == 403
    assert refreshes(request.captured_queries) == 0


def test_it_lists_the_cases_behind_a_figure(supervisor_client, october):
    response = supervisor_client.get(f"/assessments/cases/?{OCT}&metric=closed")
    assert response.status_code == 200
    numbers = set(re.findall(r"\b20261\d{7}\b", response.content.decode()))
    assert numbers == {october["cases"][k].tracking_number for k in "ABGHI"}


def test_it_exports_a_ranking_to_excel_with_the_figures_on_screen(supervisor_client):
    response = supervisor_client.get(f"/assessments/export/ranking-micro.xlsx?{OCT}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "Rank"))
    table = {row[1]: dict(zip(rows[header], row, strict=True)) for row in rows[header + 1 :]}
    assert table["M1"]["Closure rate (%)"] == 60.0 and table["M1"]["Counted for closure"] == 5
    assert table["M1"]["Cases filed"] == 6  # E, cancelled later, included
    assert table["M2"]["Closure rate (%)"] == 66.67 and table["M2"]["Closed"] == 2


def test_it_exports_csv_with_a_bom_for_excel(supervisor_client):
    response = supervisor_client.get(f"/assessments/export/ranking-community.csv?{OCT}")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    c1 = next(r for r in rows if len(r) > 2 and r[1] == "C1")
    # reports, cases filed, filing rate, counted for closure (less cancelled), closed, closure rate
    assert c1[3:9] == ["11", "9", "81.82", "8", "5", "62.50"]


def test_it_refuses_bad_filters_with_a_clear_message(supervisor_client):
    response = supervisor_client.get("/assessments/?period=custom&start=2026-10-05")
    assert response.status_code == 400
    assert "needs both a start and an end date" in response.content.decode()
    assert supervisor_client.get("/assessments/export/nothing.xlsx").status_code == 404


def test_it_keeps_out_users_without_an_assessment_role(client, october):
    client.force_login(october["outsider"])
    assert client.get("/assessments/").status_code == 403
    assert client.get("/api/assessments/figures/").status_code == 403
    client.logout()
    assert client.get("/assessments/").status_code == 302


def test_it_shows_a_chief_only_their_subtree(client, october):
    client.force_login(october["chief"])  # chief of M1
    response = client.get(f"/assessments/?{OCT}")
    assert response.status_code == 200
    card = re.search(r'id="card-filed".*?</article>', response.content.decode(), re.S).group(0)
    assert '<p class="card-value">6' in card  # A B C E F G: filed in M1, E cancelled later
    assert client.get(f"/assessments/?{OCT}&grid={october['b'].pk}").status_code == 400
    api = client.get(f"/api/assessments/figures/?{OCT}&grid={october['b'].pk}")
    assert api.status_code == 400 and "outside your area" in str(api.json())


def test_it_shows_a_department_only_itself(client, october):
    client.force_login(october["other_handler"])  # enforcement
    data = client.get(f"/api/assessments/figures/?{OCT}").json()
    assert data["current"]["counts"]["assessed"] == 1
    sanitation = Department.objects.get(code="sanitation")
    assert client.get(f"/api/assessments/figures/?{OCT}&department={sanitation.pk}").status_code == 400


def test_it_serves_figures_with_numerator_and_denominator(supervisor_client):
    data = supervisor_client.get(f"/api/assessments/figures/?{OCT}").json()
    assert data["current"]["rates"]["closure_rate"] == {"numerator": 5, "denominator": 8, "percent": "62.50"}
    assert data["previous"]["period"]["start"] == "2026-09-01"
    assert data["year_earlier"]["period"]["start"] == "2025-10-01"
    ranking = supervisor_client.get(f"/api/assessments/rankings/micro/?{OCT}&order=closure_rate").json()
    assert [(u["code"], u["rank"]) for u in ranking] == [("M1", 1), ("M2", None)]  # M2: 3 cases, minimum 5
    assert supervisor_client.get(f"/api/assessments/rankings/planet/?{OCT}").status_code == 404
    bad = supervisor_client.get("/api/assessments/figures/?period=fortnight")
    assert bad.status_code == 400 and "period" in bad.json()["error"]["fields"]


def test_it_colours_the_map_from_the_same_figures(supervisor_client, october):
    rows = supervisor_client.get(f"/api/assessments/map/?{OCT}&parent={october['community'].pk}").json()
    assert {r["grid"]: r["closure_rate"] for r in rows} == {october["a"].pk: "60.00", october["b"].pk: "66.67"}


def test_it_describes_the_api_in_the_schema(supervisor_client):
    schema = supervisor_client.get("/api/schema/").content.decode()
    for path in ("/api/assessments/figures/", "/api/assessments/rankings/{kind}/", "/api/assessments/map/",
                 "/api/assessments/allocation/", "/api/assessments/bulletin-issues/",
                 "/api/assessments/bulletin-issues/{issue_id}/"):  # fmt: skip
        assert path in schema


def test_it_shows_the_bulletin_and_makes_its_pdf_with_the_same_figures(
    supervisor_client, october, django_capture_on_commit_callbacks
):
    page = supervisor_client.get(f"/assessments/bulletin/?{OCT}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "62.50%" in html and "57.14%" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(reverse("assessments:bulletin_pdf"),
                                          {"period": "month", "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    assert response.status_code == 302
    job = BulletinJob.objects.get()
    assert job.status == "done" and job.progress == 100  # eager Celery in tests
    status = supervisor_client.get(f"{response['Location']}?format=json").json()
    assert status["status"] == "done" and status["download"]
    pdf = supervisor_client.get(status["download"])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    assert "62.50%" in text and "57.14%" in text and "2026-10" in text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_bulletin_pdf_says_all_the_printable_page_says(
    supervisor_client, october, django_capture_on_commit_callbacks, language
):
    """Every heading, sentence and cell of the printable page is in its PDF, in the page's
    language (the job carries it to the worker), the evaluation of posts included."""
    supervisor_client.cookies["django_language"] = language
    page = supervisor_client.get(f"/assessments/bulletin/?{OCT}").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(reverse("assessments:bulletin_pdf"),
                                          {"period": "month", "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    job = BulletinJob.objects.get()
    assert job.params["language"] == language and job.status == "done", job.error
    pdf = compact(pdf_text(b"".join(supervisor_client.get(reverse("assessments:bulletin_download",
                                                                  args=[job.pk])).streaming_content)))  # fmt: skip
    texts = page_texts(page, "bulletin")
    posts = "六、岗位考评" if language == "zh-hans" else "6. Evaluation of posts"
    assert posts in texts and "leader" in texts  # the shift leader accepted and filed October's cases
    missing = [text for text in texts if compact(text) not in pdf]
    assert missing == []
    assert response.status_code == 302


def test_it_makes_a_pdf_from_the_cases_as_they_are_when_the_job_runs(october):
    job = BulletinJob.objects.create(requested_by=october["supervisor"], params={"period": "month",
                                     "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    case = october["cases"]["L"]
    case_transition(case_id=case.pk, action="cancel", actor=october["leader"], note="重复")
    assert bulletin_job_run(job_id=job.pk) == "done"
    assert CaseFact.objects.get(case=case).cancelled_at is not None


def test_it_lets_only_the_requester_download_a_bulletin(client, october, make_user):
    job = BulletinJob.objects.create(requested_by=october["supervisor"], status="done")
    other = make_user("other_supervisor", Role.SUPERVISOR)
    client.force_login(other)
    assert client.get(reverse("assessments:bulletin_job", args=[job.pk])).status_code == 404


def test_it_audits_each_export_and_bulletin_download_once(supervisor_client, october):
    from django.core.files.base import ContentFile

    from audit.models import AuditEvent

    assert supervisor_client.get(f"/assessments/export/ranking-micro.csv?{OCT}").status_code == 200
    job = BulletinJob.objects.create(requested_by=october["supervisor"], status="done")
    job.pdf.save("bulletin.pdf", ContentFile(b"%PDF-1.4 test"))
    assert supervisor_client.get(reverse("assessments:bulletin_download", args=[job.pk])).status_code == 200

    export = AuditEvent.objects.get(action="assessments.exported")
    assert (export.actor_id, export.details["table"], export.details["format"]) == (
        october["supervisor"].pk, "ranking-micro", "csv",
    )  # fmt: skip
    download = AuditEvent.objects.get(action="assessments.bulletin_downloaded")
    assert (download.actor_id, download.object_type, download.object_id) == (
        october["supervisor"].pk, "assessments.bulletinjob", str(job.pk),
    )  # fmt: skip


def test_the_period_select_shows_the_period_on_screen_when_none_is_chosen(supervisor_client):
    html = supervisor_client.get(reverse("assessments:dashboard")).content.decode()
    selected = re.search(r'<select name="period"[^>]*>.*?<option value="(\w+)" selected>', html, re.S)
    assert selected and selected.group(1) == "month"
    assert "All departments" in html


def test_it_offers_category_source_and_the_micro_chiefs_of_a_community(supervisor_client, october):
    html = supervisor_client.get(f"/assessments/?{OCT}").content.decode()
    assert 'name="category"' in html and 'name="source"' in html
    assert 'name="chief"' not in html  # the whole city: too many chiefs for a list
    community = october["community"]
    html = supervisor_client.get(f"/assessments/?{OCT}&grid={community.pk}").content.decode()
    chiefs = re.search(r'<select name="chief".*?</select>', html, re.S).group(0)
    for key in ("a", "b"):
        assert f'value="{october[key].chief.pk}"' in chiefs, key
    chief = october["a"].chief
    response = supervisor_client.get(f"/assessments/?{OCT}&grid={community.pk}&chief={chief.pk}")
    card = re.search(r'id="card-filed".*?</article>', response.content.decode(), re.S).group(0)
    assert ">6<" in card  # A B C E F G: M1's filed cases (E cancelled later)
    assert f'value="{chief.pk}" selected' in response.content.decode()


def test_it_links_the_dashboard_from_the_menu_for_those_who_may_see_it(client, october, make_user):
    client.force_login(october["supervisor"])
    assert 'href="/assessments/"' in client.get("/").content.decode()
    client.force_login(make_user("no_role"))  # an account without a role yet
    assert 'href="/assessments/"' not in client.get("/").content.decode()


# ---- long exports: made in the background ---------------------------------------------------


def test_it_exports_a_long_table_in_the_background_with_progress(
    supervisor_client, monkeypatch, django_capture_on_commit_callbacks
):
    from assessments import tables
    from assessments.models import ExportJob

    inline = supervisor_client.get(f"/assessments/export/ranking-micro.csv?{OCT}").content
    monkeypatch.setattr(tables, "EXPORT_INLINE_ROWS", 1)  # the two micro grids are "too many"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = supervisor_client.get(f"/assessments/export/ranking-micro.csv?{OCT}")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/assessments/export/{job.pk}/"
    status = supervisor_client.get(f"/assessments/export/{job.pk}/?format=json").json()
    assert (status["status"], status["download"]) == ("pending", None)
    assert 'class="job-progress"' in supervisor_client.get(f"/assessments/export/{job.pk}/").content.decode()
    for callback in callbacks:  # the worker (eager here) makes the file
        callback()
    status = supervisor_client.get(f"/assessments/export/{job.pk}/", HTTP_ACCEPT="application/json").json()
    assert status["status"] == "done" and status["progress"] == 100
    download = supervisor_client.get(status["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == inline
    assert download["Content-Disposition"].endswith('ranking-micro-20261001-20261031.csv"')


def test_it_keeps_a_background_export_to_the_one_who_asked(supervisor_client, october, make_user):
    from django.test import Client

    from assessments.models import ExportJob
    from assessments.services import export_job_run

    job = ExportJob.objects.create(requested_by=october["supervisor"], kind="ranking-micro", fmt="xlsx",
                                   params={"period": "month", "start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    assert export_job_run(job_id=job.pk) == "done"
    assert export_job_run(job_id=job.pk) is None  # claimed once
    client = Client()
    client.force_login(make_user("other_supervisor", Role.SUPERVISOR))
    assert client.get(f"/assessments/export/{job.pk}/").status_code == 404
    assert client.get(f"/assessments/export/{job.pk}/download/").status_code == 404
    assert supervisor_client.get(f"/assessments/export/{job.pk}/download/").status_code == 200
