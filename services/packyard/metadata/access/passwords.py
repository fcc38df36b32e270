"""Password hashing with scrypt (memory-hard, in the standard library). Pure, no I/O.

Stored form: ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (base64), so the cost can be raised later
while old hashes still verify with the parameters they were made with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# n=2**14, r=8 needs 16 MiB and ~50 ms per hash: costly to guess offline, cheap enough online.
N = 2**14
R = 8
P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 1024


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n + 2**20,
        dklen=_HASH_BYTES,
    )  # fmt: skip


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash; False for a malformed one."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when the user is unknown, so that case costs what a wrong password costs.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
