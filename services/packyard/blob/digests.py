"""The digests Packyard keeps for every object, computed in one pass."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from packyard.common.errors import InvalidArgument

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

DIGEST_MISMATCH = "The digest supplied does not match a digest calculated from the uploaded file."


@dataclass(frozen=True)
class Digests:
    """Lowercase hex digests; "" means not known."""

    sha256: str
    blake2b_256: str = ""
    md5: str = ""

    def matches(self, expected: Digests) -> bool:
        """True when every non-empty expected digest equals ours (case-insensitive)."""
        pairs = (
            (expected.sha256, self.sha256),
            (expected.blake2b_256, self.blake2b_256),
            (expected.md5, self.md5),
        )
        # Evaluate every pair so the time taken does not tell which digest differed.
        results = [
            hmac.compare_digest(want.lower().encode(), have.encode())
            for want, have in pairs
            if want
        ]
        return all(results)


class Hasher:
    """sha256, blake2b-256 (PyPI's blake2b_256) and md5 of a byte stream."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._blake2b = hashlib.blake2b(digest_size=32)
        # md5 is only reported (legacy clients send md5_digest), never trusted for identity.
        self._md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        self._sha256.update(data)
        self._blake2b.update(data)
        self._md5.update(data)

    def digests(self) -> Digests:
        return Digests(
            sha256=self._sha256.hexdigest(),
            blake2b_256=self._blake2b.hexdigest(),
            md5=self._md5.hexdigest(),
        )


def digests_of(data: bytes) -> Digests:
    hasher = Hasher()
    hasher.update(data)
    return hasher.digests()


def checked_sha256(value: str) -> str:
    """A sha256 usable in an object key: 64 lowercase hex digits, or InvalidArgument."""
    digest = value.lower()
    if not _SHA256_HEX.fullmatch(digest):
        raise InvalidArgument("Use a valid, hex-encoded, SHA256 message digest.")
    return digest
