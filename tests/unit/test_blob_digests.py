"""Digest computation and comparison of the blob service."""

from __future__ import annotations

import hashlib

import pytest
from packyard.blob.digests import Digests, checked_sha256, digests_of
from packyard.blob.store import object_key
from packyard.common.errors import InvalidArgument

DATA = b"packyard"
SHA256 = hashlib.sha256(DATA).hexdigest()
BLAKE2B = hashlib.blake2b(DATA, digest_size=32).hexdigest()
MD5 = hashlib.md5(DATA).hexdigest()


def test_digests_of_matches_hashlib() -> None:
    assert digests_of(DATA) == Digests(sha256=SHA256, blake2b_256=BLAKE2B, md5=MD5)


@pytest.mark.parametrize(
    "expected",
    [
        Digests(sha256=""),
        Digests(sha256=SHA256),
        Digests(sha256=SHA256.upper(), blake2b_256=BLAKE2B.upper(), md5=MD5.upper()),
        Digests(sha256="", md5=MD5),
    ],
)
def test_every_given_digest_must_match(expected: Digests) -> None:
    assert digests_of(DATA).matches(expected)


@pytest.mark.parametrize(
    "expected",
    [
        Digests(sha256=MD5),
        Digests(sha256=SHA256, blake2b_256="0" * 64),
        Digests(sha256=SHA256, md5=MD5[:-1]),
        Digests(sha256=SHA256 + " "),
    ],
)
def test_one_wrong_digest_fails(expected: Digests) -> None:
    assert not digests_of(DATA).matches(expected)


def test_object_keys_are_content_addressed() -> None:
    assert object_key("", SHA256) == f"sha256/{SHA256[:2]}/{SHA256[2:4]}/{SHA256}"
    assert object_key("t1/", SHA256).startswith("t1/sha256/")


def test_checked_sha256_accepts_hex_and_normalizes_case() -> None:
    assert checked_sha256(SHA256.upper()) == SHA256


@pytest.mark.parametrize("bad", ["", SHA256[:-1], SHA256 + "0", "../" + SHA256[3:], "g" * 64])
def test_checked_sha256_rejects_anything_else(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        checked_sha256(bad)
