"""Principal tokens: what the gateway sends on each call it makes for a user or key.

``Authenticate`` answers a token next to the Principal: an HMAC-SHA256 (a key derived from
``PACKYARD_SECRET_KEY``, metadata/secret_keys.py) over the serialized Principal and an expiry.
The metadata service then decides permissions from the token alone, with no lookup: the
rights it carries are the ones the gateway itself checks. It lives ``LIFETIME`` seconds and
never past the key's own expiry; a revocation reaches the gateway at once (its cache of
authentications is dropped on ``packyard.access.changed``, and it asks again), and only the
gateway's certificate may present tokens at all (metadata/callers.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from collections.abc import Sequence

from google.protobuf.message import DecodeError
from packyard_rpc.v1 import common_pb2

from packyard.common.errors import Unauthenticated

LIFETIME = 30.0
_VERSION = b"\x01"
_DOMAIN = b"packyard-principal-token-v1"
BAD_TOKEN = "The principal token is invalid or expired."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + payload, hashlib.sha256).digest()


def sign(
    principal: common_pb2.Principal,
    key: bytes,
    *,
    now: float | None = None,
    lifetime: float = LIFETIME,
) -> str:
    """A token for ``principal`` that expires in ``lifetime`` seconds (or with its key)."""
    issued = time.time() if now is None else now
    expires = issued + lifetime
    if principal.HasField("key_expires"):
        expires = min(expires, principal.key_expires.ToMicroseconds() / 1e6)
    payload = _VERSION + struct.pack(">q", int(expires * 1000)) + principal.SerializeToString()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def verify(token: str, keys: Sequence[bytes], *, now: float | None = None) -> common_pb2.Principal:
    """The principal ``token`` stands for; Unauthenticated when forged, garbled or expired."""
    encoded, _, mac = token.partition(".")
    try:
        payload, given = _unb64(encoded), _unb64(mac)
    except (binascii.Error, ValueError):
        raise Unauthenticated(BAD_TOKEN) from None
    if not any(hmac.compare_digest(_mac(key, payload), given) for key in keys):
        raise Unauthenticated(BAD_TOKEN)
    if len(payload) < 9 or payload[:1] != _VERSION:
        raise Unauthenticated(BAD_TOKEN)
    (expires_ms,) = struct.unpack(">q", payload[1:9])
    if (time.time() if now is None else now) * 1000 >= expires_ms:
        raise Unauthenticated(BAD_TOKEN)
    principal = common_pb2.Principal()
    try:
        principal.ParseFromString(payload[9:])
    except DecodeError:
        raise Unauthenticated(BAD_TOKEN) from None
    return principal
