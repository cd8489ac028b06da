"""API tokens: one per device, expiring, listed and revoked by their owner on "My account" and
by the security administrator in the admin; made and revoked only with an audit row."""

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import Role
from accounts.tokens import api_token_create
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def api(client, key, **extra):
    return client.get("/api/cases/", HTTP_AUTHORIZATION=f"Token {key}", **extra)


def test_it_makes_a_token_for_a_device_and_shows_its_key_once(client, make_user, settings):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    client.force_login(clerk)
    response = client.post(reverse("account_token_create"), {"name": "巡查手机 3 号"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: the key stays out of caches
    key = re.search(r'id="new-token-key"[^>]*>([^<]+)<', response.content.decode()).group(1)

    token = ApiToken.objects.get(user=clerk)
    assert (token.name, token.prefix, token.key_hash) == (
        "巡查手机 3 号",
        key[:8],
        hashlib.sha256(key.encode()).hexdigest(),
    )
    assert token.expires_at - token.created_at == dt.timedelta(days=settings.API_TOKEN_DAYS)
    assert key not in client.get(reverse("account")).content.decode()  # listed, the key no more
    assert api(client.__class__(), key).status_code == 200
    event = AuditEvent.objects.get(action="api.token_created")
    assert (event.actor_username, event.details["device"]) == ("clerk", "巡查手机 3 号")


def test_it_refuses_a_second_token_of_the_same_device_name(client, make_user):
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    client.post(reverse("account_token_create"), {"name": "phone"})
    response = client.post(reverse("account_token_create"), {"name": "phone"})
    assert response.status_code == 400
    assert "您已有同名设备的令牌" in response.content.decode()
    assert ApiToken.objects.count() == 1 and AuditEvent.objects.filter(action="api.token_created").count() == 1


def test_it_lets_the_owner_revoke_a_token_and_nobody_else(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    other = make_user("other", Role.INTAKE_CLERK)
    token, key = api_token_create(user=clerk, name="phone")
    client.force_login(other)
    assert client.post(reverse("account_token_revoke", args=[token.pk])).status_code == 404
    client.force_login(clerk)
    assert client.post(reverse("account_token_revoke", args=[token.pk])).status_code == 302

    assert not ApiToken.objects.exists()
    assert api(client.__class__(), key).status_code == 403
    assert AuditEvent.objects.get(action="api.token_revoked").details["by"] == "owner"


def test_it_refuses_an_expired_token(client, make_user):
    token, key = api_token_create(user=make_user("clerk", Role.INTAKE_CLERK), name="phone")
    assert api(client, key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api(client, key)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="api.token_failed").count() == 1


def test_it_refuses_the_token_of_a_disabled_account(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    _token, key = api_token_create(user=clerk, name="phone")
    clerk.is_active = False
    clerk.save()
    assert api(client, key).status_code == 403


def test_it_notes_when_a_token_was_last_used(client, make_user):
    token, key = api_token_create(user=make_user("clerk", Role.INTAKE_CLERK), name="phone")
    assert token.last_used_at is None
    api(client, key)
    assert ApiToken.objects.get().last_used_at is not None


def test_it_lets_the_security_administrator_list_and_revoke_tokens_but_not_an_administrators(client, make_user):
    clerk_token, _ = api_token_create(user=make_user("clerk", Role.INTAKE_CLERK), name="phone")
    audit_token, _ = api_token_create(user=make_user("auditor", Role.AUDIT_ADMIN), name="laptop")
    client.force_login(make_user("secadmin", Role.SECURITY_ADMIN))
    changelist = reverse("admin:accounts_apitoken_changelist")
    page = client.get(changelist).content.decode()
    assert "phone" in page and "laptop" in page

    response = client.post(
        changelist, {"action": "revoke_tokens", "_selected_action": [clerk_token.pk, audit_token.pk]}
    )
    assert response.status_code == 302
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["laptop"]
    event = AuditEvent.objects.get(action="api.token_revoked")
    assert (event.actor_username, event.object_label, event.details["by"]) == ("secadmin", "clerk", "administrator")
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403


def test_it_lists_my_tokens_with_their_expiry(client, make_user):
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    token, _ = api_token_create(user=clerk, name="phone")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(clerk)
    page = client.get(reverse("account")).content.decode()
    assert "phone" in page and "已过期" in page


def test_it_copies_the_tokens_made_before_devices(make_user, settings):
    """Migration 0003: each of Django REST framework's old tokens (one per user, its key in
    clear) becomes a device token with the same key, only its hash kept."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0003_tokens_from_drf_authtoken")
    clerk = make_user("clerk", Role.INTAKE_CLERK)
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, timezone.now(), clerk.pk])
    migration.copy_tokens(apps, SimpleNamespace(connection=connection))

    token = ApiToken.objects.get(user=clerk)
    assert (token.name, token.key_hash) == ("API token (before devices)", hashlib.sha256(key.encode()).hexdigest())
    assert token.expires_at > timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS - 1)
    assert api(client_for_api(), key).status_code == 200


def client_for_api():
    from django.test import Client

    return Client()
