"""Every gRPC server refuses callers without a certificate from the CA, and allows each method
only to the identities common/rpc_access.py names; the attacks from issue 11 fail."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool
from packyard.blob.server import running_server as blob_server
from packyard.blob.settings import BlobSettings
from packyard.common.grpc import new_server, secure_channel, start_server, stop_server
from packyard.common.rpc_access import is_allowed
from packyard.common.tls import ensure_material
from packyard.common.tls_files import TlsFiles
from packyard_rpc.v1 import (
    access_pb2,
    access_pb2_grpc,
    blob_pb2,
    blob_pb2_grpc,
    metadata_pb2,
    metadata_pb2_grpc,
)
from pydantic import SecretStr

from tests.fixtures.metadata_service import metadata_on_tls
from tests.fixtures.tls import IDENTITIES, all_methods, tls_files, tls_settings

pytestmark = pytest.mark.timeout(120)
SERVED = "served"


def _kind(method: str) -> tuple[bool, bool]:
    """(client_streaming, server_streaming) from the proto descriptors."""
    service, name = method.strip("/").split("/")
    found = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name]
    return found.client_streaming, found.server_streaming


def _handler(client_streaming: bool, server_streaming: bool) -> grpc.RpcMethodHandler:
    # Raw bytes in and out: the access decision comes before any message is parsed.
    async def unary(request: Any, context: Any) -> bytes:
        return SERVED.encode()

    async def stream(request: Any, context: Any) -> AsyncIterator[bytes]:
        yield SERVED.encode()

    async def drain_unary(requests: Any, context: Any) -> bytes:
        async for _ in requests:
            pass
        return SERVED.encode()

    async def drain_stream(requests: Any, context: Any) -> AsyncIterator[bytes]:
        async for _ in requests:
            pass
        yield SERVED.encode()

    table = {
        (False, False): grpc.unary_unary_rpc_method_handler(unary),
        (False, True): grpc.unary_stream_rpc_method_handler(stream),
        (True, False): grpc.stream_unary_rpc_method_handler(drain_unary),
        (True, True): grpc.stream_stream_rpc_method_handler(drain_stream),
    }
    return table[(client_streaming, server_streaming)]


@pytest.fixture
async def every_method() -> AsyncIterator[str]:
    """A server (the services' own server setup) answering every method of every service."""
    all_of = all_methods()
    server = new_server()
    by_service: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for method in all_of:
        service, name = method.strip("/").split("/")
        by_service.setdefault(service, {})[name] = _handler(*_kind(method))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(s, h) for s, h in by_service.items()]
    )
    port, health = await start_server(server, "127.0.0.1:0", [], tls_files("metadata"))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await stop_server(server, health, 0)


