"""API tokens, one per device: made and revoked only here, each time in the audit log.

The key ("Authorization: Token <key>") is 40 random characters, shown once when the token is
made; only its SHA-256 is stored, so a copy of the database holds no usable key. A token
works until API_TOKEN_DAYS after it was made, or until its owner or the security
administrator revokes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken
from audit.services import audit_record

LAST_USED_EVERY = dt.timedelta(minutes=5)  # last_used_at is written at most this often


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user, name: str, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """A new token for one of the user's devices; returns it and its key (never stored)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Name the device this token is for."), code="required")
    key = secrets.token_urlsafe(30)
    now = timezone.now()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=user, name=name[:64], key_hash=token_hash(key), prefix=key[:8], created_at=now,
                expires_at=now + dt.timedelta(days=settings.API_TOKEN_DAYS),
            )  # fmt: skip
            audit_record(
                action="api.token_created", actor=user, request=request, obj=user,
                details={"token": token.pk, "device": token.name, "expires_at": token.expires_at.isoformat()},
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            _("You already have a token for a device of this name: revoke it first, or choose another name."),
            code="unique",
        ) from None
    return token, key


def api_token_revoke(*, token: ApiToken, actor, request: HttpRequest | None = None) -> None:
    """Revoke (delete) a token: by its owner, or by the security administrator."""
    with transaction.atomic():
        owner = token.user
        details = {"token": token.pk, "device": token.name, "by": "owner" if actor.pk == owner.pk else "administrator"}
        token.delete()
        audit_record(action="api.token_revoked", actor=actor, request=request, obj=owner, details=details)


def api_token_authenticate(key: str) -> ApiToken | None:
    """The live token with this key, its user loaded; None for an unknown, expired or
    inactive one. Notes when it was last used (at most every few minutes)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    now = timezone.now()
    if token is None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("name"))
