"""`packyard gateway` / `python -m packyard.gateway`: serve HTTP until SIGTERM.

uvicorn stops accepting on SIGTERM and lets in-flight requests finish. Its timeouts and
bounds come from the settings (server_limits.py). With more than one worker
(``PACKYARD_GATEWAY_WORKERS``; workers.py) this process forks them and each one serves.
The application's modules are imported at the top, before that fork, on purpose: the workers
then share them (workers.py has the measurements).
"""

from __future__ import annotations

import socket

import uvicorn

from packyard.common.logging import setup_logging
from packyard.common.spool_dirs import claim_spool_dir
from packyard.common.telemetry import setup_telemetry
from packyard.gateway.app import create_app, with_front_door
from packyard.gateway.request_context import FreshContext
from packyard.gateway.server_limits import RequestLimits, uvicorn_options
from packyard.gateway.settings import GatewaySettings
from packyard.gateway.trusted_proxies import TrustedProxies, parse_networks
from packyard.gateway.worker_shares import WorkerShares
from packyard.gateway.workers import Supervisor, name_instance, share_budgets, worker_count


def main() -> int:
    settings = GatewaySettings()
    setup_logging("gateway", settings.log_level, settings.log_format)
    # Spool files of uploads a crashed gateway was receiving are removed here. Workers share
    # this process's directory (their spool files have names of their own).
    settings.spool_dir = str(claim_spool_dir(settings.spool_dir, "gateway"))
    workers = worker_count(settings.gateway_workers)
    if workers == 1:
        serve(settings, None)
        return 0
    shares = WorkerShares.create(settings)  # before the fork: every worker shares them
    share_budgets(settings, workers)
    try:
        return Supervisor(
            workers, settings.host, settings.port, lambda s: serve(settings, s, shares)
        ).run()
    finally:
        shares.remove()


def serve(
    settings: GatewaySettings,
    sock: socket.socket | None,
    shares: WorkerShares | None = None,
) -> None:
    """One gateway process: on ``sock`` (a worker) or on the configured address."""
    # Telemetry's export threads are started here, in the process that serves (after a fork).
    if sock is not None:
        name_instance()
    setup_telemetry("gateway")
    # Outside the application's own error handling (see RequestLimits); the client as the
    # trusted proxies name it before anything looks at it (TrustedProxies); each request in a
    # context of its own (FreshContext). Outermost, unless requests are recorded: cached pages
    # whose answer none of those layers would change (front_door.py).
    app = with_front_door(
        FreshContext(
            TrustedProxies(
                RequestLimits(
                    create_app(settings, shares),
                    body_timeout=settings.body_timeout,
                    min_body_rate=settings.min_body_rate,
                    max_uploads=settings.max_uploads,
                ),
                parse_networks(settings.trusted_proxies),
            )
        )
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace),
        # Forwarded headers are read by TrustedProxies, with the rightmost untrusted hop.
        proxy_headers=False,
        **uvicorn_options(settings),
    )
    uvicorn.Server(config).run(sockets=None if sock is None else [sock])


if __name__ == "__main__":
    raise SystemExit(main())
