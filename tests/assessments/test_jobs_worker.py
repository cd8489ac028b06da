"""The assessments' background jobs (a long export, the bulletin PDF) with a real worker on Redis:
the file comes in the language of the page it was asked from (a worker has the city's default,
Chinese), and with the broker unreachable the job says so at once instead of waiting forever."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments import tables
from assessments.models import BulletinJob, ExportJob
from tests.assessments.conftest import compact, pdf_text
from tests.worker import broker_unreachable, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
OCT = "period=month&day=2026-10-05"


def finished(model, pk):
    job = model.objects.get(pk=pk)
    return job if job.status in ("done", "failed") else None


@pytest.fixture
def supervisor(client, october):
    client.force_login(october["supervisor"])
    client.cookies["django_language"] = "en"
    return client


def test_a_background_export_comes_in_the_language_it_was_asked_in(supervisor, monkeypatch, celery_worker_process):
    monkeypatch.setattr(tables, "EXPORT_INLINE_ROWS", 1)  # the two micro grids: made by the worker
    response = supervisor.get(f"/assessments/export/ranking-micro.xlsx?{OCT}")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.params["language"] == "en"
    done = wait_for(lambda: finished(ExportJob, job.pk))
    assert done is not None and done.status == "done", celery_worker_process.output()
    sheet = load_workbook(io.BytesIO(done.file.read())).active
    cells = [str(cell.value) for row in sheet.iter_rows(max_row=8) for cell in row if cell.value is not None]
    assert "Closure rate (%)" in cells and not any("结案" in cell for cell in cells), cells


def test_a_bulletin_pdf_comes_in_the_language_it_was_asked_in(supervisor, celery_worker_process):
    supervisor.post(reverse("assessments:bulletin_pdf"), {"period": "month", "start": "2026-10-01",
                                                          "end": "2026-10-31"})  # fmt: skip
    job = BulletinJob.objects.get()
    done = wait_for(lambda: finished(BulletinJob, job.pk))
    assert done is not None and done.status == "done", celery_worker_process.output()
    text = compact(pdf_text(done.pdf.read()))
    assert compact("6. Evaluation of posts") in text and "岗位考评" not in text


@pytest.mark.parametrize("kind", ["export", "bulletin"])
def test_with_the_broker_down_a_job_fails_at_once_with_a_message(supervisor, monkeypatch, kind):
    monkeypatch.setattr(tables, "EXPORT_INLINE_ROWS", 1)
    with broker_unreachable():
        if kind == "export":
            response = supervisor.get(f"/assessments/export/ranking-micro.csv?{OCT}")
            job = ExportJob.objects.get()
        else:
            response = supervisor.post(reverse("assessments:bulletin_pdf"), {"period": "month", "start": "2026-10-01",
                                                                             "end": "2026-10-31"})  # fmt: skip
            job = BulletinJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "failed" and "task queue could not be reached" in job.error
    status = supervisor.get(f"{response['Location']}?format=json").json()
    assert status["status"] == "failed" and status["download"] is None
