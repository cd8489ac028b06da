"""Upload size limits per address (issue 11, item 9): a body over its address's limit answers 413
with a clear message before it is read; only the imports take large bodies; Open311 checks its
api_key before it reads a large body."""

from __future__ import annotations

import io
import uuid
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from cases.models import Case, Source
from open311.services import api_key_create
from tests.citizens.conftest import phone_jpeg, upload
from tests.open311.test_api import GARBAGE
from tests.security.conftest import IN_M1

pytestmark = pytest.mark.django_db
KIB = 1024


def citizen_form(**extra):
    return {"photo": upload(), "category": "sanitation", "description": "路边垃圾", "phone": "",
            "lat": str(IN_M1.y), "lng": str(IN_M1.x), "request_id": str(uuid.uuid4()), **extra}  # fmt: skip


def test_a_citizen_report_over_its_limit_answers_413_and_stores_nothing(client, city, settings):
    settings.PHOTO_UPLOAD_MAX_BYTES = 100 * KIB
    response = client.post("/citizen/", citizen_form(photo=upload(b"\xff\xd8" + b"0" * 200 * KIB)))
    assert response.status_code == 413
    assert "The request is too large" in response.content.decode() and "100.0\xa0KB" in response.content.decode()
    assert Case.objects.count() == 0
    assert client.post("/citizen/", citizen_form()).status_code == 302  # a photo within it is taken


def test_an_address_that_takes_no_upload_has_the_small_limit(client, city, settings):
    settings.REQUEST_MAX_BYTES = 64 * KIB
    response = client.post("/login/", {"username": "x", "password": "y" * 70 * KIB})
    assert response.status_code == 413
    client.force_login(city["clerk"])
    response = client.post("/api/grids/locate/", data="x" * 70 * KIB, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_staff_intake_takes_several_photos_but_not_more(client, city, settings):
    settings.REQUEST_MAX_BYTES = 64 * KIB
    settings.CASE_UPLOAD_MAX_BYTES = 400 * KIB
    client.force_login(city["clerk"])
    big = "x" * 200 * KIB  # over the small limit, within the intake's
    response = client.post("/api/cases/", data={"description": big}, content_type="application/json")
    assert response.status_code == 400  # read and refused on its merits, not for its size
    response = client.post("/api/cases/", data={"description": big * 3}, content_type="application/json")
    assert response.status_code == 413 and "too large" in response.json()["error"]["message"]


def test_only_the_imports_take_a_large_body(client, city, settings, make_user):
    settings.REQUEST_MAX_BYTES = 64 * KIB
    admin = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    geojson = ('{"type": "FeatureCollection", "features": [], "pad": "' + "x" * 300 * KIB + '"}').encode()
    for url in ("/admin/grids/grid/import/", "/admin/assets/asset/import/", "/admin/gazetteer/entry/import/"):
        response = client.post(url, {"file": upload(geojson, name="city.geojson", content_type="application/json")})
        assert response.status_code != 413, url
    settings.IMPORT_MAX_BYTES = 200 * KIB
    response = client.post(
        "/admin/grids/grid/import/", {"file": upload(geojson, name="c.geojson", content_type="application/json")}
    )
    assert response.status_code == 413


def test_a_nul_in_the_address_answers_400(client, city):
    assert client.get("/citizen/track/AB%00CD/").status_code == 400
    assert client.get("/api/cases/?status=%00").status_code == 400


# ---- Open311: the api_key before the body ---------------------------------------------------


class CountingInput(io.BytesIO):
    """wsgi.input that remembers how much of it the application read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1, /):
        line = super().readline(size)
        self.taken += len(line)
        return line


def wsgi_post(path: str, body: bytes, content_type: str, query: str = ""):
    """POST through Django's WSGI handler, as gunicorn would: (status, body, bytes read)."""
    stream = CountingInput(body)
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "HTTP_HOST": "testserver", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": stream, "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
        "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False,
        "HTTP_COOKIE": "django_language=en",  # the messages asserted are the English ones
    }  # fmt: skip
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    content = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], content, stream.taken


def multipart(fields: dict) -> bytes:
    return encode_multipart(BOUNDARY, fields)


@pytest.fixture
def key(city):
    return api_key_create(name="12345 热线系统", source=Source.HOTLINE)[1]


def fields(key: str, **extra) -> dict:
    return {"api_key": key, "service_code": GARBAGE, "lat": str(IN_M1.y), "long": str(IN_M1.x),
            "description": "人行道上有一堆垃圾", **extra}  # fmt: skip


def big_photo() -> bytes:
    """A real JPEG of about 2 MB (noise does not compress)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((1400, 1400), 90).convert("RGB").save(buffer, "JPEG", quality=100)
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_open311_refuses_a_wrong_key_before_reading_a_large_body(city):
    photo = big_photo()
    body = multipart({**fields("wrong-key"), "media": upload(photo)})
    status, content, taken = wsgi_post("/open311/v2/requests.json", body, MULTIPART_CONTENT)
    assert status == 403 and b"api_key" in content
    assert taken <= 64 * KIB < len(body) // 10
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_open311_takes_a_large_body_whose_key_comes_first_whole(key):
    photo = big_photo()
    body = multipart({**fields(key), "media": upload(photo)})
    status, content, taken = wsgi_post("/open311/v2/requests.json", body, MULTIPART_CONTENT)
    assert status == 200, content
    assert taken == len(body)
    case = Case.objects.get()
    assert case.photos.get().size_bytes == len(photo)  # the bytes read first were put back in place
    assert case.description == "人行道上有一堆垃圾"


@pytest.mark.django_db(transaction=True)
def test_open311_asks_for_the_key_before_the_photo(key):
    body = multipart({"media": upload(big_photo()), **fields(key)})  # the photo first
    status, content, taken = wsgi_post("/open311/v2/requests.json", body, MULTIPART_CONTENT)
    assert status == 403 and b"before the photo" in content and taken <= 64 * KIB
    body = multipart({"media": upload(phone_jpeg()), **fields(key)})  # a small body: parsed whole, taken
    assert wsgi_post("/open311/v2/requests.json", body, MULTIPART_CONTENT)[0] == 200


@pytest.mark.django_db(transaction=True)
def test_open311_takes_the_key_from_the_query_string_without_reading_the_body(key):
    body = multipart({**fields(""), "media": upload(big_photo())})
    status, _content, taken = wsgi_post("/open311/v2/requests.json", body, MULTIPART_CONTENT, "api_key=wrong")
    assert status == 403 and taken == 0
    status, content, _taken = wsgi_post(
        "/open311/v2/requests.json", body, MULTIPART_CONTENT, urlencode({"api_key": key})
    )
    assert status == 200, content
