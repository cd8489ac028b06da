"""The admin: GeoJSON upload through an import job, export, edits that keep derived fields in step."""

import json

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from grids.models import Grid, ImportJob, Place
from tests.grids.factories import build_tree
from tests.grids.test_import import county

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_en(admin_client):
    admin_client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield admin_client


def upload(client, data, name="county.geojson"):
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(reverse("admin:grids_grid_import"), {"file": SimpleUploadedFile(name, content)})


def test_it_imports_an_uploaded_file_through_a_job(admin_client_en, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client_en, county())
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:grids_importjob_change", args=[job.pk])
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.summary["grids_created"] == 5 and job.payload == ""
    assert Grid.objects.count() == 5 and Place.objects.count() == 2
    progress = admin_client_en.get(reverse("admin:grids_importjob_progress", args=[job.pk])).json()
    assert progress["status"] == "succeeded" and progress["percent"] == 100
    page = admin_client_en.get(response.url).content.decode()
    assert "100%" in page
    assert "5 grids created, 0 updated; 2 places created" in page
    assert 'name="_save"' not in page and "deletelink" not in page


def test_it_shows_every_problem_of_a_bad_upload_and_imports_nothing(
    admin_client_en, django_capture_on_commit_callbacks
):
    data = county()
    data["features"][4]["properties"]["parent"] = "NOPE"
    del data["features"][3]["properties"]["code"]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client_en, data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == [
        "feature #4: missing code",
        "feature #5 (code M2): unknown parent NOPE",
        "feature #6 (code S1): unknown grid M1",  # M1 is feature #4, which has no code
        "feature #7 (code R1): unknown grid M1",
    ]
    assert Grid.objects.count() == 0
    page = admin_client_en.get(response.url)
    assert "feature #4: missing code" in page.content.decode()
    assert "unknown parent NOPE" in page.content.decode()


def test_it_refuses_a_file_that_is_not_utf8(admin_client_en):
    response = upload(admin_client_en, "{}".encode("utf-16"))
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_it_keeps_the_job_page_read_only(admin_client_en, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client_en, county())
    job = ImportJob.objects.get()
    response = admin_client_en.post(reverse("admin:grids_importjob_change", args=[job.pk]), {"status": "pending"})
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_it_runs_a_job_only_once():
    from grids.services import GRID_IMPORTS

    job = ImportJob.objects.create(filename="x.geojson", payload=json.dumps(county()))
    assert GRID_IMPORTS.run_job(job_id=job.pk).status == ImportJob.Status.SUCCEEDED
    assert GRID_IMPORTS.run_job(job_id=job.pk) is None  # a redelivered task finds the job done
    assert Grid.objects.count() == 5


def test_it_exports_geojson(admin_client_en):
    build_tree()
    response = admin_client_en.get(reverse("admin:grids_grid_export"))
    assert response["Content-Disposition"] == 'attachment; filename="grids.geojson"'
    assert len(json.loads(response.content)["features"]) == 5


def test_it_keeps_the_place_reach_in_step_when_edited(admin_client_en):
    from grids.services import place_save
    from tests.grids.factories import PlaceFactory

    tree = build_tree()
    place = PlaceFactory(micro_grid=tree["a"], geometry=Point(118.605, 34.905, srid=4326), reach_m=10)
    place.geometry = Point(118.607, 34.905, srid=4326)
    place_save(place=place)
    place.refresh_from_db()
    assert place.reach.contains(Point(118.607, 34.905, srid=4326))
    assert not place.reach.contains(Point(118.605, 34.905, srid=4326))


def test_it_refuses_a_grid_edit_that_breaks_the_tree(admin_client_en):
    tree = build_tree()
    url = reverse("admin:grids_grid_change", args=[tree["b"].pk])
    page = admin_client_en.get(url)
    assert page.status_code == 200 and b"leaflet" in page.content.lower()
    form = {
        "code": "M2",
        "name": "改",
        "level": "micro",
        "parent": tree["large"].pk,  # a micro grid under a large grid
        "boundary": tree["b"].boundary.geojson,
        "valid_from": "2000-01-01",
        "chief": "",
    }
    response = admin_client_en.post(url, form)
    assert response.status_code == 200
    assert "parent must be a community grid" in response.content.decode()
    tree["b"].refresh_from_db()
    assert tree["b"].parent == tree["community"]


def test_it_refuses_the_import_page_to_non_staff(client, make_user):
    client.force_login(make_user("clerk"))
    response = client.get(reverse("admin:grids_grid_import"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_it_audits_each_import_job_once_with_its_result(make_user):
    from audit.models import AuditEvent
    from grids.services import GRID_IMPORTS

    admin = make_user("sysadmin")
    good = ImportJob.objects.create(filename="x.geojson", payload=json.dumps(county()), created_by=admin)
    bad = ImportJob.objects.create(filename="y.geojson", payload="{}", created_by=admin)
    GRID_IMPORTS.run_job(job_id=good.pk)
    GRID_IMPORTS.run_job(job_id=bad.pk)

    rows = AuditEvent.objects.filter(action="grids.imported").order_by("id")
    assert [(row.object_id, row.actor_username, row.result) for row in rows] == [
        (str(good.pk), "sysadmin", "ok"),
        (str(bad.pk), "sysadmin", "failed"),
    ]
    assert rows[0].details["grids_created"] == 5
