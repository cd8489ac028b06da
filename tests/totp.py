"""RFC 6238 time-based one-time passwords, computed here the way an authenticator app does
(HMAC-SHA1, 30-second steps, six digits), independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp(key: bytes, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def key_from_secret(secret: str) -> bytes:
    """The key from the base32 text an app is given to type (spaces allowed, no padding)."""
    text = secret.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))
