"""API keys: ``pky_<prefix>_<secret>``, pure functions with no I/O.

The prefix (12 characters) is a public lookup id; the secret carries at least 32 random
bytes. Only sha256 of the whole key is stored: a key has far more entropy than any password,
so a slow KDF would add latency without adding safety (as PyPI's macaroons and GitHub's
tokens do). Hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

SCHEME = "pky"
PREFIX_LENGTH = 12
# secrets.token_urlsafe(32) is 43 characters: 32 random bytes in unpadded base64url.
SECRET_BYTES = 32
MIN_SECRET_LENGTH = 43

_PREFIX_ALPHABET = string.ascii_letters + string.digits
# The prefix has a fixed width, so it and the secret may contain "_" without ambiguity.
_KEY = re.compile(
    rf"^{SCHEME}_(?P<prefix>[A-Za-z0-9_-]{{{PREFIX_LENGTH}}})_"
    rf"(?P<secret>[A-Za-z0-9_-]{{{MIN_SECRET_LENGTH},512}})$"
)


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    secret: str

    @property
    def key(self) -> str:
        return f"{SCHEME}_{self.prefix}_{self.secret}"


def generate_key() -> ParsedKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return ParsedKey(prefix=prefix, secret=secrets.token_urlsafe(SECRET_BYTES))


def parse_key(key: str) -> ParsedKey | None:
    """The parts of a well-formed key, or None."""
    match = _KEY.match(key)
    if match is None:
        return None
    return ParsedKey(prefix=match["prefix"], secret=match["secret"])


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def key_matches(key: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


# Compared against when the prefix is unknown, so that case costs the same as a wrong secret.
DUMMY_HASH = hash_key(f"{SCHEME}_{'0' * PREFIX_LENGTH}_{'0' * MIN_SECRET_LENGTH}")
