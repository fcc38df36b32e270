"""What /readyz answers: ready while the core serves, degraded while an extra is missing.

The core of a gateway is hosted pages and files: the metadata and blob services. Without
either it cannot serve and is unready (503), so a load balancer sends its traffic elsewhere.
The connector (upstream proxying) and NATS (change events; caches switch off without them)
are extras: without them hosted traffic still flows, so the gateway stays ready and reports
itself degraded instead of leaving every pod's Service at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packyard.common.metrics import record_dependency

CORE = ("metadata", "blob")


@dataclass(frozen=True)
class Readiness:
    http_status: int
    body: dict[str, Any]


def assess(up: dict[str, bool], *, events_connected: bool, verbose: bool) -> Readiness:
    """The answer for the dependencies' states ``up`` (service name -> serving)."""
    down = [name for name, ok in up.items() if not ok]
    if any(name in CORE for name in down):
        status, code = "unavailable", 503
    elif down or not events_connected:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body: dict[str, Any] = {
        "status": status,
        "events": "connected" if events_connected else "disconnected",
    }
    if down:
        body["down"] = down
    if verbose:
        states = {name: _state(name, ok) for name, ok in up.items()}
        states["nats"] = _state("nats", events_connected)
        body["dependencies"] = states
    return Readiness(code, body)


def _state(name: str, ok: bool) -> dict[str, Any]:
    return {"state": "up" if ok else "down", "core": name in CORE}


def record(up: dict[str, bool], events_connected: bool) -> None:
    for name, ok in up.items():
        record_dependency("gateway", name, ok)
    record_dependency("gateway", "nats", events_connected)
