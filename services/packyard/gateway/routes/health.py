"""/healthz (the process is alive) and /readyz (every backend answers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from packyard.gateway.deps import BackendsDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(backends: BackendsDep) -> JSONResponse:
    down = await backends.unhealthy()
    if down:
        return JSONResponse({"status": "unavailable", "down": down}, 503)
    return JSONResponse({"status": "ok"})