async def _call(channel: grpc.aio.Channel, method: str) -> grpc.StatusCode:
    client_streaming, server_streaming = _kind(method)
    try:
        if server_streaming:
            call = (
                channel.stream_stream(method)(iter([b""]), timeout=10)
                if client_streaming
                else channel.unary_stream(method)(b"", timeout=10)
            )
            # The first message is enough (Health/Watch never ends by itself).
            async for _ in call:
                call.cancel()
                break
            else:
                await call
        elif client_streaming:
            await channel.stream_unary(method)(iter([b""]), timeout=10)
        else:
            await channel.unary_unary(method)(b"", timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def _answered(method: str, code: grpc.StatusCode) -> bool:
    """True when the call got past the access check. The real health servicer answers
    Health/*: it implements no List (UNIMPLEMENTED or INTERNAL, but not PERMISSION_DENIED)."""
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return False
    assert code == grpc.StatusCode.OK or method == "/grpc.health.v1.Health/List", (method, code)
    return True


async def test_every_method_with_every_identity(every_method: str) -> None:
    decisions: dict[tuple[str, str], bool] = {}
    for identity in IDENTITIES:
        async with secure_channel(every_method, tls_files(identity)) as channel:
            for method in all_methods():
                decisions[identity, method] = _answered(method, await _call(channel, method))
    expected = {key: is_allowed(*key) for key in decisions}
    assert decisions == expected
    # The walk saw both outcomes for the gateway, and denials for an internal client.
    assert {allowed for (who, _), allowed in decisions.items() if who == "gateway"} == {True, False}
    # Health, reflection and the public surface it calls as its key's principal (18 methods).
    assert sum(decisions[who, m] for who, m in decisions if who == "client:ci") == 3 + 1 + 18


# -- the attacks -----------------------------------------------------------------------


@pytest.fixture
async def metadata_addr(database_url: str) -> AsyncIterator[str]:
    async with metadata_on_tls(database_url) as addr:
        yield addr


ADMIN_KEY = metadata_pb2.CreateApiKeyRequest(name="attacker", is_admin=True)


async def test_an_insecure_channel_gets_no_admin_key(metadata_addr: str) -> None:
    async with grpc.aio.insecure_channel(metadata_addr) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await metadata_pb2_grpc.MetadataServiceStub(channel).CreateApiKey(ADMIN_KEY, timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_certificate_from_another_ca_is_refused(metadata_addr: str, tmp_path: Path) -> None:
    foreign = ensure_material(tmp_path / "other-ca", ["gateway"])["gateway"]
    # Trusts the real server, presents a certificate the real CA never signed.
    tls = TlsFiles(tls_files("gateway").ca, foreign.cert, foreign.key)
    async with secure_channel(metadata_addr, tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await metadata_pb2_grpc.MetadataServiceStub(channel).CreateApiKey(ADMIN_KEY, timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_client_without_a_certificate_is_refused(metadata_addr: str) -> None:
    credentials = grpc.ssl_channel_credentials(tls_files("gateway").ca.read_bytes())
    async with grpc.aio.secure_channel(metadata_addr, credentials) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await metadata_pb2_grpc.MetadataServiceStub(channel).CreateApiKey(ADMIN_KEY, timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_connector_may_not_create_api_keys(metadata_addr: str) -> None:
    async with secure_channel(metadata_addr, tls_files("connector")) as channel:
        stub = metadata_pb2_grpc.MetadataServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CreateApiKey(ADMIN_KEY, timeout=5)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # Nor may it turn a credential into a principal, through either service.
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.Authenticate(
                access_pb2.AuthenticateRequest(username="api", password="x"), timeout=5
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        access = access_pb2_grpc.AccessServiceStub(channel)
        for call in (
            access.Authenticate(access_pb2.AuthenticateRequest(username="api", password="x")),
            access.CreateKey(access_pb2.CreateKeyRequest(name="x", is_admin=True)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_gateway_may_not_delete_blobs(
    engines: Any, s3_bucket: str, tmp_path: Path
) -> None:
    settings = BlobSettings(
        s3_endpoint=engines.s3_endpoint,
        s3_access_key=engines.s3_access_key,
        s3_secret_key=SecretStr(str(engines.s3_secret_key)),
        s3_secure=engines.s3_secure,
        s3_bucket=s3_bucket,
        listen_addr="127.0.0.1:0",
        spool_dir=str(tmp_path),
        shutdown_grace=0.5,
        **tls_settings("blob"),
    )
    data = b"bytes a gateway must not be able to delete"
    async with blob_server(settings) as port:
        addr = f"127.0.0.1:{port}"
        async with secure_channel(addr, tls_files("gateway")) as channel:
            stub = blob_pb2_grpc.BlobServiceStub(channel)

            async def put() -> AsyncIterator[blob_pb2.PutBlobRequest]:
                yield blob_pb2.PutBlobRequest(header=blob_pb2.PutBlobHeader())
                yield blob_pb2.PutBlobRequest(chunk=data)

            stored = await stub.PutBlob(put(), timeout=10)
            sha256 = stored.blob.hashes.sha256
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.DeleteBlob(blob_pb2.DeleteBlobRequest(sha256=sha256), timeout=5)
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
            still = await stub.StatBlob(blob_pb2.StatBlobRequest(sha256=sha256), timeout=5)
            assert still.blob.size == len(data)
        async with secure_channel(addr, tls_files("metadata")) as channel:
            reply = await blob_pb2_grpc.BlobServiceStub(channel).DeleteBlob(
                blob_pb2.DeleteBlobRequest(sha256=sha256), timeout=5
            )
            assert reply is not None


async def test_the_healthcheck_module_probes_with_the_process_certificate(
    every_method: str,
) -> None:
    """What compose and the Helm exec probes run: 0 with the TLS settings, 2 without."""

    async def probe(env: dict[str, str]) -> int:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PACKYARD_TLS_")}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "packyard.common.healthcheck", every_method,
            env={**clean, **env}, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await proc.wait()

    assert await probe(tls_files("blob").env()) == 0
    assert await probe({}) == 2
