"""The gazetteer's upload in the admin is a background job (config.imports), as the grids' and the
assets' are: a job row, run once by the Celery task, its progress polled by its page, its result
in the audit log, and a message at once when the task queue cannot be reached."""

import io
import json
import time

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from audit.models import AuditEvent
from gazetteer.models import Entry, ImportJob
from gazetteer.services import GAZETTEER_IMPORTS, gazetteer_import
from tests.gazetteer.test_gazetteer import feature, point, town
from tests.worker import broker_unreachable

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:gazetteer_entry_import")
BAD_CSV = (
    "code,kind,name,street,number,number_from,number_to,parity,lon,lat,wkt\n"
    "P1,poi,兴隆超市,兴隆路,3,,,,118.6011,34.9051,\n"
    "P2,poi,坏点,,,,,,东经,北纬,\n"
)


def upload(text: str, name: str) -> io.BytesIO:
    file = io.BytesIO(text.encode())
    file.name = name
    return file


def imports():
    return AuditEvent.objects.filter(action="gazetteer.imported")


@pytest.fixture
def admin_client_en(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-for-tests-1"))
    client.cookies["django_language"] = "en"
    return client


def test_an_upload_is_a_job_whose_worker_imports_the_file_and_audits_it(
    admin_client_en, django_capture_on_commit_callbacks
):
    before = set(imports().values_list("pk", flat=True))  # the log outlives tests
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_en.post(IMPORT, {"file": upload(json.dumps(town()), "town.geojson")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:gazetteer_importjob_change", args=[job.pk]
    )
    assert (job.status, job.format, job.filename) == (ImportJob.Status.SUCCEEDED, "geojson", "town.geojson")
    assert job.summary == {"created": 5, "updated": 0} and job.payload == ""  # no second copy kept
    assert Entry.objects.count() == 5
    (audit,) = imports().exclude(pk__in=before)
    assert (audit.actor_username, audit.result, audit.object_type, audit.object_id) == (
        "root", "ok", "gazetteer.importjob", str(job.pk)
    )  # fmt: skip
    assert audit.details == {"created": 5, "updated": 0, "problems": 0, "format": "geojson"}
    page = admin_client_en.get(response["Location"]).content.decode()
    assert "Gazetteer imported: 5 entries added, 0 updated." in page and "import-progress.js" not in page
    progress = admin_client_en.get(reverse("admin:gazetteer_importjob_progress", args=[job.pk])).json()
    assert progress["status"] == "succeeded" and progress["percent"] == 100


def test_a_bad_upload_fails_its_job_naming_every_problem_and_imports_nothing(
    admin_client_en, django_capture_on_commit_callbacks
):
    before = imports().count()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_en.post(IMPORT, {"file": upload(BAD_CSV, "places.csv")})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and job.format == "csv"
    assert job.errors == ["row 3 (code P2): malformed geometry"]
    page = admin_client_en.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page and "row 3 (code P2): malformed geometry" in page
    assert Entry.objects.count() == 0
    audit = imports().latest("id")
    assert imports().count() == before + 1
    assert audit.result == "failed" and audit.details == {"problems": 1, "format": "csv"}


def test_an_upload_that_is_not_utf8_is_refused_on_the_form(admin_client_en):
    file = io.BytesIO("code,kind,name\n".encode("gbk") + "甲".encode("gbk"))
    file.name = "gbk.csv"
    page = admin_client_en.post(IMPORT, {"file": file})
    assert page.status_code == 200 and "not UTF-8" in page.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_job_runs_once(db):
    job = ImportJob.objects.create(filename="town.geojson", format="geojson", payload=json.dumps(town()))
    assert GAZETTEER_IMPORTS.run_job(job_id=job.pk).status == ImportJob.Status.SUCCEEDED
    assert GAZETTEER_IMPORTS.run_job(job_id=job.pk) is None  # a second delivery of the task
    assert Entry.objects.count() == 5


def test_the_import_tells_its_progress_checking_then_writing(db):
    features = [feature(f"P{n}", "poi", f"店{n}", point(118.6 + n * 1e-5, 34.9)) for n in range(1, 1201)]
    seen = []
    with translation.override("en"):
        gazetteer_import(
            data={"type": "FeatureCollection", "features": features},
            progress=lambda done, total, stage: seen.append((stage, done, total)),
        )
    assert seen[0] == ("check", 0, 1200) and seen[-1] == ("write", 1200, 1200)
    stages = [stage for stage, _, _ in seen]
    assert stages == sorted(stages)  # "check" < "write": every check before any write
    for stage in ("check", "write"):
        done = [d for s, d, _ in seen if s == stage]
        assert done == sorted(done), stage


def test_the_import_page_is_refused_to_an_account_without_the_permission(client, make_user):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(IMPORT).status_code in (302, 403)
    assert ImportJob.objects.count() == 0


def test_the_system_administrator_uploads_and_sees_the_jobs_but_changes_none(
    client, make_user, django_capture_on_commit_callbacks
):
    from accounts.services import roles_sync

    roles_sync()
    client.force_login(make_user("sys", Role.SYSTEM_ADMIN, is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": upload(json.dumps(town()), "town.geojson")})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert client.get(reverse("admin:gazetteer_importjob_change", args=[job.pk])).status_code == 200
    assert client.get(reverse("admin:gazetteer_importjob_changelist")).status_code == 200
    assert client.post(reverse("admin:gazetteer_importjob_change", args=[job.pk]), {}).status_code == 403
    assert client.get(reverse("admin:gazetteer_importjob_add")).status_code == 403


def test_the_command_audits_its_own_runs(tmp_path):
    good, bad = tmp_path / "town.geojson", tmp_path / "places.csv"
    good.write_text(json.dumps(town()), encoding="utf-8")
    bad.write_text(BAD_CSV, encoding="utf-8")
    before = imports().count()
    call_command("import_gazetteer", str(good), stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import_gazetteer", str(bad), stdout=io.StringIO())
    ok, failed = imports().order_by("id")[before:]
    assert ok.result == "ok" and ok.details == {"file": str(good), "format": "geojson", "created": 5, "updated": 0}
    assert failed.result == "failed" and failed.details == {"file": str(bad), "format": "csv", "problems": 1}


def test_a_job_fails_at_once_saying_so_when_the_task_queue_cannot_be_reached(django_capture_on_commit_callbacks):
    with broker_unreachable(), translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        job = GAZETTEER_IMPORTS.create(filename="town.geojson", format="geojson", payload=json.dumps(town()))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    assert job.errors == ["The task queue could not be reached; upload the file again."]
    assert Entry.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_imports_an_uploaded_file_on_a_real_worker_with_progress(client, celery_worker_process):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-for-tests-1"))
    client.cookies["django_language"] = "en"
    features = [feature(f"P{n}", "poi", f"兴隆{n}号店", point(118.6 + n * 1e-5, 34.9)) for n in range(1, 1501)]
    data = json.dumps({"type": "FeatureCollection", "features": features})
    response = client.post(IMPORT, {"file": upload(data, "shops.geojson")})
    job = ImportJob.objects.get()
    progress_url = reverse("admin:gazetteer_importjob_progress", args=[job.pk])
    seen = []
    for _ in range(600):  # the worker's own pace: wait for its answer, however long it takes
        state = client.get(progress_url).json()
        seen.append(state["percent"])
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert response.status_code == 302
    assert state["status"] == "succeeded" and state["percent"] == 100, (state, celery_worker_process.output())
    assert seen == sorted(seen)  # progress only moves forward
    assert Entry.objects.count() == 1500
    assert "gazetteer.tasks.run_import_job[" in celery_worker_process.output()
    page = client.get(reverse("admin:gazetteer_importjob_change", args=[job.pk])).content.decode()
    assert "Gazetteer imported: 1500 entries added, 0 updated." in page
