"""``PACKYARD_SECRET_KEY``: the keys that encrypt secrets at rest and sign principal tokens.

The setting is a comma-separated list of Fernet keys (``packyard secrets genkey``), newest
first: the first encrypts and signs, every key in the list decrypts and verifies, so a key is
rotated by putting the new one in front, restarting, running ``packyard secrets rotate`` and
then dropping the old one. Replicas must share the setting (a token one replica signs is
checked by another).

Stored secrets are ``fernet:<token>``; anything without that prefix is a row written before
encryption existed, which ``encrypt_legacy`` rewrites on start.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from packyard.common.errors import FailedPrecondition

PREFIX = "fernet:"
_NO_KEY = (
    "PACKYARD_SECRET_KEY is not set: connector credentials cannot be stored or read "
    "(generate one with `packyard secrets genkey`)."
)
_WRONG_KEY = (
    "A stored secret does not decrypt with PACKYARD_SECRET_KEY: the key is wrong, or the old "
    "key was dropped before `packyard secrets rotate` re-encrypted the secrets."
)


class SecretKeyError(FailedPrecondition):
    """No key, or the wrong key, for a stored secret."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _signing_key(key: str) -> bytes:
    return hmac.new(
        key.strip().encode("ascii"), b"packyard principal token", hashlib.sha256
    ).digest()


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


class SecretKeys:
    def __init__(self, keys: Sequence[str]) -> None:
        try:
            self._fernets = [Fernet(key.strip().encode("ascii")) for key in keys]
        except (ValueError, UnicodeEncodeError):
            raise ValueError(
                "PACKYARD_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes), "
                "comma-separated, newest first"
            ) from None
        # Tokens are signed with a key derived from each secret key, never the key itself.
        self._signing = [
            hmac.new(
                key.strip().encode("ascii"), b"packyard principal token", hashlib.sha256
            ).digest()
            for key in keys
        ] or [secrets.token_bytes(32)]

    @classmethod
    def from_setting(cls, value: str | None) -> SecretKeys:
        """The keys of the setting; without it, none (a random signing key for this process)."""
        return cls([part for part in (value or "").split(",") if part.strip()])

    @property
    def configured(self) -> bool:
        return bool(self._fernets)

    @property
    def signing_keys(self) -> list[bytes]:
        """HMAC keys for principal tokens, the one to sign with first."""
        return self._signing

    def _multi(self) -> MultiFernet:
        if not self._fernets:
            raise SecretKeyError(_NO_KEY)
        return MultiFernet(self._fernets)

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._multi().encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not is_encrypted(stored):
            # Written before encryption; encrypt_legacy rewrites it on the next start.
            return stored
        try:
            return self._multi().decrypt(stored.removeprefix(PREFIX).encode("ascii")).decode()
        except InvalidToken:
            raise SecretKeyError(_WRONG_KEY) from None

    def rotate(self, stored: str) -> str:
        """``stored`` encrypted with the newest key (plaintext rows are encrypted)."""
        if not is_encrypted(stored):
            return self.encrypt(stored)
        try:
            token = self._multi().rotate(stored.removeprefix(PREFIX).encode("ascii"))
        except InvalidToken:
            raise SecretKeyError(_WRONG_KEY) from None
        return PREFIX + token.decode("ascii")
