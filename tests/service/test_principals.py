"""Callers act as principals (issue 11 item 3): the metadata service decides each call from the
principal it acts for -- an internal client's API key, the gateway's signed principal token --
with the rights matrix the HTTP API uses, and the audit log names that principal, never what
the request says."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc
import pytest
from packyard.metadata.secret_keys import generate_key
from packyard_rpc.v1 import (
    access_pb2,
    access_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    common_pb2,
    metadata_pb2,
    metadata_pb2_grpc,
)

from tests.fixtures.metadata_service import metadata_on_tls
from tests.fixtures.principals import acting_for, token_for
from tests.fixtures.tls import tls_files

pytestmark = pytest.mark.timeout(120)

OTHER_WHO = common_pb2.AuditContext(
    actor="root", actor_key="ROOTPREFIX00", client_address="6.6.6.6"
)


@dataclass
class World:
    addr: str
    database_url: str
    read_key: str  # read on "private"
    publish_key: str  # publish on "private", a standalone key named "ci-bot"
    admin_key: str


def _stubs(channel: grpc.aio.Channel) -> tuple[Any, Any, Any]:
    return (
        metadata_pb2_grpc.MetadataServiceStub(channel),
        access_pb2_grpc.AccessServiceStub(channel),
        catalog_pb2_grpc.CatalogServiceStub(channel),
    )


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


async def _code(call: Awaitable[Any]) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def _register(feed: str, version: str) -> metadata_pb2.RegisterFileRequest:
    content = f"wheel {version}".encode()
    filename = f"demo-{version}-py3-none-any.whl"
    return metadata_pb2.RegisterFileRequest(
        feed=feed,
        file=common_pb2.FileInfo(
            project="demo",
            version=version,
            filename=filename,
            size=len(content),
            hashes=common_pb2.Hashes(sha256=hashlib.sha256(content).hexdigest()),
            packagetype="bdist_wheel",
            python_version="py3",
        ),
        metadata=common_pb2.CoreMetadata(metadata_version="2.1", name="demo", version=version),
        uploader="someone",
        audit=OTHER_WHO,
    )


def _key(name: str, feed: str, right: int) -> access_pb2.CreateKeyRequest:
    return access_pb2.CreateKeyRequest(
        name=name, permissions=[access_pb2.Permission(feed=feed, right=right)]
    )


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    async with metadata_on_tls(database_url) as addr:
        # `packyard up`'s bootstrap identity makes the feeds and keys.
        async with grpc.aio.secure_channel(addr, _credentials("operator")) as channel:
            meta, access, _ = _stubs(channel)
            for name, public in (("private", False), ("other", False), ("public", True)):
                await meta.CreateFeed(
                    metadata_pb2.CreateFeedRequest(
                        feed=metadata_pb2.Feed(name=name, anonymous_read=public)
                    )
                )
            read = await access.CreateKey(_key("reader", "private", access_pb2.RIGHT_READ))
            publish = await access.CreateKey(_key("ci-bot", "private", access_pb2.RIGHT_PUBLISH))
            admin = await access.CreateKey(access_pb2.CreateKeyRequest(name="boss", is_admin=True))
        yield World(addr, database_url, read.key, publish.key, admin.key)


def _credentials(identity: str) -> grpc.ChannelCredentials:
    files = tls_files(identity)
    return grpc.ssl_channel_credentials(
        files.ca.read_bytes(), files.key.read_bytes(), files.cert.read_bytes()
    )


@pytest.fixture
async def client(world: World) -> AsyncIterator[grpc.aio.Channel]:
    """An internal client's channel: a ``client:ci`` certificate."""
    async with grpc.aio.secure_channel(world.addr, _credentials("client:ci")) as channel:
        yield channel


@pytest.fixture
async def gateway(world: World) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.secure_channel(world.addr, _credentials("gateway")) as channel:
        yield channel


