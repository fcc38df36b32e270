"""MetadataService in process against a real PostgreSQL, called through the generated stub."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from packyard.common.grpc import check_health
from packyard.metadata.index.servicer import SERVICE_NAME
from packyard.metadata.migrate import UnsupportedSchemaError, load_migrations, migrate
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import (
    access_pb2,
    common_pb2,
    metadata_pb2,
    metadata_pb2_grpc,
    upstream_pb2,
    upstream_pb2_grpc,
)

from tests.fixtures.tls import service_channel, tls_files, tls_settings

Stub = metadata_pb2_grpc.MetadataServiceStub

FILE_EXISTS = "File already exists"
REUSED = "This filename was previously used by a file that has since been deleted."


def _settings(database_url: str, **overrides: object) -> MetadataSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "listen_addr": "127.0.0.1:0",
        "shutdown_grace": 1.0,
        "db_pool_max_size": 5,
        **tls_settings("metadata"),
    }
    values.update(overrides)
    return MetadataSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def stub(database_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Stub]:
    # Log records are built only when enabled: INFO makes every log call really run.
    caplog.set_level(logging.INFO)
    await migrate(database_url)
    async with (
        running_server(_settings(database_url)) as port,
        service_channel(f"127.0.0.1:{port}") as channel,
    ):
        yield Stub(channel)


@pytest.fixture
async def feed(stub: Stub) -> str:
    await stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main")))
    return "main"


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _default_content(filename: str) -> bytes:
    return f"wheel {filename}".encode()


def _register(
    feed: str,
    project: str,
    version: str,
    *,
    content: bytes | None = None,
    filename: str | None = None,
    packagetype: str = "bdist_wheel",
    display_name: str | None = None,
    summary: str = "",
    requires_dist: tuple[str, ...] = (),
) -> metadata_pb2.RegisterFileRequest:
    if filename is None:
        stem = f"{project.replace('-', '_')}-{version}"
        filename = f"{stem}.tar.gz" if packagetype == "sdist" else f"{stem}-py3-none-any.whl"
    if content is None:
        # Each file its own bytes, as real ones have: a feed refuses one file's bytes under a
        # second filename.
        content = _default_content(filename)
    return metadata_pb2.RegisterFileRequest(
        feed=feed,
        file=common_pb2.FileInfo(
            project=project,
            version=version,
            filename=filename,
            size=len(content),
            hashes=common_pb2.Hashes(sha256=_sha(content), md5=hashlib.md5(content).hexdigest()),
            requires_python=">=3.9",
            packagetype=packagetype,
            python_version="source" if packagetype == "sdist" else "py3",
        ),
        metadata=common_pb2.CoreMetadata(
            metadata_version="2.4",
            name=display_name or project,
            version=version,
            summary=summary,
            requires_python=">=3.9",
            requires_dist=list(requires_dist),
        ),
        uploader="alice",
    )


async def _project(stub: Stub, feed: str, name: str) -> metadata_pb2.Project:
    reply = await stub.GetProject(metadata_pb2.GetProjectRequest(feed=feed, project=name))
    return reply.project


async def _rpc_error(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    return info.value


# Migrations.


async def test_migrations_apply_once_even_when_run_concurrently(database_url: str) -> None:
    everything = [m.version for m in load_migrations()]
    first, second = await asyncio.gather(migrate(database_url), migrate(database_url))
    assert sorted([first, second], key=len) == [[], everything]
    assert await migrate(database_url) == []

    conn = await asyncpg.connect(database_url)
    try:
        recorded = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    finally:
        await conn.close()
    assert recorded == everything
    assert {"feeds", "projects", "releases", "files", "filename_registry", "api_keys"} <= tables


async def test_migrate_refuses_a_database_from_newer_code(database_url: str) -> None:
    await migrate(database_url)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (version) VALUES ('9999_future')")
    finally:
        await conn.close()
    with pytest.raises(UnsupportedSchemaError, match="9999_future"):
        await migrate(database_url)


def _packyard_migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "packyard.cli", "migrate"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


async def test_packyard_migrate_reads_the_metadata_services_settings(database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACKYARD_")}
    # What the compose file and the chart's Job give it: the database URL and the log settings.
    env |= {"PACKYARD_DATABASE_URL": database_url, "PACKYARD_LOG_FORMAT": "json"}
    done = await asyncio.to_thread(_packyard_migrate, env)
    assert done.returncode == 0, done.stderr
    assert await migrate(database_url) == []  # the command applied every migration

    del env["PACKYARD_DATABASE_URL"]
    refused = await asyncio.to_thread(_packyard_migrate, env)
    assert refused.returncode == 2
    assert "PACKYARD_DATABASE_URL" in refused.stdout + refused.stderr


# Feeds.


async def test_feeds_create_get_list(stub: Stub) -> None:
    reply = await stub.CreateFeed(
        metadata_pb2.CreateFeedRequest(
            feed=metadata_pb2.Feed(name="team-b", description="B", anonymous_read=True)
        )
    )
    assert reply.created
    assert reply.feed.name == "team-b" and reply.feed.anonymous_read
    assert reply.feed.created.seconds > 0
    await stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="a-team")))

    again = await _rpc_error(
        stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="team-b")))
    )
    assert again.code() == grpc.StatusCode.ALREADY_EXISTS
    kept = await stub.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="team-b"), if_not_exists=True)
    )
    assert not kept.created and kept.feed.description == "B"

    got = await stub.GetFeed(metadata_pb2.GetFeedRequest(name="team-b"))
    assert got.feed == reply.feed
    listed = await stub.ListFeeds(metadata_pb2.ListFeedsRequest())
    assert [f.name for f in listed.feeds] == ["a-team", "team-b"]

    missing = await _rpc_error(stub.GetFeed(metadata_pb2.GetFeedRequest(name="nope")))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert missing.details() == "Feed 'nope' does not exist."
    bad = await _rpc_error(
        stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="a/b")))
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT


# RegisterFile.


async def test_register_new_file_then_identical_again_is_a_no_op(stub: Stub, feed: str) -> None:
    request = _register(feed, "demo-pkg", "1.0", display_name="Demo_Pkg")
    first = await stub.RegisterFile(request)
    assert first.created
    assert first.file.filename == "demo_pkg-1.0-py3-none-any.whl"
    assert first.file.feed == feed and first.file.project == "demo-pkg"
    assert first.file.version == "1.0"
    assert first.file.hashes.sha256 == _sha(_default_content(first.file.filename))
    assert first.file.origin == common_pb2.ORIGIN_HOSTED
    assert not first.file.yanked
    uploaded = first.file.upload_time.ToDatetime(tzinfo=UTC)
    assert abs(datetime.now(UTC) - uploaded) < timedelta(minutes=1)

    fetched = await stub.GetFile(
        metadata_pb2.GetFileRequest(feed=feed, filename=first.file.filename)
    )
    assert fetched.file == first.file
    serial = (await _project(stub, feed, "demo-pkg")).serial

    again = await stub.RegisterFile(request)
    assert not again.created
    assert again.file == first.file
    project = await _project(stub, feed, "demo-pkg")
    assert project.serial == serial
    assert project.display_name == "Demo_Pkg"
    assert len(project.files) == 1


async def test_same_bytes_under_another_filename_are_refused(stub: Stub, feed: str) -> None:
    await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"one"))
    renamed = "demo-1.0-1-py3-none-any.whl"
    error = await _rpc_error(
        stub.RegisterFile(_register(feed, "demo", "1.0", content=b"one", filename=renamed))
    )
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == (
        f"File already exists ('{renamed}', with sha256 hash '{_sha(b'one')}'): the same bytes "
        "were already uploaded as 'demo-1.0-py3-none-any.whl'. "
        "See https://pypi.org/help/#file-name-reuse for more information."
    )
    assert [f.filename for f in (await _project(stub, feed, "demo")).files] == [
        "demo-1.0-py3-none-any.whl"
    ]
    # Another feed is another namespace: the same bytes are welcome there.
    await stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="other")))
    assert (await stub.RegisterFile(_register("other", "demo", "1.0", content=b"one"))).created


async def test_same_filename_with_other_bytes_is_refused(stub: Stub, feed: str) -> None:
    await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"one"))
    error = await _rpc_error(stub.RegisterFile(_register(feed, "demo", "1.0", content=b"two")))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error.details() == (
        f"File already exists ('demo-1.0-py3-none-any.whl', with sha256 hash '{_sha(b'one')}'). "
        "See https://pypi.org/help/#file-name-reuse for more information."
    )


async def test_deleted_filename_stays_reserved(stub: Stub, feed: str) -> None:
    first = await stub.RegisterFile(_register(feed, "demo", "1.0"))
    serial = (await _project(stub, feed, "demo")).serial
    filename = first.file.filename

    await stub.DeleteFile(metadata_pb2.DeleteFileRequest(feed=feed, filename=filename))
    gone = await _rpc_error(stub.GetFile(metadata_pb2.GetFileRequest(feed=feed, filename=filename)))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    project = await _project(stub, feed, "demo")
    assert project.serial > serial and list(project.files) == []

    for content in (_default_content(filename), b"other bytes"):
        error = await _rpc_error(stub.RegisterFile(_register(feed, "demo", "1.0", content=content)))
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert (error.details() or "").startswith(REUSED)
    twice = await _rpc_error(
        stub.DeleteFile(metadata_pb2.DeleteFileRequest(feed=feed, filename=filename))
    )
    assert twice.code() == grpc.StatusCode.NOT_FOUND


async def test_one_sdist_per_release(stub: Stub, feed: str) -> None:
    await stub.RegisterFile(_register(feed, "demo", "1.0", packagetype="sdist", content=b"a"))
    error = await _rpc_error(
        stub.RegisterFile(
            _register(
                feed, "demo", "1.0", packagetype="sdist", content=b"b", filename="demo-1.0.zip"
            )
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "Only one sdist may be uploaded per release."
    # A wheel of the same release and an sdist of another release are fine.
    await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"c"))
    await stub.RegisterFile(_register(feed, "demo", "2.0", packagetype="sdist", content=b"d"))


async def test_register_rejects_unknown_feed_and_empty_names(stub: Stub, feed: str) -> None:
    unknown = await _rpc_error(stub.RegisterFile(_register("nope", "demo", "1.0")))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert unknown.details() == "Feed 'nope' does not exist."

    empty = _register(feed, "demo", "1.0")
    empty.file.project = ""
    assert (await _rpc_error(stub.RegisterFile(empty))).code() == (grpc.StatusCode.INVALID_ARGUMENT)
    bad_version = _register(feed, "demo", "not a version", filename="demo-x.whl")
    assert (await _rpc_error(stub.RegisterFile(bad_version))).code() == (
        grpc.StatusCode.INVALID_ARGUMENT
    )
    # Local versions are refused only by a feed that says so.
    await stub.CreateFeed(
        metadata_pb2.CreateFeedRequest(
            feed=metadata_pb2.Feed(name="strict", refuse_local_versions=True)
        )
    )
    error = await _rpc_error(stub.RegisterFile(_register("strict", "demo", "1.0+local")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "local versions" in (error.details() or "")
    # Nothing was left behind by the refused registrations.
    missing = await _rpc_error(
        stub.GetProject(metadata_pb2.GetProjectRequest(feed=feed, project="demo"))
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    accepted = await stub.RegisterFile(_register(feed, "demo", "1.0+cu124"))
    assert accepted.created and accepted.file.version == "1.0+cu124"


async def test_twenty_identical_registrations_at_once(stub: Stub, feed: str) -> None:
    request = _register(feed, "racer", "1.0")
    replies = await asyncio.gather(*(stub.RegisterFile(request) for _ in range(20)))
    assert sum(r.created for r in replies) == 1
    assert len({r.file.SerializeToString() for r in replies}) == 1
    project = await _project(stub, feed, "racer")
    assert [f.filename for f in project.files] == [request.file.filename]


async def test_twenty_conflicting_registrations_at_once(stub: Stub, feed: str) -> None:
    requests = [_register(feed, "racer", "1.0", content=b"v%d" % i) for i in range(20)]
    results = await asyncio.gather(
        *(stub.RegisterFile(r) for r in requests), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, metadata_pb2.RegisterFileResponse)]
    losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(winners) == 1 and winners[0].created
    assert len(losers) == 19
    assert all(e.code() == grpc.StatusCode.ALREADY_EXISTS for e in losers)
    assert all((e.details() or "").startswith(FILE_EXISTS) for e in losers)
    project = await _project(stub, feed, "racer")
    assert [f.hashes.sha256 for f in project.files] == [winners[0].file.hashes.sha256]


async def test_racing_for_one_filename_from_different_projects(stub: Stub, feed: str) -> None:
    # No project lock is shared here, so the losers hit the unique constraint and must still
    # get ALREADY_EXISTS, never a raw database error.
    requests = [
        _register(feed, f"racer{i}", "1.0", content=b"v%d" % i, filename="racer-1.0.whl")
        for i in range(10)
    ]
    results = await asyncio.gather(
        *(stub.RegisterFile(r) for r in requests), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, metadata_pb2.RegisterFileResponse)]
    losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(winners) == 1 and len(losers) == 9
    assert {e.code() for e in losers} == {grpc.StatusCode.ALREADY_EXISTS}


async def test_a_closed_project_answers_for_its_existing_files_first(stub: Stub, feed: str) -> None:
    first = await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"one"))
    gone = await stub.RegisterFile(_register(feed, "demo", "1.1", content=b"two"))
    await stub.DeleteFile(metadata_pb2.DeleteFileRequest(feed=feed, filename=gone.file.filename))
    await stub.SetProjectStatus(
        metadata_pb2.SetProjectStatusRequest(
            feed=feed, project="demo", status=common_pb2.PROJECT_STATUS_ARCHIVED
        )
    )
    serial = (await _project(stub, feed, "demo")).serial

    # The same file again is still a no-op, other bytes still "File already exists", a
    # deleted filename still reserved; only a new file meets the project's status.
    again = await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"one"))
    assert not again.created and again.file == first.file
    other = await _rpc_error(stub.RegisterFile(_register(feed, "demo", "1.0", content=b"x")))
    assert other.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (other.details() or "").startswith(FILE_EXISTS)
    reused = await _rpc_error(stub.RegisterFile(_register(feed, "demo", "1.1", content=b"y")))
    assert reused.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (reused.details() or "").startswith(REUSED)
    new = await _rpc_error(stub.RegisterFile(_register(feed, "demo", "2.0")))
    assert new.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert new.details() == "Project 'demo' is archived and does not accept new uploads."
    project = await _project(stub, feed, "demo")
    assert project.serial == serial
    assert [f.filename for f in project.files] == [first.file.filename]


# Origin controls at registration: the same rule as the gateway's pre-check, under the lock.

MIRRORED = "Publishing '{}' is blocked: project is mirrored from upstream."


@pytest.fixture
async def stubs(
    database_url: str,
) -> AsyncIterator[tuple[Stub, upstream_pb2_grpc.UpstreamServiceStub]]:
    await migrate(database_url)
    async with (
        running_server(_settings(database_url, db_pool_max_size=10)) as port,
        service_channel(f"127.0.0.1:{port}") as channel,
    ):
        stub = Stub(channel)
        await stub.CreateFeed(metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="main")))
        yield stub, upstream_pb2_grpc.UpstreamServiceStub(channel)


async def _policy(
    upstream: upstream_pb2_grpc.UpstreamServiceStub, project: str
) -> upstream_pb2.OriginPolicy:
    reply = await upstream.GetOriginPolicy(
        upstream_pb2.GetOriginPolicyRequest(feed="main", project=project)
    )
    return reply.policy


async def test_a_name_first_pulled_from_upstream_refuses_new_files(
    stubs: tuple[Stub, upstream_pb2_grpc.UpstreamServiceStub],
) -> None:
    stub, upstream = stubs
    mirrored = await upstream.RecordUpstreamOrigin(
        upstream_pb2.RecordUpstreamOriginRequest(feed="main", project="requests")
    )
    refused = await _rpc_error(stub.RegisterFile(_register("main", "requests", "1.0")))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    # Word for word what the gateway's pre-check (GetOriginPolicy) says.
    assert refused.details() == mirrored.policy.publish_reason == MIRRORED.format("requests")
    missing = await _rpc_error(
        stub.GetProject(metadata_pb2.GetProjectRequest(feed="main", project="requests"))
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND

    # An administrator allows it: files are accepted; the same file again stays a no-op.
    await upstream.SetProjectOrigin(
        upstream_pb2.SetProjectOriginRequest(
            feed="main", project="requests", publish=upstream_pb2.ORIGIN_SETTING_ALLOW
        )
    )
    accepted = await stub.RegisterFile(_register("main", "requests", "1.0"))
    assert accepted.created
    again = await stub.RegisterFile(_register("main", "requests", "1.0"))
    assert not again.created and again.file == accepted.file

    # Publishing blocked by the administrator: an identical re-upload is still a no-op, other
    # bytes still "File already exists"; only a new file meets the block.
    await upstream.SetProjectOrigin(
        upstream_pb2.SetProjectOriginRequest(
            feed="main", project="requests", publish=upstream_pb2.ORIGIN_SETTING_BLOCK
        )
    )
    same = await stub.RegisterFile(_register("main", "requests", "1.0"))
    assert not same.created and same.file == accepted.file
    other = await _rpc_error(stub.RegisterFile(_register("main", "requests", "1.0", content=b"x")))
    assert other.code() == grpc.StatusCode.ALREADY_EXISTS
    blocked = await _rpc_error(stub.RegisterFile(_register("main", "requests", "2.0")))
    assert blocked.code() == grpc.StatusCode.PERMISSION_DENIED
    assert blocked.details() == (await _policy(upstream, "requests")).publish_reason
    assert [f.filename for f in (await _project(stub, "main", "requests")).files] == [
        accepted.file.filename
    ]


async def test_a_hosted_name_is_not_marked_as_from_upstream(
    stubs: tuple[Stub, upstream_pb2_grpc.UpstreamServiceStub],
) -> None:
    stub, upstream = stubs
    await stub.RegisterFile(_register("main", "internal", "1.0"))
    reply = await upstream.RecordUpstreamOrigin(
        upstream_pb2.RecordUpstreamOriginRequest(feed="main", project="internal")
    )
    assert not reply.policy.first_from_upstream and reply.policy.publish_allowed
    assert (await stub.RegisterFile(_register("main", "internal", "2.0"))).created


async def test_first_pull_and_first_upload_racing_never_both_win(
    stubs: tuple[Stub, upstream_pb2_grpc.UpstreamServiceStub],
) -> None:
    stub, upstream = stubs
    outcomes = {"hosted": 0, "upstream": 0}
    for i in range(50):
        name = f"race{i}"

        async def mark(name: str = name) -> object:
            return await upstream.RecordUpstreamOrigin(
                upstream_pb2.RecordUpstreamOriginRequest(feed="main", project=name)
            )

        async def upload(name: str = name) -> object:
            return await stub.RegisterFile(_register("main", name, "1.0"))

        # Alternate which call starts first, so both orders are exercised.
        if i % 2:
            _, registered = await asyncio.gather(mark(), upload(), return_exceptions=True)
        else:
            registered, _ = await asyncio.gather(upload(), mark(), return_exceptions=True)
        policy = await _policy(upstream, name)
        project = await _rpc_error_or_project(stub, name)
        accepted = project is not None and len(project.files) == 1
        assert not (accepted and policy.first_from_upstream and not policy.publish_allowed), name
        if isinstance(registered, grpc.aio.AioRpcError):
            # Refused: only because the name was first pulled from upstream, and nothing stayed.
            assert registered.code() == grpc.StatusCode.PERMISSION_DENIED, name
            assert registered.details() == MIRRORED.format(name)
            assert policy.first_from_upstream and not policy.publish_allowed
            assert project is None
            outcomes["upstream"] += 1
        else:
            assert isinstance(registered, metadata_pb2.RegisterFileResponse), registered
            assert registered.created and accepted, name
            assert policy.has_hosted and not policy.first_from_upstream and policy.publish_allowed
            outcomes["hosted"] += 1
    assert sum(outcomes.values()) == 50


async def _rpc_error_or_project(stub: Stub, name: str) -> metadata_pb2.Project | None:
    try:
        return await _project(stub, "main", name)
    except grpc.aio.AioRpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND
        return None


# GetProject.


async def test_get_project_orders_versions_and_files(stub: Stub, feed: str) -> None:
    serials = []
    for version in ("1.10.0", "1.2.0", "1.9.0"):
        await stub.RegisterFile(
            _register(
                feed,
                "demo",
                version,
                content=version.encode(),
                summary=f"release {version}",
                requires_dist=("requests>=2", "rich; extra == 'cli'"),
            )
        )
        serials.append((await _project(stub, feed, "demo")).serial)
    await stub.RegisterFile(_register(feed, "demo", "1.2.0", packagetype="sdist", content=b"s"))
    assert serials == sorted(serials) and len(set(serials)) == 3

    project = await _project(stub, feed, "demo")
    assert project.feed == feed and project.name == "demo"
    assert project.status == common_pb2.PROJECT_STATUS_ACTIVE
    assert project.serial > serials[-1]
    assert list(project.versions) == ["1.2.0", "1.9.0", "1.10.0"]
    assert [f.filename for f in project.files] == [
        "demo-1.2.0-py3-none-any.whl",
        "demo-1.2.0.tar.gz",
        "demo-1.9.0-py3-none-any.whl",
        "demo-1.10.0-py3-none-any.whl",
    ]
    release = project.releases["1.9.0"]
    assert release.summary == "release 1.9.0"
    assert release.version == "1.9.0" and release.name == "demo"
    assert list(release.requires_dist) == ["requests>=2", "rich; extra == 'cli'"]
    assert release.requires_python == ">=3.9"

    missing = await _rpc_error(
        stub.GetProject(metadata_pb2.GetProjectRequest(feed=feed, project="nothing"))
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_list_projects_streams_thousands_in_batches(
    stub: Stub, feed: str, database_url: str
) -> None:
    await stub.RegisterFile(_register(feed, "aaa-first", "1.0"))
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "INSERT INTO projects (feed, name, display_name) "
            "SELECT $1, 'p' || lpad(i::text, 5, '0'), 'P' || lpad(i::text, 5, '0') "
            "FROM generate_series(1, 3499) AS i",
            feed,
        )
    finally:
        await conn.close()

    batches = [
        list(reply.projects)
        async for reply in stub.ListProjects(metadata_pb2.ListProjectsRequest(feed=feed))
    ]
    assert [len(b) for b in batches] == [1000, 1000, 1000, 500]
    names = [p.name for batch in batches for p in batch]
    assert names == sorted(names) and len(set(names)) == 3500
    assert names[0] == "aaa-first" and names[-1] == "p03499"
    assert batches[1][0].display_name == "P" + batches[1][0].name[1:]
    assert all(p.serial > 0 for batch in batches for p in batch)

    other = await stub.CreateFeed(
        metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="empty"))
    )
    empty = [r async for r in stub.ListProjects(metadata_pb2.ListProjectsRequest(feed="empty"))]
    assert other.created and empty == []
    unknown = await _rpc_error(
        _drain(stub.ListProjects(metadata_pb2.ListProjectsRequest(feed="nope")))
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


async def _drain(call: AsyncIterator[object]) -> None:
    async for _ in call:
        pass


# Yank and status.


async def test_yank_and_unyank_a_release(stub: Stub, feed: str) -> None:
    await stub.RegisterFile(_register(feed, "demo", "1.0", content=b"w"))
    await stub.RegisterFile(_register(feed, "demo", "1.0", packagetype="sdist", content=b"s"))
    await stub.RegisterFile(_register(feed, "demo", "2.0", content=b"x"))
    before = (await _project(stub, feed, "demo")).serial

    reply = await stub.SetReleaseYanked(
        metadata_pb2.SetReleaseYankedRequest(
            feed=feed, project="demo", version="1.0", yanked=True, reason="broken"
        )
    )
    assert reply.files == 2
    project = await _project(stub, feed, "demo")
    assert project.serial > before
    yanked = {f.filename: (f.yanked, f.yanked_reason) for f in project.files}
    assert yanked == {
        "demo-1.0-py3-none-any.whl": (True, "broken"),
        "demo-1.0.tar.gz": (True, "broken"),
        "demo-2.0-py3-none-any.whl": (False, ""),
    }
    single = await stub.GetFile(metadata_pb2.GetFileRequest(feed=feed, filename="demo-1.0.tar.gz"))
    assert single.file.yanked and single.file.yanked_reason == "broken"

    # "1.0.0" is the same release as "1.0" (PEP 440 equality).
    await stub.SetReleaseYanked(
        metadata_pb2.SetReleaseYankedRequest(feed=feed, project="demo", version="1.0.0")
    )
    unyanked = await _project(stub, feed, "demo")
    assert not any(f.yanked or f.yanked_reason for f in unyanked.files)
    assert unyanked.serial > project.serial

    missing = await _rpc_error(
        stub.SetReleaseYanked(
            metadata_pb2.SetReleaseYankedRequest(feed=feed, project="demo", version="3.0")
        )
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND


async def test_project_status(stub: Stub, feed: str) -> None:
    await stub.RegisterFile(_register(feed, "demo", "1.0"))
    before = (await _project(stub, feed, "demo")).serial
    reply = await stub.SetProjectStatus(
        metadata_pb2.SetProjectStatusRequest(
            feed=feed,
            project="demo",
            status=common_pb2.PROJECT_STATUS_ARCHIVED,
            reason="moved to demo2",
        )
    )
    assert reply.project.status == common_pb2.PROJECT_STATUS_ARCHIVED
    assert reply.project.status_reason == "moved to demo2"
    assert reply.project.serial > before
    assert (await _project(stub, feed, "demo")) == reply.project

    missing = await _rpc_error(
        stub.SetProjectStatus(
            metadata_pb2.SetProjectStatusRequest(
                feed=feed, project="nope", status=common_pb2.PROJECT_STATUS_QUARANTINED
            )
        )
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND


# API keys.


def _auth(username: str, password: str) -> access_pb2.AuthenticateRequest:
    return access_pb2.AuthenticateRequest(username=username, password=password)


async def test_api_key_create_and_authenticate(stub: Stub) -> None:
    created = await stub.CreateApiKey(
        metadata_pb2.CreateApiKeyRequest(
            name="ci", publish_feeds=["main"], read_feeds=["main", "other"]
        )
    )
    assert created.created
    assert created.key.startswith(f"pky_{created.prefix}_")
    assert len(created.prefix) == 12

    for username in ("api", "__token__"):
        reply = await stub.Authenticate(_auth(username, created.key))
        assert reply.principal.name == "ci"
        assert not reply.principal.is_admin
        assert list(reply.principal.publish_feeds) == ["main"]
        assert list(reply.principal.read_feeds) == ["main", "other"]

    wrong_secret = created.key[:-4] + ("AAAA" if not created.key.endswith("AAAA") else "BBBB")
    unknown_prefix = "pky_" + "Z" * 12 + created.key[16:]
    failures = [
        _auth("api", wrong_secret),
        _auth("api", unknown_prefix),
        _auth("alice", created.key),
        _auth("api", "not-a-key"),
        _auth("api", ""),
    ]
    for request in failures:
        error = await _rpc_error(stub.Authenticate(request))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error.details() == "Invalid or non-existent authentication information."


async def test_expired_api_key_is_refused(stub: Stub) -> None:
    expires = Timestamp()
    expires.FromDatetime(datetime.now(UTC) - timedelta(seconds=1))
    created = await stub.CreateApiKey(metadata_pb2.CreateApiKeyRequest(name="old", expires=expires))
    error = await _rpc_error(stub.Authenticate(_auth("api", created.key)))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "Invalid or non-existent authentication information."

    expires.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    fresh = await stub.CreateApiKey(metadata_pb2.CreateApiKeyRequest(name="new", expires=expires))
    assert (await stub.Authenticate(_auth("api", fresh.key))).principal.name == "new"


async def test_given_admin_key_is_stored_once(stub: Stub) -> None:
    key = "pky_admin0000001_" + "s" * 43
    request = metadata_pb2.CreateApiKeyRequest(
        name="admin", is_admin=True, publish_feeds=["*"], read_feeds=["*"], key=key
    )
    first = await stub.CreateApiKey(request)
    second = await stub.CreateApiKey(request)
    assert (first.created, second.created) == (True, False)
    assert first.key == second.key == key and first.prefix == "admin0000001"

    principal = (await stub.Authenticate(_auth("api", key))).principal
    assert principal.is_admin and list(principal.publish_feeds) == ["*"]

    clash = await _rpc_error(
        stub.CreateApiKey(
            metadata_pb2.CreateApiKeyRequest(name="x", key="pky_admin0000001_" + "t" * 43)
        )
    )
    assert clash.code() == grpc.StatusCode.ALREADY_EXISTS
    for bad in ("pky_short_" + "s" * 43, "pky_admin0000002_tooshort", "sk_" + "s" * 60):
        error = await _rpc_error(
            stub.CreateApiKey(metadata_pb2.CreateApiKeyRequest(name="x", key=bad))
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


# Lifecycle.


async def test_health_reports_serving(database_url: str) -> None:
    await migrate(database_url)
    async with running_server(_settings(database_url)) as port:
        assert await check_health(f"127.0.0.1:{port}", tls_files("gateway"), SERVICE_NAME)
        assert await check_health(
            f"127.0.0.1:{port}", tls_files("gateway"), "packyard.dependency.postgres"
        )


async def test_unreachable_database_is_unavailable_not_internal() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings = _settings(
        f"postgresql://packyard:secret@127.0.0.1:{closed_port}/packyard",
        db_pool_min_size=0,
        db_connect_timeout=2.0,
    )
    async with (
        running_server(settings) as port,
        service_channel(f"127.0.0.1:{port}") as channel,
    ):
        stub = Stub(channel)
        for call in (
            stub.GetFeed(metadata_pb2.GetFeedRequest(name="main")),
            stub.Authenticate(_auth("api", "pky_" + "a" * 12 + "_" + "b" * 43)),
            stub.RegisterFile(_register("main", "demo", "1.0")),
        ):
            error = await _rpc_error(call)
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            assert error.details() == "Database unavailable"
        # Health says so too: the service cannot serve without its database.
        addr = f"127.0.0.1:{port}"
        deadline = asyncio.get_running_loop().time() + 10
        while await check_health(addr, tls_files("gateway")):
            assert asyncio.get_running_loop().time() < deadline, "still SERVING without PostgreSQL"
            await asyncio.sleep(0.1)
        assert not await check_health(addr, tls_files("gateway"), "packyard.dependency.postgres")


async def test_the_admin_key_setting_makes_a_global_administrator(database_url: str) -> None:
    from packyard.metadata.access.keys import generate_key

    key = generate_key().key  # what `packyard genkey` prints
    settings = _settings(database_url, admin_key=key)
    await migrate(database_url)
    for _ in range(2):  # a restart with the same key is a no-op
        async with (
            running_server(settings) as port,
            service_channel(f"127.0.0.1:{port}") as channel,
        ):
            stub = metadata_pb2_grpc.MetadataServiceStub(channel)
            reply = await stub.Authenticate(
                access_pb2.AuthenticateRequest(username="api", password=key)
            )
            assert reply.principal.is_admin
    wrong = key[:-4] + "abcd"
    async with running_server(settings) as port, service_channel(f"127.0.0.1:{port}") as channel:
        stub = metadata_pb2_grpc.MetadataServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.Authenticate(access_pb2.AuthenticateRequest(username="api", password=wrong))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
