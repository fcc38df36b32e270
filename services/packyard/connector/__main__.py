"""`packyard connector` / `python -m packyard.connector`: serve until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from packyard.common.grpc import wait_for_termination_signal
from packyard.common.logging import setup_logging
from packyard.common.telemetry import setup_telemetry
from packyard.connector.server import running_server
from packyard.connector.settings import ConnectorSettings

log = logging.getLogger(__name__)


async def _serve(settings: ConnectorSettings) -> None:
    async with running_server(settings) as port:
        log.info("connector.serving", extra={"port": port})
        await wait_for_termination_signal()
        log.info("connector.stopping")


def main() -> int:
    settings = ConnectorSettings()
    setup_logging("connector", settings.log_level, settings.log_format)
    setup_telemetry("connector")
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
