"""The dashboard password: an scrypt hash (stdlib hashlib) made by `hash-password`, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from aicost.errors import InvalidInput

SCHEME = "scrypt"
N, R, P = 2**15, 8, 1  # ~32 MiB and a few tens of milliseconds per check: cheap for a login, dear for a guesser
MIN_LENGTH = 12
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """`scrypt:N:r:p:salt:hash` (base64url): no `$`, so it can be pasted into a shell or .env unquoted.

    Raises:
        InvalidInput: the password is shorter than MIN_LENGTH characters.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput("password", f"use at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(16)
    return ":".join([SCHEME, str(N), str(R), str(P), _b64(salt), _b64(_derive(password, salt, N, R, P))])


def verify(password: str, encoded: str) -> bool:
    """Whether the password matches the hash; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = encoded.strip().split(":")
        if scheme != SCHEME:
            return False
        expected = _unb64(digest)
        got = _derive(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)

