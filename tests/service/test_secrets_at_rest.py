"""Secrets at rest (issue 11 item 6): connector credentials are sealed with
PACKYARD_SECRET_KEY; the database alone never yields them, a wrong key is a clear error, and
rotation (NEW,OLD then `packyard secrets rotate`) keeps connectors working and reseals webhook
secrets too (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg
import grpc
import pytest
from packyard.metadata.migrate import migrate
from packyard.metadata.secret_keys import SecretKeyError, SecretKeys, generate_key
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    governance_pb2,
    governance_pb2_grpc,
    metadata_pb2,
    metadata_pb2_grpc,
    upstream_pb2,
    upstream_pb2_grpc,
)
from pydantic import SecretStr

from tests.fixtures.principals import TEST_ADMIN, acting_for
from tests.fixtures.tls import tls_files, tls_settings

pytestmark = pytest.mark.timeout(120)

USERNAME = "mirror-user-7f3a"
PASSWORD = "hunter2-upstream-secret-91c2"
WEBHOOK_SECRET = "webhook-signing-secret-5d8e"

Serve = Callable[[str], AbstractAsyncContextManager[str]]


def _channel(addr: str, identity: str) -> grpc.aio.Channel:
    files = tls_files(identity)
    return grpc.aio.secure_channel(
        addr,
        grpc.ssl_channel_credentials(
            files.ca.read_bytes(), files.key.read_bytes(), files.cert.read_bytes()
        ),
    )


@pytest.fixture
async def serve(database_url: str) -> Serve:
    """``async with serve(KEYS) as addr``: the metadata service with PACKYARD_SECRET_KEY=KEYS."""
    await migrate(database_url)

    @asynccontextmanager
    async def running(keys: str) -> AsyncIterator[str]:
        settings = MetadataSettings(  # type: ignore[call-arg]
            database_url=SecretStr(database_url),
            listen_addr="127.0.0.1:0",
            shutdown_grace=0.5,
            nats_url="",
            secret_key=SecretStr(keys),
            **tls_settings("metadata"),
        )
        async with running_server(settings) as port:
            yield f"127.0.0.1:{port}"

    return running


async def _add_connector(addr: str, key: str) -> str:
    admin = acting_for(TEST_ADMIN, key=key)
    async with _channel(addr, "gateway") as channel:
        await metadata_pb2_grpc.MetadataServiceStub(channel).CreateFeed(
            metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="mirror")), metadata=admin
        )
        added = await upstream_pb2_grpc.UpstreamServiceStub(channel).AddConnector(
            upstream_pb2.AddConnectorRequest(
                connector=upstream_pb2.Connector(
                    feed="mirror",
                    url="https://pypi.example.com",
                    username=USERNAME,
                    password=PASSWORD,
                )
            ),
            metadata=admin,
        )
    return str(added.connector.id)


async def _add_webhook(addr: str, key: str) -> None:
    async with _channel(addr, "gateway") as channel:
        await governance_pb2_grpc.WebhookServiceStub(channel).CreateWebhook(
            governance_pb2.CreateWebhookRequest(
                webhook=governance_pb2.Webhook(feed="mirror", url="https://hooks.example.com/in"),
                secret=WEBHOOK_SECRET,
            ),
            metadata=acting_for(TEST_ADMIN, key=key),
        )


async def _webhook_secrets(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [row["secret"] for row in await conn.fetch("SELECT secret FROM webhooks")]
    finally:
        await conn.close()


async def _credentials_as_connector(addr: str) -> tuple[str, str]:
    """What the connector service gets to log in upstream."""
    async with _channel(addr, "connector") as channel:
        reply = await upstream_pb2_grpc.UpstreamServiceStub(channel).ListConnectors(
            upstream_pb2.ListConnectorsRequest(feed="mirror", include_credentials=True)
        )
    [connector] = reply.connectors
    return connector.username, connector.password


async def _stored(database_url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch("SELECT * FROM connector_credentials"))
    finally:
        await conn.close()


def _no_plaintext(rows: list[asyncpg.Record]) -> None:
    assert rows
    for row in rows:
        dump = " ".join(str(value) for value in row.values())
        assert USERNAME not in dump and PASSWORD not in dump
        assert row["username"].startswith("fernet:") and row["password"].startswith("fernet:")


async def test_the_database_alone_never_yields_connector_credentials(
    serve: Serve, database_url: str
) -> None:
    key = generate_key()
    async with serve(key) as addr:
        await _add_connector(addr, key)
        assert await _credentials_as_connector(addr) == (USERNAME, PASSWORD)
        # Only the connector service gets them, not the gateway (an admin's principal or not).
        async with _channel(addr, "gateway") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await upstream_pb2_grpc.UpstreamServiceStub(channel).ListConnectors(
                    upstream_pb2.ListConnectorsRequest(feed="mirror", include_credentials=True),
                    metadata=acting_for(TEST_ADMIN, key=key),
                )
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    _no_plaintext(await _stored(database_url))


async def test_a_wrong_key_is_a_clear_error(serve: Serve) -> None:
    key = generate_key()
    async with serve(key) as addr:
        await _add_connector(addr, key)
    async with serve(generate_key()) as addr:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await _credentials_as_connector(addr)
    assert failed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "does not decrypt with PACKYARD_SECRET_KEY" in (failed.value.details() or "")


def _rotate(database_url: str, keys: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PACKYARD_DATABASE_URL": database_url, "PACKYARD_SECRET_KEY": keys}
    return subprocess.run(
        [sys.executable, "-m", "packyard.cli", "secrets", "rotate"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def test_rotation_keeps_connectors_working(serve: Serve, database_url: str) -> None:
    old, new = generate_key(), generate_key()
    async with serve(old) as addr:
        await _add_connector(addr, old)
        await _add_webhook(addr, old)
    before = await _stored(database_url)
    [webhook_before] = await _webhook_secrets(database_url)
    # Step 1: the new key in front, the old one still decrypts.
    async with serve(f"{new},{old}") as addr:
        assert await _credentials_as_connector(addr) == (USERNAME, PASSWORD)
    # Step 2: reseal every stored secret with the new key.
    rotated = _rotate(database_url, f"{new},{old}")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 2 stored secret" in rotated.stdout  # the connector and the webhook
    after = await _stored(database_url)
    _no_plaintext(after)
    assert after[0]["password"] != before[0]["password"]
    # The webhook secret now opens with the new key alone, and no longer with the old one.
    [webhook_after] = await _webhook_secrets(database_url)
    assert WEBHOOK_SECRET not in webhook_after and webhook_after != webhook_before
    assert SecretKeys.from_setting(new).decrypt(webhook_after) == WEBHOOK_SECRET
    with pytest.raises(SecretKeyError):
        SecretKeys.from_setting(old).decrypt(webhook_after)
    # Step 3: the old key dropped.
    async with serve(new) as addr:
        assert await _credentials_as_connector(addr) == (USERNAME, PASSWORD)
    # With only the old key, rotation refuses clearly and rewrites nothing.
    refused = _rotate(database_url, old)
    assert refused.returncode == 1 and "does not decrypt" in refused.stderr
    assert await _stored(database_url) == after
    assert await _webhook_secrets(database_url) == [webhook_after]


async def test_credentials_stored_in_the_clear_are_sealed_on_start(
    serve: Serve, database_url: str
) -> None:
    key = generate_key()
    async with serve(key) as addr:
        connector_id = await _add_connector(addr, key)
    # A row as a release before encryption wrote it.
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE connector_credentials SET username = $2, password = $3"
            " WHERE connector_id = $1",
            connector_id, USERNAME, PASSWORD,
        )  # fmt: skip
    finally:
        await conn.close()
    async with serve(key) as addr:
        _no_plaintext(await _stored(database_url))
        assert await _credentials_as_connector(addr) == (USERNAME, PASSWORD)
