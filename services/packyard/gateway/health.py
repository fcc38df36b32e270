"""/healthz (the process is alive) and /readyz (the core serves; ``?verbose`` for details)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from packyard.gateway import readiness
from packyard.gateway.deps import BackendsDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request, backends: BackendsDep) -> JSONResponse:
    down = await backends.unhealthy()
    up = {name: name not in down for name in backends.addrs}
    connected = bool(request.state.changes.connected)
    readiness.record(up, connected)
    answer = readiness.assess(
        up, events_connected=connected, verbose="verbose" in request.query_params
    )
    return JSONResponse(answer.body, answer.http_status)
