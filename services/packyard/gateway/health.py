"""/healthz (the process is alive) and /readyz (every backend answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from packyard.gateway.deps import BackendsDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request, backends: BackendsDep) -> JSONResponse:
    # Change events are not needed to serve (caches switch off without them), only reported.
    events = "connected" if request.state.changes.connected else "disconnected"
    down = await backends.unhealthy()
    if down:
        return JSONResponse({"status": "unavailable", "down": down, "events": events}, 503)
    return JSONResponse({"status": "ok", "events": events})
