"""API key format, parsing and hashing (packyard.metadata.access.keys)."""

from __future__ import annotations

import hashlib

import pytest
from packyard.metadata.access import keys


def test_generated_key_has_the_documented_shape() -> None:
    generated = keys.generate_key()
    assert generated.key == f"pky_{generated.prefix}_{generated.secret}"
    assert len(generated.prefix) == 12 and generated.prefix.isalnum()
    assert len(generated.secret) >= 43
    assert keys.parse_key(generated.key) == generated


def test_generated_keys_differ() -> None:
    made = {keys.generate_key().key for _ in range(50)}
    assert len(made) == 50


def test_prefix_and_secret_may_contain_underscores() -> None:
    # The prefix has a fixed width, so "_" inside it or the secret is not a separator.
    key = "pky_ab_cd-ef_ghi_" + "x_y-" * 11
    parsed = keys.parse_key(key)
    assert parsed is not None
    assert parsed.prefix == "ab_cd-ef_ghi"
    assert parsed.secret == "x_y-" * 11
    assert parsed.key == key


@pytest.mark.parametrize(
    "key",
    [
        "",
        "pky_",
        "pky_abcdefghijkl_" + "s" * 42,  # secret one character too short
        "pky_abcdefghijk_" + "s" * 43,  # prefix too short
        "pkx_abcdefghijkl_" + "s" * 43,
        "pky_abcdefghijkl_" + "s" * 42 + "!",
        "pky_abcdefghijkl-" + "s" * 43,
        " pky_abcdefghijkl_" + "s" * 43,
    ],
)
def test_malformed_keys_do_not_parse(key: str) -> None:
    assert keys.parse_key(key) is None


def test_only_a_sha256_of_the_key_is_stored_and_compared() -> None:
    key = keys.generate_key().key
    stored = keys.hash_key(key)
    assert stored == hashlib.sha256(key.encode()).digest()
    assert keys.key_matches(key, stored)
    assert not keys.key_matches(key + "x", stored)
    assert not keys.key_matches(key, keys.DUMMY_HASH)
