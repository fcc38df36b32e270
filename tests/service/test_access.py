"""AccessService (and MetadataService's deprecated key RPCs) in process against real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import access_pb2, access_pb2_grpc, common_pb2, metadata_pb2, metadata_pb2_grpc
from pydantic import SecretStr

from tests.fixtures.principals import TEST_ADMIN, acting_for
from tests.fixtures.tls import service_channel, tls_settings

PASSWORD = "s3cret-passw0rd"
AUTH_FAILED = "Invalid or non-existent authentication information."
WHO = common_pb2.AuditContext(actor="root", actor_key="ROOTPREFIX00", client_address="10.0.0.7")


class Stubs:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.access = access_pb2_grpc.AccessServiceStub(channel)
        self.metadata = metadata_pb2_grpc.MetadataServiceStub(channel)

    async def login(self, username: str, password: str) -> common_pb2.Principal:
        reply = await self.access.Authenticate(
            access_pb2.AuthenticateRequest(username=username, password=password)
        )
        return reply.principal

    async def login_fails(self, username: str, password: str) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.login(username, password)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert caught.value.details() == AUTH_FAILED


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
        for name in ("team", "other"):
            await stubs.metadata.CreateFeed(
                metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=name), audit=WHO)
            )
        yield stubs


async def _error(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_user_password_login_and_rights(stubs: Stubs, database_url: str) -> None:
    await stubs.access.CreateUser(
        access_pb2.CreateUserRequest(name="alice", password=PASSWORD, audit=WHO)
    )
    principal = await stubs.login("alice", PASSWORD)
    assert principal.name == principal.user == "alice"
    assert not principal.is_admin and not principal.read_feeds and principal.key_prefix == ""

    await stubs.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="alice", feed="team", right=access_pb2.RIGHT_YANK
            ),
            audit=WHO,
        )
    )
    principal = await stubs.login("alice", PASSWORD)
    # Each right includes the lower ones.
    assert list(principal.read_feeds) == list(principal.publish_feeds) == ["team"]
    assert list(principal.yank_feeds) == ["team"] and not principal.admin_feeds

    await stubs.login_fails("alice", PASSWORD + "!")
    await stubs.login_fails("bob", PASSWORD)
    await stubs.access.UpdateUser(access_pb2.UpdateUserRequest(name="alice", disabled=True))
    await stubs.login_fails("alice", PASSWORD)

    # Only a memory-hard hash is stored, never the password.
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchval("SELECT password_hash FROM users WHERE name = 'alice'")
    finally:
        await conn.close()
    assert stored.startswith("scrypt$") and PASSWORD not in stored


async def test_bad_user_requests(stubs: Stubs) -> None:
    for name, password in (("api", PASSWORD), ("a:b", PASSWORD), ("", PASSWORD), ("x", "short")):
        error = await _error(
            stubs.access.CreateUser(access_pb2.CreateUserRequest(name=name, password=password))
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="dup", password=PASSWORD))
    error = await _error(
        stubs.access.CreateUser(access_pb2.CreateUserRequest(name="dup", password=PASSWORD))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_keys_standalone_and_owned(stubs: Stubs) -> None:
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="carol", password=PASSWORD))
    await stubs.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="carol", feed="other", right=access_pb2.RIGHT_ADMIN
            )
        )
    )
    service = await stubs.access.CreateKey(
        access_pb2.CreateKeyRequest(
            name="ci",
            permissions=[access_pb2.Permission(feed="team", right=access_pb2.RIGHT_PUBLISH)],
            audit=WHO,
        )
    )
    owned = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="laptop", owner="carol"))
    assert service.key.startswith(f"pky_{service.info.prefix}_")
    assert len(service.key.removeprefix(f"pky_{service.info.prefix}_")) >= 43  # 32 random bytes

    ci = await stubs.login("api", service.key)
    assert ci.name == "ci" and ci.user == "" and ci.key_prefix == service.info.prefix
    assert list(ci.publish_feeds) == ["team"] and not ci.yank_feeds
    laptop = await stubs.login("__token__", owned.key)
    assert laptop.name == "carol" and laptop.user == "carol"
    assert list(laptop.admin_feeds) == ["other"] and list(laptop.read_feeds) == ["other"]

    listed = await stubs.access.ListKeys(access_pb2.ListKeysRequest())
    assert {k.prefix for k in listed.keys} == {service.info.prefix, owned.info.prefix}
    assert all(service.key not in str(k) for k in listed.keys)
    only_carol = await stubs.access.ListKeys(access_pb2.ListKeysRequest(owner="carol"))
    assert [k.name for k in only_carol.keys] == ["laptop"]

    await stubs.access.RevokeKey(access_pb2.RevokeKeyRequest(prefix=service.info.prefix))
    await stubs.login_fails("api", service.key)
    active = await stubs.access.ListKeys(access_pb2.ListKeysRequest())
    assert [k.prefix for k in active.keys] == [owned.info.prefix]

    # Deleting the user takes its keys and permissions with it.
    await stubs.access.DeleteUser(access_pb2.DeleteUserRequest(name="carol"))
    await stubs.login_fails("api", owned.key)
    left = await stubs.access.ListPermissions(access_pb2.ListPermissionsRequest(subject="carol"))
    assert not left.permissions


async def test_key_requests_that_cannot_work(stubs: Stubs) -> None:
    cases = [
        access_pb2.CreateKeyRequest(name=""),
        access_pb2.CreateKeyRequest(name="x", owner="nobody"),
        access_pb2.CreateKeyRequest(
            name="x",
            permissions=[access_pb2.Permission(feed="missing", right=access_pb2.RIGHT_READ)],
        ),
        access_pb2.CreateKeyRequest(name="x", permissions=[access_pb2.Permission(feed="team")]),
    ]
    codes = [(await _error(stubs.access.CreateKey(c))).code() for c in cases]
    assert codes == [
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.INVALID_ARGUMENT,
    ]


async def test_expired_key_is_refused(stubs: Stubs) -> None:
    expires = Timestamp()
    expires.FromDatetime(datetime.now(UTC) - timedelta(seconds=1))
    old = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="old", expires=expires))
    await stubs.login_fails("api", old.key)


async def test_principal_carries_the_key_expiry(stubs: Stubs) -> None:
    expires = Timestamp()
    expires.FromDatetime(datetime.now(UTC).replace(microsecond=0) + timedelta(days=7))
    expiring = await stubs.access.CreateKey(
        access_pb2.CreateKeyRequest(name="temp", expires=expires)
    )
    forever = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="forever"))
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="dave", password=PASSWORD))

    temp = await stubs.login("api", expiring.key)
    assert temp.HasField("key_expires") and temp.key_expires == expires
    assert not (await stubs.login("api", forever.key)).HasField("key_expires")
    assert not (await stubs.login("dave", PASSWORD)).HasField("key_expires")


async def test_legacy_key_grants_become_permissions(stubs: Stubs) -> None:
    created = await stubs.metadata.CreateApiKey(
        metadata_pb2.CreateApiKeyRequest(name="legacy", publish_feeds=["team"], read_feeds=["*"])
    )
    principal = await stubs.login("api", created.key)
    assert list(principal.publish_feeds) == ["team"]
    assert sorted(principal.read_feeds) == ["*", "team"]


async def test_deprecated_authenticate_answers_as_access_service_does(stubs: Stubs) -> None:
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="erin", password=PASSWORD))
    request = access_pb2.AuthenticateRequest(username="erin", password=PASSWORD)
    old = await stubs.metadata.Authenticate(request)
    assert old.principal == await stubs.login("erin", PASSWORD)
    assert old.principal.user == "erin"
    wrong = access_pb2.AuthenticateRequest(username="erin", password="not-the-password")
    error = await _error(stubs.metadata.Authenticate(wrong))
    assert (error.code(), error.details()) == (grpc.StatusCode.UNAUTHENTICATED, AUTH_FAILED)


async def test_create_key_stores_a_given_key_once(stubs: Stubs) -> None:
    given = "pky_admin0000001_" + "s" * 43
    request = access_pb2.CreateKeyRequest(name="admin", is_admin=True, key=given)
    first = await stubs.access.CreateKey(request)
    again = await stubs.access.CreateKey(request)
    assert (first.key, first.created) == (given, True)
    assert (again.key, again.created, again.info.prefix) == (given, False, "admin0000001")
    assert (await stubs.login("api", given)).is_admin

    other = access_pb2.CreateKeyRequest(name="x", key="pky_admin0000001_" + "t" * 43)
    assert (await _error(stubs.access.CreateKey(other))).code() == grpc.StatusCode.ALREADY_EXISTS
    malformed = access_pb2.CreateKeyRequest(name="x", key="pky_short")
    error = await _error(stubs.access.CreateKey(malformed))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    random = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="random"))
    assert random.created and random.key.startswith(f"pky_{random.info.prefix}_")


async def test_permissions_set_lower_and_delete(stubs: Stubs) -> None:
    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="dave", password=PASSWORD))

    async def grant(right: str) -> None:
        await stubs.access.SetPermission(
            access_pb2.SetPermissionRequest(
                permission=access_pb2.Permission(subject="dave", feed="team", right=right),
                audit=WHO,
            )
        )

    await grant("RIGHT_ADMIN")
    assert list((await stubs.login("dave", PASSWORD)).admin_feeds) == ["team"]
    await grant("RIGHT_READ")
    lowered = await stubs.login("dave", PASSWORD)
    assert list(lowered.read_feeds) == ["team"] and not lowered.publish_feeds
    listed = await stubs.access.ListPermissions(access_pb2.ListPermissionsRequest(feed="team"))
    assert [(p.subject, p.right) for p in listed.permissions] == [("dave", access_pb2.RIGHT_READ)]
    await stubs.access.DeletePermission(
        access_pb2.DeletePermissionRequest(subject="dave", feed="team", audit=WHO)
    )
    assert not (await stubs.login("dave", PASSWORD)).read_feeds
    error = await _error(
        stubs.access.DeletePermission(
            access_pb2.DeletePermissionRequest(subject="dave", feed="team")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await _error(
        stubs.access.SetPermission(
            access_pb2.SetPermissionRequest(
                permission=access_pb2.Permission(
                    subject="ghost", feed="team", right=access_pb2.RIGHT_READ
                )
            )
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_audit_log_of_changes(stubs: Stubs) -> None:
    await stubs.access.CreateUser(
        access_pb2.CreateUserRequest(name="erin", password=PASSWORD, audit=WHO)
    )
    key = await stubs.access.CreateKey(access_pb2.CreateKeyRequest(name="k", audit=WHO))
    # The actor is the principal the gateway's call acts for; the request's AuditContext (WHO
    # claims "root" everywhere) is ignored.
    root = common_pb2.Principal(name="root", key_prefix="ROOTPREFIX00", is_admin=True)
    await stubs.access.RevokeKey(
        access_pb2.RevokeKeyRequest(prefix=key.info.prefix, audit=WHO),
        metadata=acting_for(root, "10.0.0.7"),
    )
    await stubs.metadata.UpdateFeed(
        metadata_pb2.UpdateFeedRequest(
            feed=metadata_pb2.Feed(name="team", anonymous_read=True),
            update_mask=["anonymous_read"],
            audit=WHO,
        )
    )
    events = (await stubs.access.ListAuditEvents(access_pb2.ListAuditEventsRequest())).events
    actions = [e.action for e in events]
    # Newest first.
    assert actions[:4] == ["feed.updated", "key.revoked", "key.created", "user.created"]
    revoked = events[1]
    assert (revoked.actor, revoked.actor_key, revoked.client_address) == (
        "root", "ROOTPREFIX00", "10.0.0.7",
    )  # fmt: skip
    assert revoked.target == key.info.prefix and revoked.HasField("time")
    created = events[2]
    assert (created.actor, created.actor_key, created.client_address) == (TEST_ADMIN.name, "", "")
    assert all(PASSWORD not in str(e) and key.key not in str(e) for e in events)

    team = await stubs.access.ListAuditEvents(access_pb2.ListAuditEventsRequest(feed="team"))
    assert {e.action for e in team.events} == {"feed.created", "feed.updated"}
    page = await stubs.access.ListAuditEvents(
        access_pb2.ListAuditEventsRequest(limit=2, before_id=events[0].id)
    )
    assert [e.id for e in page.events] == [events[1].id, events[2].id]


async def test_feed_update_delete_and_release_delete(stubs: Stubs) -> None:
    updated = await stubs.metadata.UpdateFeed(
        metadata_pb2.UpdateFeedRequest(
            feed=metadata_pb2.Feed(name="team", description="new", max_file_size=5),
            update_mask=["description"],
        )
    )
    assert updated.feed.description == "new" and updated.feed.max_file_size == 0
    error = await _error(
        stubs.metadata.UpdateFeed(
            metadata_pb2.UpdateFeedRequest(
                feed=metadata_pb2.Feed(name="team"), update_mask=["name"]
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT

    await stubs.access.CreateUser(access_pb2.CreateUserRequest(name="fay", password=PASSWORD))
    await stubs.access.SetPermission(
        access_pb2.SetPermissionRequest(
            permission=access_pb2.Permission(
                subject="fay", feed="other", right=access_pb2.RIGHT_READ
            )
        )
    )
    await stubs.metadata.DeleteFeed(metadata_pb2.DeleteFeedRequest(name="other", audit=WHO))
    error = await _error(stubs.metadata.GetFeed(metadata_pb2.GetFeedRequest(name="other")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert not (await stubs.login("fay", PASSWORD)).read_feeds

    error = await _error(
        stubs.metadata.DeleteRelease(
            metadata_pb2.DeleteReleaseRequest(feed="team", project="nothing", version="1.0")
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
