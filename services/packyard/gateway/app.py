"""The gateway application: create_app(settings) wires routers, backends and error handling."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from packyard.common.errors import PackyardError
from packyard.common.heap import freeze_startup_heap
from packyard.common.telemetry import instrument_fastapi, traced_only_when_asked
from packyard.gateway import health
from packyard.gateway.admin import connectors as admin_connectors
from packyard.gateway.admin import governance as admin_governance
from packyard.gateway.admin import routes as admin
from packyard.gateway.admin import webhooks as admin_webhooks
from packyard.gateway.api_docs import install_api_docs
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.auth.limits import LockoutMemo
from packyard.gateway.backends import open_backends
from packyard.gateway.blob_cache import BlobCache
from packyard.gateway.change_listener import ChangeListener
from packyard.gateway.change_reconcile import Reconciler
from packyard.gateway.downloads import DownloadCounter
from packyard.gateway.head_requests import HeadAsGet
from packyard.gateway.page_cache import PageCache
from packyard.gateway.pypi import feed_root, files, json_api, provenance, simple, upload
from packyard.gateway.pypi.fast_paths import FastPaths
from packyard.gateway.pypi.front_door import FrontDoor
from packyard.gateway.responses import error_response, response_for_error
from packyard.gateway.security_headers import SecurityHeaders
from packyard.gateway.settings import GatewaySettings
from packyard.gateway.ui import routes as ui
from packyard.gateway.worker_shares import WorkerShares


def create_app(
    settings: GatewaySettings,
    shares: WorkerShares | None = None,
) -> FastAPI:
    """The gateway; ``shares``: what its workers share (worker_shares.py), if it has several."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        async with open_backends(settings) as backends:
            auth = Authenticator(backends, LockoutMemo(), ttl=settings.auth_cache_ttl)
            pages = PageCache(
                settings.page_cache_ttl,
                settings.page_cache_max_bytes,
                siblings=shares.drops if shares is not None else None,
                shared=shares.pages if shares is not None else None,
                serials=backends.changes.serials if backends.changes is not None else None,
            )
            reconciler = (
                Reconciler(pages, backends.changes.serials, settings.reconcile_interval)
                if backends.changes is not None
                else None
            )
            # Connects in the background: the gateway serves at once, NATS or not.
            listener = ChangeListener(settings.nats_connect_url, pages, auth, reconciler)
            downloads = DownloadCounter(backends.catalog)
            blobs = (
                BlobCache(
                    settings.blob_cache_dir,
                    settings.blob_cache_max_bytes,
                    shared_root=shares.blobs_root if shares is not None else None,
                )
                if settings.blob_cache_max_bytes
                else None
            )
            listener.start()
            # Everything the gateway holds from now to its end: out of the collector's way.
            freeze_startup_heap()
            try:
                yield {
                    "backends": backends,
                    "auth": auth,
                    "settings": settings,
                    "pages": pages,
                    "changes": listener,
                    "downloads": downloads,
                    "blob_cache": blobs,
                }
            finally:
                await listener.stop()
                await downloads.close()
                if blobs is not None:
                    blobs.close()

    app = FastAPI(
        title="Packyard",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served with local assets by api_docs.py
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    install_api_docs(app, "/api/openapi.json")
    for module in (health, simple, files, upload, json_api, feed_root, provenance):
        app.include_router(module.router)
    app.include_router(admin.router)
    app.include_router(admin_connectors.router)
    app.include_router(admin_governance.router)
    app.include_router(admin_webhooks.router)
    app.include_router(ui.router)

    @app.exception_handler(PackyardError)
    async def _domain_error(request: Request, exc: PackyardError) -> Response:
        return response_for_error(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, str(exc.detail), request)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "Invalid request.", request)

    # Innermost of the middleware: their answers still get the headers, spans and metrics.
    app.add_middleware(HeadAsGet, routes=app.router.routes)
    app.add_middleware(FastPaths)
    app.add_middleware(SecurityHeaders)

    instrument_fastapi(app)
    return app


def with_front_door(app: ASGIApp) -> ASGIApp:
    """``app`` behind the front door for cached pages (pypi/front_door.py), unless this process
    records requests (then every request goes through the instrumented stack)."""
    return FrontDoor(app, enabled=traced_only_when_asked())
