"""AIP-158 page tokens and FieldMask updates over the real metadata service: an internal
client pages through a feed with more projects than one page and sees each exactly once, in
order; a tampered or foreign token is INVALID_ARGUMENT; a caller that sends no page_size gets
everything as before; an update with a field mask changes only the named field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from packyard_rpc import AsyncClient, InvalidArgument, aiter_feed_projects, aiter_projects
from packyard_rpc.v1 import (
    access_pb2,
    access_pb2_grpc,
    catalog_pb2,
    common_pb2,
    metadata_pb2,
    metadata_pb2_grpc,
)

from tests.fixtures.metadata_service import metadata_on_tls
from tests.fixtures.principals import acting_for
from tests.fixtures.tls import tls_files

pytestmark = pytest.mark.timeout(240)

# More projects than one page of 3; registered in shuffled order, listed by name.
NAMES = ["kiwi", "apple", "fig", "banana", "lime", "cherry", "grape", "date"]


@dataclass
class Stack:
    addr: str
    read_key: str  # read on "private" only


def _channel(addr: str, identity: str) -> grpc.aio.Channel:
    files = tls_files(identity).read()
    return grpc.aio.secure_channel(
        addr, grpc.ssl_channel_credentials(files.ca, files.key, files.cert)
    )


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with metadata_on_tls(database_url) as addr:
        async with _channel(addr, "operator") as channel:
            meta = metadata_pb2_grpc.MetadataServiceStub(channel)
            access = access_pb2_grpc.AccessServiceStub(channel)
            await meta.CreateFeed(
                metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name="private"))
            )
            keys = {}
            for right in (access_pb2.RIGHT_READ, access_pb2.RIGHT_PUBLISH):
                made = await access.CreateKey(
                    access_pb2.CreateKeyRequest(
                        name=f"k{right}",
                        permissions=[access_pb2.Permission(feed="private", right=right)],
                    )
                )
                keys[right] = str(made.key)
        async with _channel(addr, "client:ci") as channel:
            meta = metadata_pb2_grpc.MetadataServiceStub(channel)
            publish = (("authorization", f"Bearer {keys[access_pb2.RIGHT_PUBLISH]}"),)
            for i, name in enumerate(NAMES):
                await meta.RegisterFile(_wheel(name, i), metadata=publish)
        yield Stack(addr, keys[access_pb2.RIGHT_READ])


def _wheel(name: str, i: int) -> metadata_pb2.RegisterFileRequest:
    return metadata_pb2.RegisterFileRequest(
        feed="private",
        file=common_pb2.FileInfo(
            project=name,
            version="1.0",
            filename=f"{name}-1.0-py3-none-any.whl",
            size=3,
            hashes=common_pb2.Hashes(sha256=f"{i:x}" * 64),
            packagetype="bdist_wheel",
            python_version="py3",
        ),
        metadata=common_pb2.CoreMetadata(metadata_version="2.1", name=name, version="1.0"),
    )


def _client(stack: Stack) -> AsyncClient:
    files = tls_files("client:ci")
    return AsyncClient(
        stack.addr, api_key=stack.read_key, ca=files.ca, cert=files.cert, key=files.key
    )


async def test_paging_through_a_feed_lists_every_project_once_in_order(stack: Stack) -> None:
    async with _client(stack) as client:
        first = [
            reply
            async for reply in client.metadata.ListProjects(
                metadata_pb2.ListProjectsRequest(feed="private", page_size=3)
            )
        ]
        assert [p.name for r in first for p in r.projects] == ["apple", "banana", "cherry"]
        assert first[-1].next_page_token

        paged = [p.name async for p in aiter_projects(client.metadata, "private", page_size=3)]
        assert paged == sorted(NAMES)

        request = catalog_pb2.ListFeedProjectsRequest(feed="private", page_size=3)
        listed = [p.name async for p in aiter_feed_projects(client.catalog, request)]
        assert listed == sorted(NAMES)
        last = await client.catalog.ListFeedProjects(
            catalog_pb2.ListFeedProjectsRequest(feed="private", page=3, page_size=3)
        )
        assert [p.name for p in last.projects] == ["kiwi", "lime"]
        assert last.next_page_token == ""


async def test_a_caller_without_page_size_still_gets_every_project(stack: Stack) -> None:
    async with _client(stack) as client:
        replies = [
            reply
            async for reply in client.metadata.ListProjects(
                metadata_pb2.ListProjectsRequest(feed="private")
            )
        ]
    assert [p.name for r in replies for p in r.projects] == sorted(NAMES)
    assert all(r.next_page_token == "" for r in replies)


async def test_a_tampered_or_foreign_page_token_is_invalid_argument(stack: Stack) -> None:
    async with _client(stack) as client:
        page = await client.catalog.ListFeedProjects(
            catalog_pb2.ListFeedProjectsRequest(feed="private", page_size=3)
        )
        token = page.next_page_token
        tampered = ("A" if token[0] != "A" else "B") + token[1:]
        bad = [
            "not base64 !",
            tampered,
            # The token of one order does not resume another.
            token,
        ]
        orders = [catalog_pb2.PROJECT_ORDER_NAME] * 2 + [catalog_pb2.PROJECT_ORDER_DOWNLOADS]
        for value, order in zip(bad, orders, strict=True):
            with pytest.raises(InvalidArgument):
                await client.catalog.ListFeedProjects(
                    catalog_pb2.ListFeedProjectsRequest(
                        feed="private", page_size=3, order=order, page_token=value
                    )
                )
        # Nor does a catalog token resume MetadataService.ListProjects.
        with pytest.raises(InvalidArgument):
            async for _ in client.metadata.ListProjects(
                metadata_pb2.ListProjectsRequest(feed="private", page_token=token)
            ):
                pass


async def test_a_field_mask_updates_only_the_named_field(stack: Stack) -> None:
    # UpdateFeed is the gateway's, called for an administrator.
    admin = acting_for(common_pb2.Principal(name="root", key_prefix="ROOTPREFIX00", is_admin=True))
    async with _channel(stack.addr, "gateway") as channel:
        meta = metadata_pb2_grpc.MetadataServiceStub(channel)
        changed = metadata_pb2.Feed(name="private", description="fruit", anonymous_read=True)
        reply = await meta.UpdateFeed(
            metadata_pb2.UpdateFeedRequest(
                feed=changed, field_mask=FieldMask(paths=["description"])
            ),
            metadata=admin,
        )
        assert reply.feed.description == "fruit"
        assert reply.feed.anonymous_read is False
        stored = await meta.GetFeed(metadata_pb2.GetFeedRequest(name="private"), metadata=admin)
        assert (stored.feed.description, stored.feed.anonymous_read) == ("fruit", False)
        for wrong in (
            metadata_pb2.UpdateFeedRequest(feed=changed, field_mask=FieldMask(paths=["owner"])),
            metadata_pb2.UpdateFeedRequest(
                feed=changed,
                update_mask=["description"],
                field_mask=FieldMask(paths=["description"]),
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await meta.UpdateFeed(wrong, metadata=admin)
            assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
