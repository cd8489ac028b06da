"""Personal information encrypted at rest (PIPL; issue 11, item 10): reporters' names, phone
numbers and e-mail addresses are stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from the
maintained `cryptography` package), never in clear, so a copy of the database or of a backup
does not give them away without the key.

Keys: PII_KEYS, a comma-separated list of Fernet keys (`manage.py pii_key` makes one), newest
first. The first encrypts; every one decrypts (MultiFernet), so a key is rotated by putting a
new one in front, running `manage.py pii_rotate` (every row re-encrypted with it) and then
dropping the old one. With DEBUG on and no PII_KEYS (the demo, development) a key is derived
from SECRET_KEY; with DEBUG off there is no default: the system check config.E001 stops the web
unit from starting, and any write of personal information fails loudly rather than storing it
in clear.

Lookups: an encrypted value cannot be searched (each token differs), so a value that must be
found again (a reporter's phone, for the limit per phone number) also gets a keyed hash
(HMAC-SHA256 under a key derived from each PII key): `lookup_hashes` gives it under every
configured key, so rows hashed before a rotation are still found.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_START = "gAAAAA"  # noqa: S105  (every Fernet token starts so: version byte 0x80, base64-encoded)


def derived_key(secret_key: str) -> str:
    """The development key: derived from SECRET_KEY (DEBUG only: a published SECRET_KEY would
    publish it too, and production refuses both)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"pii-key:{secret_key}".encode()).digest()).decode()


def keys_check(keys: list[str], name: str = "PII_KEYS") -> list[str]:
    """Each key must be a Fernet key (32 bytes, URL-safe base64); raises ImproperlyConfigured naming the variable."""
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            raise ImproperlyConfigured(
                f"{name} must hold Fernet keys (44 characters of URL-safe base64 each, comma-separated); "
                "make one with `manage.py pii_key`."
            ) from None
    return keys


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "PII_KEYS is required with DEBUG off: reporters' contact details are encrypted with it "
            "(README, Production: the encryption key)."
        )
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.PII_KEYS)


def encrypt(text: str) -> str:
    """A token for `text`; "" stays "" (an empty field says there is nothing, and is searchable)."""
    if not text:
        return ""
    return _fernet(_keys()).encrypt(text.encode()).decode()


def decrypt(value: str) -> str:
    """The text of a token. A value that is not a token is a row written before encryption (the
    data migration encrypts them all; until then it reads as it is)."""
    if not value or not value.startswith(TOKEN_START):
        return value
    try:
        return _fernet(_keys()).decrypt(value.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A reporter's contact cannot be decrypted with any key of PII_KEYS: a key it was encrypted with "
            "is missing (keep the old key in the list until `manage.py pii_rotate` has run)."
        ) from None


def rotate(value: str) -> str:
    """The token re-encrypted with the first key (a value in clear: encrypted)."""
    if not value:
        return ""
    if not value.startswith(TOKEN_START):
        return encrypt(value)
    return _fernet(_keys()).rotate(value.encode()).decode()


def _lookup_key(key: str) -> bytes:
    return hmac.new(base64.urlsafe_b64decode(key.encode()), b"lookup", hashlib.sha256).digest()


def lookup_hash(text: str) -> str:
    """The keyed hash of `text` under the first key ("" for nothing)."""
    return lookup_hashes(text)[0] if text else ""


def lookup_hashes(text: str) -> list[str]:
    """The keyed hashes of `text` under every key: what a row may hold, whenever it was hashed."""
    keys = _keys()
    _fernet(keys)  # no keys: refused as for encryption
    return [hmac.new(_lookup_key(key), text.encode(), hashlib.sha256).hexdigest() for key in keys]


class EncryptedTextField(models.TextField):
    """Text stored encrypted (encrypt/decrypt above). It can only be compared with "" in a query:
    use a lookup hash column for anything that must be found."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)


REWRITE_BATCH = 1000


def rewrite_columns(connection, table: str, columns: list[str], convert, hashed: tuple[str, str] | None = None):
    """Read the rows with something in `columns` and write each value through `convert`; with
    `hashed` = (source column, hash column), also the source's lookup hash (of its clear text).
    Returns the number of rows written. (The migrations that encrypted the stored contacts, and cases.privacy.pii_rotate.)"""
    quote = connection.ops.quote_name
    where = " OR ".join(f"{quote(c)} <> ''" for c in columns)
    last = written = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {', '.join(quote(c) for c in columns)} FROM {quote(table)} "  # noqa: S608  (names only)
                f"WHERE id > %s AND ({where}) ORDER BY id LIMIT {REWRITE_BATCH}",
                [last],
            )
            rows = cursor.fetchall()
        if not rows:
            return written
        sets = [f"{quote(c)} = %s" for c in columns] + ([f"{quote(hashed[1])} = %s"] if hashed else [])
        updates = []
        for pk, *values in rows:
            new = [convert(value or "") for value in values]
            if hashed:
                new.append(lookup_hash(decrypt(values[columns.index(hashed[0])] or "")))
            updates.append([*new, pk])
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(table)} SET {', '.join(sets)} WHERE id = %s", updates)  # noqa: S608
        last = rows[-1][0]
        written += len(rows)


@register(Tags.security)
def pii_keys_check(app_configs=None, **kwargs) -> list[Error]:
    """config.E001: no encryption key with DEBUG off. It runs with `manage.py check` (which the web
    unit runs before gunicorn starts) and `migrate`, so production does not start without one."""
    if settings.PII_KEYS:
        return []
    return [
        Error(
            "PII_KEYS is not set: with DEBUG off reporters' contact details must be encrypted with a key of your own.",
            hint="Make one with `manage.py pii_key`, put PII_KEYS=<key> in the environment, and keep a copy "
            "of it apart from the database backups (README, Production: the encryption key).",
            id="config.E001",
        )
    ]
