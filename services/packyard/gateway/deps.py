"""Request-scoped access to what the lifespan opened (routes read it through these aliases).

The dependencies are ``async def``: FastAPI runs a plain ``def`` one in the thread pool, a
thread hop per dependency per request for a one-line attribute read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.blob_cache import BlobCache
from packyard.gateway.downloads import DownloadCounter
from packyard.gateway.settings import GatewaySettings


async def _backends(request: Request) -> Backends:
    return request.state.backends  # type: ignore[no-any-return]


async def _auth(request: Request) -> Authenticator:
    return request.state.auth  # type: ignore[no-any-return]


async def _downloads(request: Request) -> DownloadCounter:
    return request.state.downloads  # type: ignore[no-any-return]


async def _settings(request: Request) -> GatewaySettings:
    return request.state.settings  # type: ignore[no-any-return]


async def _blob_cache(request: Request) -> BlobCache | None:
    return request.state.blob_cache  # type: ignore[no-any-return]


BackendsDep = Annotated[Backends, Depends(_backends)]
AuthDep = Annotated[Authenticator, Depends(_auth)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
DownloadsDep = Annotated[DownloadCounter, Depends(_downloads)]
BlobCacheDep = Annotated[BlobCache | None, Depends(_blob_cache)]
