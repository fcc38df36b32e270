"""What the web UI keeps for the process lifetime: a CatalogService client and the download
counter. Opened by the UI router's lifespan, so the app factory needs only include_router.

The channel is opened on first use from the gateway settings the request carries (the
router's lifespan runs inside the app's, but does not see its state).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from fastapi import FastAPI, Request

from packyard.common.grpc import secure_channel
from packyard.common.tls import TlsFiles
from packyard.gateway.ui_downloads import DownloadCounter
from packyard.rpc.v1 import catalog_pb2_grpc, common_pb2


class UiContext:
    def __init__(self) -> None:
        self._addr = ""
        self._tls: TlsFiles | None = None
        self._channel: grpc.aio.Channel | None = None
        self._stub: catalog_pb2_grpc.CatalogServiceStub | None = None
        self.downloads = DownloadCounter(self._catalog_stub)

    def bind(self, metadata_addr: str, tls: TlsFiles) -> None:
        """Where CatalogService is (the metadata process), and the gateway's certificate; the
        first call wins."""
        if not self._addr:
            self._addr = metadata_addr
            self._tls = tls

    def _catalog_stub(self) -> catalog_pb2_grpc.CatalogServiceStub:
        if self._stub is None:
            if not self._addr or self._tls is None:
                raise RuntimeError("the UI context is not bound to a metadata address")
            self._channel = secure_channel(self._addr, self._tls)
            self._stub = catalog_pb2_grpc.CatalogServiceStub(self._channel)
        return self._stub

    def catalog(self, request: Request) -> catalog_pb2_grpc.CatalogServiceStub:
        self.bind(request.state.settings.metadata_addr, request.state.settings.tls())
        return self._catalog_stub()

    async def close(self) -> None:
        await self.downloads.close()
        if self._channel is not None:
            await self._channel.close(grace=None)
            self._channel = None
            self._stub = None


@contextlib.asynccontextmanager
async def ui_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    context = UiContext()
    try:
        yield {"ui": context}
    finally:
        await context.close()


def ui_context(request: Request) -> UiContext:
    context: UiContext = request.state.ui
    context.bind(request.state.settings.metadata_addr, request.state.settings.tls())
    return context


def count_download(request: Request, info: common_pb2.FileInfo, sha256: str, status: int) -> None:
    """Count a download answered in full (200 to a GET of the file itself).

    Range requests (uv and pip reading a wheel's metadata), HEAD and .metadata files are not
    downloads. Does nothing in an app without the UI's lifespan state.
    """
    if request.method != "GET" or status != 200 or sha256 != info.hashes.sha256:
        return
    if getattr(request.state, "ui", None) is not None:
        ui_context(request).downloads.add(info.feed, info.filename)
