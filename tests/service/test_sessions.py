"""Web UI sessions through AccessService, against real PostgreSQL: started by a password or a
directory identity, resolved to the principal, ended by sign-out, idleness, age and disabling."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import access_pb2, metadata_pb2
from pydantic import SecretStr

from tests.fixtures.tls import service_channel, tls_settings
from tests.service.test_access import PASSWORD, Stubs

LONG = {"idle_seconds": 600, "absolute_seconds": 3600}


@pytest.fixture
async def stubs(database_url: str) -> AsyncIterator[Stubs]:
    await migrate(database_url)
    settings = MetadataSettings(  # type: ignore[call-arg]
        database_url=SecretStr(database_url),
        listen_addr="127.0.0.1:0",
        shutdown_grace=1.0,
        **tls_settings("metadata"),
    )
    async with running_server(settings) as port, service_channel(f"127.0.0.1:{port}") as ch:
        stubs = Stubs(ch)
        await stubs.metadata.CreateFeed(
            metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="team"))
        )
        yield stubs


async def _start(stubs: Stubs, **fields: object) -> access_pb2.StartSessionResponse:
    return await stubs.access.StartSession(access_pb2.StartSessionRequest(**fields))  # type: ignore[arg-type]


async def _resolve(stubs: Stubs, session: str) -> access_pb2.ResolveSessionResponse:
    return await stubs.access.ResolveSession(access_pb2.ResolveSessionRequest(session=session))


async def _ended(stubs: Stubs, session: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _resolve(stubs, session)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def _user(stubs: Stubs, name: str) -> None:
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name=name, password=PASSWORD))


async def test_password_session_resolves_to_the_user_until_sign_out(
    stubs: Stubs, database_url: str
) -> None:
    await _user(stubs, "alice")
    await stubs.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="alice", feed="team", right=access_pb2.RIGHT_PUBLISH
            )
        )
    )
    started = await _start(stubs, username="alice", password=PASSWORD, **LONG)
    assert len(started.session) >= 40 and started.principal_token
    resolved = await _resolve(stubs, started.session)
    assert resolved.principal.name == resolved.principal.user == "alice"
    assert list(resolved.principal.publish_feeds) == ["team"]
    # The session's end (if left unused) travels as the credential's expiry.
    assert resolved.principal.HasField("key_expires")

    # Only a digest is stored: the table does not hold the cookie value.
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT token_hash, subject FROM sessions")
    finally:
        await conn.close()
    assert [(r["token_hash"], r["subject"]) for r in rows] == [
        (hashlib.sha256(started.session.encode()).digest(), "alice")
    ]

    await stubs.access.EndSession(access_pb2.EndSessionRequest(session=started.session))
    await _ended(stubs, started.session)


async def test_each_sign_in_is_a_new_session(stubs: Stubs) -> None:
    await _user(stubs, "bob")
    first = await _start(stubs, username="bob", password=PASSWORD, **LONG)
    second = await _start(stubs, username="bob", password=PASSWORD, **LONG)
    assert first.session != second.session


async def test_wrong_password_unknown_user_and_api_keys_start_no_session(stubs: Stubs) -> None:
    await _user(stubs, "carol")
    key = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="ci"))
    for username, password in (("carol", "wrong-password"), ("nobody", PASSWORD), ("api", key.key)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _start(stubs, username=username, password=password, **LONG)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_idle_and_absolute_expiry(stubs: Stubs) -> None:
    await _user(stubs, "dave")
    idle = await _start(
        stubs, username="dave", password=PASSWORD, idle_seconds=1, absolute_seconds=3600
    )
    aged = await _start(
        stubs, username="dave", password=PASSWORD, idle_seconds=600, absolute_seconds=2
    )
    await _resolve(stubs, idle.session)  # use within the idle time keeps it alive
    await asyncio.sleep(0.6)
    await _resolve(stubs, idle.session)
    await asyncio.sleep(1.3)
    await _ended(stubs, idle.session)
    await _resolve(stubs, aged.session)  # used all along, it still ends at its age
    await asyncio.sleep(0.8)
    await _ended(stubs, aged.session)


async def test_disabling_the_user_ends_its_sessions(stubs: Stubs) -> None:
    await _user(stubs, "erin")
    started = await _start(stubs, username="erin", password=PASSWORD, **LONG)
    await _resolve(stubs, started.session)
    await stubs.access.UpdateUser(access_pb2.UpdateUserRequest(name="erin", disabled=True))
    await _ended(stubs, started.session)
    # Enabling the user again does not bring the ended session back.
    await stubs.access.UpdateUser(access_pb2.UpdateUserRequest(name="erin", disabled=False))
    await _ended(stubs, started.session)


async def test_directory_identity_gets_its_groups_rights_and_audit_name(stubs: Stubs) -> None:
    await stubs.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="group:readers", feed="team", right=access_pb2.RIGHT_READ
            )
        )
    )
    started = await _start(
        stubs,
        directory=access_pb2.DirectoryIdentity(source="ldap", name="frank", groups=["readers"]),
        **LONG,
    )
    principal = (await _resolve(stubs, started.session)).principal
    assert principal.name == "ldap:frank" and principal.user == ""
    assert list(principal.read_feeds) == ["team"] and not principal.publish_feeds
    assert not principal.is_admin
    events = await stubs.access.ListAuditEvents(
        access_pb2.ListAuditEventsRequest(action="session.started")
    )
    assert [(e.actor, e.target, e.detail) for e in events.events] == [
        ("ldap:frank", "ldap:frank", "groups: readers")
    ]


async def test_bad_directory_identities_and_lifetimes_are_refused(stubs: Stubs) -> None:
    for directory, lifetimes in (
        (access_pb2.DirectoryIdentity(source="kerberos", name="x"), LONG),
        (access_pb2.DirectoryIdentity(source="ldap", name=""), LONG),
        (access_pb2.DirectoryIdentity(source="ldap", name="x", groups=["g"] * 201), LONG),
        (access_pb2.DirectoryIdentity(source="ldap", name="x"), {"idle_seconds": 0}),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _start(stubs, directory=directory, **lifetimes)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_group_subjects_are_checked_like_names(stubs: Stubs) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stubs.access.SetPermission(
            access_pb2.SetPermissionRequest(
                permission=access_pb2.Permission(
                    subject="group:", feed="team", right=access_pb2.RIGHT_READ
                )
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_groups_no_permission_can_name_are_left_out(stubs: Stubs) -> None:
    started = await _start(
        stubs,
        directory=access_pb2.DirectoryIdentity(
            source="ldap", name="gina", groups=["(odd)", "readers"]
        ),
        **LONG,
    )
    assert started.principal.name == "ldap:gina"
    events = await stubs.access.ListAuditEvents(
        access_pb2.ListAuditEventsRequest(actor="ldap:gina")
    )
    assert [e.detail for e in events.events] == ["groups: readers"]
