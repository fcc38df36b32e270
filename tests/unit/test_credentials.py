from __future__ import annotations

import base64

import pytest
from packyard.common.errors import Unauthenticated
from packyard.gateway.auth.credentials import (
    BasicCredentials,
    can_publish,
    can_read,
    parse_authorization,
    parse_basic_auth,
)
from packyard_rpc.v1 import common_pb2, metadata_pb2


def _basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


def test_no_header_is_anonymous() -> None:
    assert parse_basic_auth(None) is None
    assert parse_basic_auth("") is None


def test_api_key_credentials() -> None:
    creds = parse_basic_auth(_basic("api:pky_abc_secret:with:colons"))
    assert creds is not None
    assert creds.username == "api"
    assert creds.password == "pky_abc_secret:with:colons"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!notbase64",
        _basic("no-colon"),
        _basic("api:"),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated):
        parse_basic_auth(header)


def test_a_bearer_key_is_an_api_key_login() -> None:
    assert parse_authorization("Bearer pky_k") == BasicCredentials("api", "pky_k")
    assert parse_authorization(_basic("u:p")) == BasicCredentials("u", "p")
    with pytest.raises(Unauthenticated):
        parse_authorization("Bearer ")


def _feed(name: str = "main", anonymous: bool = False) -> metadata_pb2.Feed:
    return metadata_pb2.Feed(name=name, anonymous_read=anonymous)


def test_permissions() -> None:
    admin = common_pb2.Principal(name="root", is_admin=True)
    publisher = common_pb2.Principal(name="ci", publish_feeds=["main"])
    reader = common_pb2.Principal(name="dev", read_feeds=["main"])
    everywhere = common_pb2.Principal(name="bot", publish_feeds=["*"])
    assert can_publish(admin, _feed()) and can_read(admin, _feed())
    assert can_publish(publisher, _feed()) and can_read(publisher, _feed())
    assert not can_publish(publisher, _feed("other"))
    assert can_read(reader, _feed()) and not can_publish(reader, _feed())
    assert not can_read(reader, _feed("other"))
    assert can_publish(everywhere, _feed("other"))
    assert not can_publish(None, _feed(anonymous=True))
    assert can_read(None, _feed(anonymous=True)) and not can_read(None, _feed())