async def test_a_read_only_key_cannot_publish_yank_or_grant(
    world: World, client: grpc.aio.Channel
) -> None:
    meta, access, _ = _stubs(client)
    as_reader = bearer(world.read_key)
    # It reads what it may read.
    feed = await meta.GetFeed(metadata_pb2.GetFeedRequest(name="private"), metadata=as_reader)
    assert feed.feed.name == "private"
    missing = meta.GetProject(
        metadata_pb2.GetProjectRequest(feed="private", project="demo"), metadata=as_reader
    )
    assert await _code(missing) == grpc.StatusCode.NOT_FOUND
    # And nothing more.
    denied = [
        meta.RegisterFile(_register("private", "1.0"), metadata=as_reader),
        meta.SetReleaseYanked(
            metadata_pb2.SetReleaseYankedRequest(
                feed="private", project="demo", version="1.0", yanked=True
            ),
            metadata=as_reader,
        ),
        meta.DeleteFile(
            metadata_pb2.DeleteFileRequest(feed="private", filename="demo-1.0-py3-none-any.whl"),
            metadata=as_reader,
        ),
        access.CreateKey(_key("more", "private", access_pb2.RIGHT_PUBLISH), metadata=as_reader),
        access.CreateKey(access_pb2.CreateKeyRequest(name="x", is_admin=True), metadata=as_reader),
    ]
    for call in denied:
        assert await _code(call) == grpc.StatusCode.PERMISSION_DENIED


async def test_a_key_cannot_read_a_private_feed_it_has_no_right_on(
    world: World, client: grpc.aio.Channel
) -> None:
    meta, _, catalog = _stubs(client)
    as_reader = bearer(world.read_key)
    for call in (
        meta.GetFeed(metadata_pb2.GetFeedRequest(name="other"), metadata=as_reader),
        meta.GetProject(
            metadata_pb2.GetProjectRequest(feed="other", project="demo"), metadata=as_reader
        ),
        catalog.ListFeedProjects(
            catalog_pb2.ListFeedProjectsRequest(feed="other"), metadata=as_reader
        ),
    ):
        assert await _code(call) == grpc.StatusCode.PERMISSION_DENIED
    listed = await meta.ListFeeds(metadata_pb2.ListFeedsRequest(), metadata=as_reader)
    assert sorted(f.name for f in listed.feeds) == ["private", "public"]


async def test_without_a_key_only_anonymous_reads_pass(client: grpc.aio.Channel) -> None:
    meta, access, _ = _stubs(client)
    public = meta.GetProject(metadata_pb2.GetProjectRequest(feed="public", project="demo"))
    assert await _code(public) == grpc.StatusCode.NOT_FOUND  # past the check: no such project
    for call in (
        meta.GetProject(metadata_pb2.GetProjectRequest(feed="private", project="demo")),
        meta.RegisterFile(_register("public", "1.0")),
        access.CreateKey(_key("mine", "public", access_pb2.RIGHT_READ)),
        access.ListKeys(access_pb2.ListKeysRequest()),
    ):
        assert await _code(call) == grpc.StatusCode.UNAUTHENTICATED
    wrong = meta.GetFeed(
        metadata_pb2.GetFeedRequest(name="public"), metadata=bearer("pky_notakey000_nope")
    )
    assert await _code(wrong) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_feed_made_public_is_readable_at_once(
    world: World, client: grpc.aio.Channel
) -> None:
    meta = metadata_pb2_grpc.MetadataServiceStub(client)
    public = meta.GetProject(metadata_pb2.GetProjectRequest(feed="public", project="demo"))
    assert await _code(public) == grpc.StatusCode.NOT_FOUND  # which feeds are public: known
    async with grpc.aio.secure_channel(world.addr, _credentials("operator")) as channel:
        await metadata_pb2_grpc.MetadataServiceStub(channel).CreateFeed(
            metadata_pb2.CreateFeedRequest(
                feed=metadata_pb2.Feed(name="fresh", anonymous_read=True)
            )
        )
    fresh = meta.GetProject(metadata_pb2.GetProjectRequest(feed="fresh", project="demo"))
    assert await _code(fresh) == grpc.StatusCode.NOT_FOUND


