"""Principal tokens and PACKYARD_SECRET_KEY: what the metadata service trusts a gateway call
and a stored secret with."""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from packyard.common.errors import Unauthenticated
from packyard.metadata.access import principal_token
from packyard.metadata.secret_keys import SecretKeyError, SecretKeys, generate_key
from packyard_rpc.v1 import common_pb2

NOW = 1_800_000_000.0
ALICE = common_pb2.Principal(
    name="alice", user="alice", publish_feeds=["main"], read_feeds=["main"]
)


def test_a_token_stands_for_its_principal_until_it_expires() -> None:
    key = SecretKeys([generate_key()]).signing_keys[0]
    token = principal_token.sign(ALICE, key, now=NOW, lifetime=30)
    assert principal_token.verify(token, [key], now=NOW + 29) == ALICE
    with pytest.raises(Unauthenticated):
        principal_token.verify(token, [key], now=NOW + 30)


def test_a_token_never_outlives_its_key() -> None:
    key = SecretKeys([generate_key()]).signing_keys[0]
    expiring = common_pb2.Principal(
        name="ci", key_prefix="abc", key_expires=Timestamp(seconds=int(NOW) + 5)
    )
    token = principal_token.sign(expiring, key, now=NOW, lifetime=30)
    principal_token.verify(token, [key], now=NOW + 4)
    with pytest.raises(Unauthenticated):
        principal_token.verify(token, [key], now=NOW + 6)


def test_forged_and_tampered_tokens_are_refused() -> None:
    key, other = (SecretKeys([generate_key()]).signing_keys[0] for _ in range(2))
    token = principal_token.sign(ALICE, key, now=NOW)
    admin = common_pb2.Principal(name="alice", is_admin=True)
    payload, _, mac = token.partition(".")
    swapped = principal_token.sign(admin, other, now=NOW).partition(".")[0] + "." + mac
    for bad in (principal_token.sign(ALICE, other, now=NOW), swapped, payload, "", "a.b.c"):
        with pytest.raises(Unauthenticated):
            principal_token.verify(bad, [key], now=NOW)


def test_every_key_of_the_setting_verifies_and_the_first_signs() -> None:
    old, new = generate_key(), generate_key()
    before = SecretKeys([old])
    during = SecretKeys.from_setting(f"{new}, {old}")
    token = principal_token.sign(ALICE, before.signing_keys[0], now=NOW)
    assert principal_token.verify(token, during.signing_keys, now=NOW) == ALICE
    fresh = principal_token.sign(ALICE, during.signing_keys[0], now=NOW)
    with pytest.raises(Unauthenticated):
        principal_token.verify(fresh, before.signing_keys, now=NOW)


def test_secrets_are_sealed_and_open_with_any_listed_key() -> None:
    old, new = generate_key(), generate_key()
    sealed = SecretKeys([old]).encrypt("hunter2")
    assert sealed.startswith("fernet:") and "hunter2" not in sealed
    both = SecretKeys.from_setting(f"{new},{old}")
    assert both.decrypt(sealed) == "hunter2"
    rotated = both.rotate(sealed)
    assert SecretKeys([new]).decrypt(rotated) == "hunter2"
    # A value written before encryption reads as it was (and is sealed on the next start).
    assert both.decrypt("plain") == "plain"


def test_a_wrong_or_missing_key_is_a_clear_error() -> None:
    sealed = SecretKeys([generate_key()]).encrypt("hunter2")
    with pytest.raises(SecretKeyError, match="does not decrypt with PACKYARD_SECRET_KEY"):
        SecretKeys([generate_key()]).decrypt(sealed)
    with pytest.raises(SecretKeyError, match="PACKYARD_SECRET_KEY is not set"):
        SecretKeys.from_setting(None).encrypt("hunter2")
    with pytest.raises(ValueError, match="Fernet keys"):
        SecretKeys.from_setting("not-a-key")


def test_without_a_setting_tokens_are_signed_with_a_key_of_this_process() -> None:
    one, two = SecretKeys.from_setting(None), SecretKeys.from_setting("")
    assert not one.configured
    assert one.signing_keys != two.signing_keys
