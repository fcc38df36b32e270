"""Client and AsyncClient: one mutual-TLS channel to a Packyard metadata service and the stubs
of its public services on it."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self

import grpc
import grpc.aio

from packyard_rpc.calls import SyncCalls, async_calls
from packyard_rpc.service_config import channel_options
from packyard_rpc.settings import Settings
from packyard_rpc.v1 import access_pb2_grpc, catalog_pb2_grpc, metadata_pb2_grpc


def _settings(
    target: str | None,
    api_key: str | None,
    ca: str | Path | None,
    cert: str | Path | None,
    key: str | Path | None,
    timeout: float | None,
    server_name: str | None,
) -> Settings:
    return Settings.resolve(
        target,
        api_key=api_key,
        ca=ca,
        cert=cert,
        key=key,
        timeout=timeout,
        server_name=server_name,
    )


def _credentials(settings: Settings) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(settings.ca, settings.key, settings.cert)


class Client:
    """A blocking client. Arguments left out come from PACKYARD_RPC_* (settings.py).

    ``client.metadata``, ``client.catalog`` and ``client.access`` are the generated stubs:
    every call has the default deadline unless it passes ``timeout=``, reads are retried on
    UNAVAILABLE, and failures raise errors.py's classes.
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        ca: str | Path | None = None,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        timeout: float | None = None,
        server_name: str | None = None,
    ) -> None:
        self.settings = _settings(target, api_key, ca, cert, key, timeout, server_name)
        self.channel = grpc.secure_channel(
            self.settings.target,
            _credentials(self.settings),
            options=channel_options(self.settings.timeout, self.settings.server_name),
        )
        calls = grpc.intercept_channel(self.channel, SyncCalls(self.settings.api_key))
        self.metadata = metadata_pb2_grpc.MetadataServiceStub(calls)
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(calls)
        self.access = access_pb2_grpc.AccessServiceStub(calls)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient:
    """The asyncio twin of Client: the same stubs, awaited (``async with AsyncClient() as c``)."""

    def __init__(
        self,
        target: str | None = None,
        *,
        api_key: str | None = None,
        ca: str | Path | None = None,
        cert: str | Path | None = None,
        key: str | Path | None = None,
        timeout: float | None = None,
        server_name: str | None = None,
    ) -> None:
        self.settings = _settings(target, api_key, ca, cert, key, timeout, server_name)
        self.channel = grpc.aio.secure_channel(
            self.settings.target,
            _credentials(self.settings),
            options=channel_options(self.settings.timeout, self.settings.server_name),
            interceptors=async_calls(self.settings.api_key),
        )
        self.metadata = metadata_pb2_grpc.MetadataServiceStub(self.channel)
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        self.access = access_pb2_grpc.AccessServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