async def test_the_audit_actor_is_the_keys_name_whatever_the_request_says(
    world: World, client: grpc.aio.Channel, gateway: grpc.aio.Channel
) -> None:
    meta, _, _ = _stubs(client)
    await meta.RegisterFile(_register("private", "1.0"), metadata=bearer(world.publish_key))
    # The gateway's word for a user and its address, from its token and metadata.
    alice = common_pb2.Principal(name="alice", user="alice", publish_feeds=["private"])
    await metadata_pb2_grpc.MetadataServiceStub(gateway).RegisterFile(
        _register("private", "2.0"), metadata=acting_for(alice, "10.1.2.3")
    )
    conn = await asyncpg.connect(world.database_url)
    try:
        rows = await conn.fetch(
            "SELECT actor, actor_key, client_address, target FROM audit_log"
            " WHERE action = 'file.uploaded' ORDER BY id"
        )
    finally:
        await conn.close()
    assert [(r["actor"], r["client_address"]) for r in rows] == [
        ("ci-bot", ""),
        ("alice", "10.1.2.3"),
    ]
    assert rows[0]["actor_key"] == world.publish_key.split("_")[1]


async def test_a_gateway_call_without_a_principal_cannot_create_an_admin_key(
    world: World, gateway: grpc.aio.Channel
) -> None:
    access = access_pb2_grpc.AccessServiceStub(gateway)
    attack = access_pb2.CreateKeyRequest(name="attacker", is_admin=True, audit=OTHER_WHO)
    assert await _code(access.CreateKey(attack)) == grpc.StatusCode.UNAUTHENTICATED
    legacy = metadata_pb2_grpc.MetadataServiceStub(gateway).CreateApiKey(
        metadata_pb2.CreateApiKeyRequest(name="attacker", is_admin=True)
    )
    assert await _code(legacy) == grpc.StatusCode.UNAUTHENTICATED
    # A user's token without admin rights is no better.
    alice = acting_for(common_pb2.Principal(name="alice", user="alice", admin_feeds=["private"]))
    assert (
        await _code(access.CreateKey(attack, metadata=alice)) == grpc.StatusCode.PERMISSION_DENIED
    )
    # The token Authenticate answers for the administrator's key works.
    login = await access.Authenticate(
        access_pb2.AuthenticateRequest(username="api", password=world.admin_key)
    )
    as_admin = (("x-packyard-principal", login.principal_token),)
    made = await access.CreateKey(attack, metadata=as_admin)
    assert made.info.is_admin


async def test_a_forged_or_expired_token_is_refused(gateway: grpc.aio.Channel) -> None:
    access = access_pb2_grpc.AccessServiceStub(gateway)
    root = common_pb2.Principal(name="root", is_admin=True)
    request = access_pb2.ListUsersRequest()
    forged = token_for(root, key=generate_key())
    expired = token_for(root, lifetime=-1)
    tampered = token_for(common_pb2.Principal(name="root")).replace(".", "A.", 1)
    for token in (forged, expired, tampered, "garbage"):
        call = access.ListUsers(request, metadata=(("x-packyard-principal", token),))
        assert await _code(call) == grpc.StatusCode.UNAUTHENTICATED, token


async def test_only_the_gateway_may_present_a_token(client: grpc.aio.Channel) -> None:
    # An internal client cannot borrow a token: it acts for its key, or anonymously.
    admin = acting_for(common_pb2.Principal(name="root", is_admin=True))
    call = access_pb2_grpc.AccessServiceStub(client).CreateKey(
        access_pb2.CreateKeyRequest(name="x", is_admin=True), metadata=admin
    )
    assert await _code(call) == grpc.StatusCode.UNAUTHENTICATED
