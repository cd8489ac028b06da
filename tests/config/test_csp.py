"""Content-Security-Policy: on every page, no inline script anywhere, a nonce only where a
library writes one (django-leaflet's map widget in the admin)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from config.settings.base import _tile_origins
from tests.grids.factories import GridFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_it_sends_the_policy_on_public_pages_staff_pages_and_the_api_docs(client, make_user):
    pages = ["/login/", "/citizen/"]
    for path in pages:
        directives = policy(client.get(path))
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    client.force_login(make_user("dispatcher", Role.DISPATCHER))
    for path in ["/", "/cases/", "/grids/map/", "/api/docs/", "/api/docs/?script="]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in policy(response)["script-src"], path


def test_it_keeps_every_template_free_of_inline_script_and_event_handlers():
    inline = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        inline += [f"{path.relative_to(TEMPLATES)}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
        inline += [f"{path.relative_to(TEMPLATES)}: <style>" for _ in re.findall(r"<style\b", text)]
    assert inline == []


def test_it_gives_the_admin_map_widget_a_nonce_that_the_policy_names(client, make_user):
    grid = GridFactory()
    client.force_login(make_user("sysadmin", Role.SYSTEM_ADMIN))
    response = client.get(reverse("admin:grids_grid_change", args=[grid.pk]))
    assert response.status_code == 200
    nonces = set(re.findall(r'<script nonce="([^"]+)"', response.content.decode()))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in policy(response)["script-src"]


def test_it_lets_map_tiles_come_from_the_configured_tile_server():
    tianditu = ("天地图", "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}", {})
    local = ("local", "http://tiles.intranet:8080/{z}/{x}/{y}.png", {})
    same_site = ("here", "/tiles/{z}/{x}/{y}.png", {})
    assert _tile_origins([tianditu, local, same_site]) == ["http://tiles.intranet:8080", "https://*.tianditu.gov.cn"]
