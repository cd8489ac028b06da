"""API keys: made in the admin or with manage.py open311_key, shown once, stored as a hash."""

import io

import pytest
from django.core.management import call_command

from cases.models import Case, Source
from open311.models import ApiKey
from tests.open311.test_api import post

pytestmark = pytest.mark.django_db


def test_it_makes_a_key_in_the_admin_and_shows_it_once(client, city, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/open311/apikey/add/", {"name": "12345 热线", "source": Source.HOTLINE, "active": "on"}, follow=True
    )
    assert response.status_code == 200
    row = ApiKey.objects.get()
    message = next(str(m) for m in response.context["messages"])
    key = message.split("The new API key is ")[1].split(".")[0]
    assert row.prefix == key[:8] and row.key_hash == ApiKey.hash(key) and key not in row.key_hash
    page = client.get(f"/admin/open311/apikey/{row.pk}/change/").content.decode()
    assert key not in page  # not shown again
    client.logout()
    assert post(client, key).status_code == 200 and Case.objects.get().source == Source.HOTLINE


def test_it_makes_a_key_from_the_command_line(city, client):
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "FixMyStreet 客户端", "--source", "citizen", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) == 40 and "not shown again" in err.getvalue()
    assert ApiKey.objects.get().source == Source.CITIZEN
    assert post(client, key).status_code == 200
