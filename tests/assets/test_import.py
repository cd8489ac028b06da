"""Importing and exporting the inventory: GeoJSON and CSV, upsert by code, all or nothing with
every bad row named, the admin's upload as a background job (a real worker) with progress."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from assets.models import Asset, AssetStatus, ImportJob
from assets.services import ASSET_IMPORTS, AssetImportError, asset_export, asset_export_csv, asset_import
from audit.models import AuditEvent
from tests.assets.conftest import code

pytestmark = pytest.mark.django_db


def feature(properties: dict, geometry: dict | None = None) -> dict:
    geometry = geometry or {"type": "Point", "coordinates": [118.6045, 34.9045]}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def test_it_imports_points_and_lines_from_geojson_and_upserts_by_code(city):
    data = collection(
        feature({"code": code("0101", 1), "name": "人民路 12 号", "maintainer": "housing", "owner": "自来水公司"}),
        feature(
            {"code": code("0120", 1), "category": "C0120", "status": "damaged", "installed_on": "2019-05-01"},
            {"type": "LineString", "coordinates": [[118.6010, 34.9010], [118.6050, 34.9010]]},
        ),
    )
    summary = asset_import(data=data)
    assert summary.as_dict() == {"created": 2, "updated": 0}
    cover = Asset.objects.get(code=code("0101", 1))
    assert cover.category.name == "上水井盖" and cover.maintainer.code == "housing" and cover.owner == "自来水公司"
    assert cover.micro_grid == city["a"] and cover.status == AssetStatus.IN_SERVICE
    lamp = Asset.objects.get(code=code("0120", 1))
    assert lamp.geometry.geom_type == "LineString" and lamp.status == AssetStatus.DAMAGED
    assert lamp.point.x == pytest.approx(118.6030) and lamp.micro_grid == city["a"]  # the middle of the line

    data["features"][0]["properties"]["maintainer"] = "市政"  # a short name works too
    assert asset_import(data=data).as_dict() == {"created": 0, "updated": 2}
    assert Asset.objects.get(code=code("0101", 1)).maintainer.code == "municipal"


def test_it_imports_csv_with_lon_lat_or_wkt(city):
    text = (
        "\ufeffcode,category,name,lon,lat,wkt,maintainer,status\n"
        f"{code('0305', 7)},,垃圾箱,118.6145,34.9055,,环卫,\n"
        f'{code("0120", 8)},C0120,路灯,,,"LINESTRING (118.601 34.902, 118.603 34.902)",,missing\n'
    )
    assert asset_import(data=text, fmt="csv").created == 2
    assert Asset.objects.get(code=code("0305", 7)).micro_grid == city["b"]
    assert Asset.objects.get(code=code("0120", 8)).status == AssetStatus.MISSING


def test_it_refuses_a_file_with_bad_rows_naming_each_one_and_imports_nothing(city):
    good = feature({"code": code("0101", 1)})
    bad = [
        feature({"name": "无编号"}),
        feature({"code": "37132901"}),
        feature({"code": code("0101", 2), "category": "C0120"}),
        feature({"code": code("0102", 3), "category": "E0102"}),
        feature({"code": "371329990100004"[:10] + "000004"}),  # no subcategory 9901
        feature({"code": code("0101", 5), "maintainer": "不存在的单位"}),
        feature({"code": code("0101", 6)}, {"type": "Point", "coordinates": [120.0, 30.0]}),
        feature({"code": code("0101", 1)}),
        feature({"code": code("0101", 9), "status": "broken"}),
        feature({"code": code("0101", 10)}, {"type": "Polygon", "coordinates": []}),
        feature({"code": code("0101", 11), "installed_on": "去年"}),
    ]
    with pytest.raises(AssetImportError) as refused:
        asset_import(data=collection(good, *bad))
    problems = [str(problem) for problem in refused.value.problems]
    assert len(problems) == len(bad)
    expected = [
        "feature #2: missing code",
        "feature #3 (code 37132901): an asset code has 16 digits",
        f"feature #4 (code {code('0101', 2)}): digits 7–10 of the code must be the subcategory's code 0120",
        f"feature #5 (code {code('0102', 3)}): E0102 is an event, not a component",
        "feature #6 (code 3713299901000004): no component subcategory 9901",
        f"feature #7 (code {code('0101', 5)}): no department '不存在的单位'",
        f"feature #8 (code {code('0101', 6)}): lies outside the city's grids",
        f"feature #9 (code {code('0101', 1)}): duplicate code (also feature #1)",
        f"feature #10 (code {code('0101', 9)}): status must be one of",
        f"feature #11 (code {code('0101', 10)}): the location must be a Point, LineString or MultiLineString",
        f"feature #12 (code {code('0101', 11)}): installed_on must be a date",
    ]
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), (problem, start)
    assert Asset.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        ("not json", "geojson", "not valid JSON"),
        ({"type": "Feature"}, "geojson", "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "geojson", "holds no assets"),
        ("name,lon,lat\nx,1,2\n", "csv", "header line with a code column"),
        (f"code,lon,lat\n{code('0101', 1)},east,north\n", "csv", "line 2 (code"),
    ],
)
def test_it_refuses_a_file_that_is_not_an_inventory(city, data, fmt, words):
    with pytest.raises(AssetImportError) as refused:
        asset_import(data=data, fmt=fmt)
    assert words in str(refused.value)
    assert Asset.objects.count() == 0


def test_it_exports_what_it_reads_back_unchanged_as_geojson_and_csv(city):
    asset_import(
        data=collection(
            feature({"code": code("0101", 1), "maintainer": "housing", "name": "门前", "note": "新换"}),
            feature(
                {"code": code("0120", 2)}, {"type": "LineString", "coordinates": [[118.601, 34.902], [118.603, 34.902]]}
            ),
        )
    )
    exported = asset_export()
    assert {f["properties"]["code"] for f in exported["features"]} == {code("0101", 1), code("0120", 2)}
    assert asset_import(data=json.loads(json.dumps(exported))).as_dict() == {"created": 0, "updated": 2}
    text = asset_export_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["maintainer"] == "housing" and rows[0]["lon"] and not rows[0]["wkt"]
    assert rows[1]["wkt"].startswith("LINESTRING")
    before = list(Asset.objects.order_by("code").values_list("code", "maintainer_id", "name", "note", "status"))
    Asset.objects.all().delete()
    assert asset_import(data=text, fmt="csv").created == 2
    assert list(Asset.objects.order_by("code").values_list("code", "maintainer_id", "name", "note", "status")) == before


@pytest.fixture
def admin_client_en(client, db):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    client.force_login(admin)
    client.cookies["django_language"] = "en"
    return client


def test_it_shows_every_problem_of_a_bad_upload_and_imports_nothing(
    admin_client_en, city, django_capture_on_commit_callbacks
):
    upload = io.BytesIO(f"code,lon,lat\n{code('0101', 1)},118.6045,34.9045\n123,118.6,34.9\n".encode())
    upload.name = "assets.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_en.post(reverse("admin:assets_asset_import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:assets_importjob_change", args=[job.pk]
    )
    assert job.status == ImportJob.Status.FAILED and job.format == "csv"
    page = admin_client_en.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page and "line 3 (code 123)" in page and "import-progress.js" not in page
    assert Asset.objects.count() == 0
    audit = AuditEvent.objects.get(action="assets.imported")
    assert audit.result == "failed" and audit.details["problems"] == 1


def test_it_runs_a_job_once_and_keeps_no_copy_of_an_imported_file(city):
    job = ImportJob.objects.create(
        filename="a.geojson", format="geojson", payload=json.dumps(collection(feature({"code": code("0101", 1)})))
    )
    assert ASSET_IMPORTS.run_job(job_id=job.pk).status == ImportJob.Status.SUCCEEDED
    assert ASSET_IMPORTS.run_job(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.payload == "" and job.summary == {"created": 1, "updated": 0}


def test_it_refuses_the_import_page_to_an_account_without_the_permission(client, make_user):
    client.force_login(make_user("clerk", is_staff=True))
    assert client.get(reverse("admin:assets_asset_import")).status_code in (302, 403)
    assert ImportJob.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_imports_an_uploaded_file_on_a_real_worker_with_progress(city, client, celery_worker_process):
    import time

    admin = User.objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    client.force_login(admin)
    features = [feature({"code": code("0101", n)}, {"type": "Point", "coordinates": [118.6005 + n * 0.00002, 34.905]})
                for n in range(1, 301)]  # fmt: skip
    upload = io.BytesIO(json.dumps(collection(*features)).encode())
    upload.name = "assets.geojson"
    response = client.post(reverse("admin:assets_asset_import"), {"file": upload})
    job = ImportJob.objects.get()
    progress_url = reverse("admin:assets_importjob_progress", args=[job.pk])
    seen = []
    for _ in range(600):  # the worker's own pace: wait for its answer, however long it takes
        state = client.get(progress_url).json()
        seen.append(state["percent"])
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    assert response.status_code == 302
    assert state["status"] == "succeeded" and state["percent"] == 100, state
    assert seen == sorted(seen)  # progress only moves forward
    assert Asset.objects.count() == 300
    page = client.get(reverse("admin:assets_importjob_change", args=[job.pk])).content.decode()
    assert "300 assets created, 0 updated." in page


def test_it_names_an_asset_edit_that_breaks_the_rules_on_the_admins_form(admin_client_en, city):
    from tests.assets.conftest import make_asset

    asset = make_asset("0101", 1)
    url = reverse("admin:assets_asset_change", args=[asset.pk])
    assert admin_client_en.get(url).status_code == 200
    form = {"code": code("0120", 1), "category": asset.category_id, "name": "", "owner": "", "maintainer": "",
            "status": "in_service", "installed_on": "", "note": "",
            "geometry": '{"type": "Point", "coordinates": [120.0, 30.0]}'}  # fmt: skip
    page = admin_client_en.post(url, form)
    assert (
        page.status_code == 200
        and "digits 7–10 of the code must be the subcategory&#x27;s code 0101" in page.content.decode()
    )
    form["code"] = asset.code
    page = admin_client_en.post(url, form)
    assert page.status_code == 200 and "lies outside the city&#x27;s grids" in page.content.decode()
    form["geometry"] = '{"type": "Point", "coordinates": [118.615, 34.905]}'
    assert admin_client_en.post(url, form).status_code == 302
    asset.refresh_from_db()
    assert asset.micro_grid == city["b"] and asset.point.x == 118.615
