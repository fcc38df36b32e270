"""The gateway's client layer: the right RPC, the right deadline, and a failed RPC arrives as
the domain error (and so the HTTP status) its gRPC status stands for."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any, cast

import grpc
import pytest
from packyard.common.errors import (
    BadGateway,
    NotFound,
    PackyardError,
    Unavailable,
    http_status_for,
)
from packyard.gateway.clients.access import AccessClient
from packyard.gateway.clients.blob import BlobClient
from packyard.gateway.clients.calls import UNAVAILABLE_MESSAGE, Client, ServerStream, Unary
from packyard.gateway.clients.catalog import CatalogClient
from packyard.gateway.clients.connector import ConnectorClient
from packyard.gateway.clients.metadata import MetadataClient
from packyard.gateway.clients.principal import act_for
from packyard.gateway.clients.upstream import UpstreamClient
from packyard.gateway.downloads import DownloadCounter
from packyard_rpc.v1 import blob_pb2, catalog_pb2, connector_pb2, metadata_pb2


def _failed(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, "")


class _Stream:
    """A server-streaming call: yields ``messages``, then fails with ``error`` if given."""

    def __init__(self, messages: list[Any], error: grpc.aio.AioRpcError | None) -> None:
        self.messages, self.error, self.cancelled = messages, error, False

    async def __aiter__(self) -> AsyncIterator[Any]:
        for message in self.messages:
            yield message
        if self.error is not None:
            raise self.error

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class FakeStub:
    """Any RPC: records (name, request, timeout) and answers ``reply`` or fails with ``error``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, float | None]] = []
        self.metadata: list[tuple[tuple[str, str], ...]] = []
        self.reply: Any = None
        self.error: grpc.aio.AioRpcError | None = None
        self.stream = _Stream([], None)

    def __getattr__(self, name: str) -> Any:
        def start(request: Any, timeout: float | None = None, metadata: Any = ()) -> Any:
            self.calls.append((name, request, timeout))
            self.metadata.append(tuple(metadata))
            if name in ("GetBlob", "FetchFile", "ListProjects"):
                return self.stream
            return self._answer()

        return start

    async def _answer(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.reply


def _client(cls: type[Any], timeout: float = 5.0) -> tuple[Any, FakeStub]:
    stub = FakeStub()
    client = cls.__new__(cls)
    client.stub, client.timeout = stub, timeout
    return client, stub


async def test_a_unary_call_is_the_named_rpc_with_the_gateway_timeout() -> None:
    client, stub = _client(MetadataClient)
    stub.reply = metadata_pb2.GetFeedResponse(feed=metadata_pb2.Feed(name="main"))
    request = metadata_pb2.GetFeedRequest(name="main")

    reply = await cast(MetadataClient, client).get_feed(request)

    assert reply.feed.name == "main"
    assert stub.calls == [("GetFeed", request, 5.0)]
    # Outside a request that authenticated, the call is anonymous.
    assert stub.metadata == [()]


async def test_calls_to_the_metadata_process_act_for_the_authenticated_principal() -> None:
    client, stub = _client(MetadataClient)
    blob, blob_stub = _client(BlobClient)
    stub.reply = metadata_pb2.GetFeedResponse(feed=metadata_pb2.Feed(name="main"))
    blob_stub.reply = blob_pb2.StatBlobResponse()
    act_for("signed-token", "10.0.0.9")

    await cast(MetadataClient, client).get_feed(metadata_pb2.GetFeedRequest(name="main"))
    await cast(BlobClient, blob).stat_blob(blob_pb2.StatBlobRequest(sha256="ab"))

    assert stub.metadata == [
        (("x-packyard-principal", "signed-token"), ("x-packyard-client-address", "10.0.0.9"))
    ]
    # The token stays inside the metadata process's services.
    assert blob_stub.metadata == [()]


@pytest.mark.parametrize(
    ("code", "error", "status", "message"),
    [
        (grpc.StatusCode.NOT_FOUND, NotFound, 404, "Feed 'x' not found."),
        (grpc.StatusCode.UNAVAILABLE, Unavailable, 503, UNAVAILABLE_MESSAGE),
        (grpc.StatusCode.DEADLINE_EXCEEDED, PackyardError, 504, "Deadline Exceeded"),
    ],
)
async def test_a_failed_rpc_is_the_domain_error_of_its_status(
    code: grpc.StatusCode, error: type[PackyardError], status: int, message: str
) -> None:
    client, stub = _client(MetadataClient)
    details = {grpc.StatusCode.DEADLINE_EXCEEDED: "Deadline Exceeded"}.get(
        code, "Feed 'x' not found."
    )
    stub.error = _failed(code, details)

    with pytest.raises(error) as raised:
        await cast(MetadataClient, client).get_feed(metadata_pb2.GetFeedRequest(name="x"))

    assert (raised.value.http_status or http_status_for(raised.value.code)) == status
    assert raised.value.message == message


async def test_the_connectors_data_loss_is_a_bad_gateway() -> None:
    client, stub = _client(ConnectorClient)
    stub.error = _failed(grpc.StatusCode.DATA_LOSS, "sha256 mismatch")

    with pytest.raises(BadGateway) as raised:
        await cast(ConnectorClient, client).get_upstream_project(
            connector_pb2.GetUpstreamProjectRequest(feed="f", project="p")
        )

    assert raised.value.http_status == 502 and raised.value.message == "sha256 mismatch"


async def test_long_calls_get_more_time_and_downloads_no_deadline() -> None:
    client, stub = _client(BlobClient, timeout=5.0)
    blob = cast(BlobClient, client)

    async def parts() -> AsyncIterator[blob_pb2.PutBlobRequest]:
        yield blob_pb2.PutBlobRequest()

    await blob.put_blob(parts())
    async for _ in blob.stream_blob(blob_pb2.GetBlobRequest(sha256="a")):
        pass

    assert [(name, timeout) for name, _, timeout in stub.calls] == [
        ("PutBlob", 600.0),
        ("GetBlob", None),
    ]


async def test_a_stream_fails_as_a_domain_error_and_is_cancelled_when_left() -> None:
    client, stub = _client(ConnectorClient)
    connector = cast(ConnectorClient, client)
    chunk = connector_pb2.FetchFileResponse(chunk=b"abc")
    stub.stream = _Stream([chunk, chunk], _failed(grpc.StatusCode.DATA_LOSS, "cut short"))
    request = connector_pb2.FetchFileRequest(feed="f", project="p", filename="p-1.tar.gz")

    received = []
    with pytest.raises(BadGateway):
        async for part in connector.fetch_file(request):
            received.append(part.chunk)
    assert received == [b"abc", b"abc"]

    stub.stream = _Stream([chunk, chunk], None)
    parts = connector.fetch_file(request)
    await anext(parts)
    await parts.aclose()
    assert stub.stream.cancelled


@pytest.mark.parametrize(
    "client",
    [AccessClient, BlobClient, CatalogClient, ConnectorClient, MetadataClient, UpstreamClient],
)
def test_every_declared_call_is_an_rpc_of_its_service(client: type[Client]) -> None:
    # The generated servicer base class has one method per RPC the proto declares.
    module = sys.modules[client.stub_class.__module__]
    servicer = getattr(module, client.stub_class.__name__.replace("Stub", "Servicer"))
    declared = [c for c in vars(client).values() if isinstance(c, Unary | ServerStream)]
    assert declared
    for call in declared:
        assert callable(getattr(servicer, call.rpc, None)), f"{client.__name__}: {call.rpc}"


async def test_the_download_flusher_acts_for_nobody_whichever_request_started_it() -> None:
    catalog, stub = _client(CatalogClient)
    stub.reply = catalog_pb2.RecordDownloadsResponse(recorded=1)
    counter = DownloadCounter(cast(CatalogClient, catalog), interval=0.01)
    act_for("token-of-the-first-downloader", "10.0.0.9")
    counter.add("main", "demo-1.0-py3-none-any.whl")
    for _ in range(100):
        if stub.calls:
            break
        await asyncio.sleep(0.01)
    await counter.close()
    assert [name for name, _, _ in stub.calls] == ["RecordDownloads"]
    assert stub.metadata == [()]
