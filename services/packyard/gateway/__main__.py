"""`packyard gateway` / `python -m packyard.gateway`: serve HTTP until SIGTERM.

uvicorn stops accepting on SIGTERM and lets in-flight requests finish. Its timeouts and
bounds come from the settings (server_limits.py).
"""

from __future__ import annotations

import uvicorn

from packyard.common.logging import setup_logging
from packyard.common.spool_dirs import claim_spool_dir
from packyard.common.telemetry import setup_telemetry
from packyard.gateway.app import create_app
from packyard.gateway.request_context import FreshContext
from packyard.gateway.server_limits import RequestLimits, uvicorn_options
from packyard.gateway.settings import GatewaySettings
from packyard.gateway.trusted_proxies import TrustedProxies, parse_networks


def main() -> int:
    settings = GatewaySettings()
    setup_logging("gateway", settings.log_level, settings.log_format)
    # Spool files of uploads a crashed gateway was receiving are removed here.
    settings.spool_dir = str(claim_spool_dir(settings.spool_dir, "gateway"))
    setup_telemetry("gateway")
    # Outside the application's own error handling (see RequestLimits); the client as the
    # trusted proxies name it before anything looks at it (TrustedProxies); outermost, each
    # request in a context of its own (see FreshContext).
    app = FreshContext(
        TrustedProxies(
            RequestLimits(
                create_app(settings),
                body_timeout=settings.body_timeout,
                min_body_rate=settings.min_body_rate,
                max_uploads=settings.max_uploads,
            ),
            parse_networks(settings.trusted_proxies),
        )
    )
    uvicorn.run(
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
