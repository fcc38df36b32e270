"""`packyard blob` / `python -m packyard.blob`: serve until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from packyard.blob.server import running_server
from packyard.blob.settings import BlobSettings
from packyard.common.errors import Unavailable
from packyard.common.grpc import wait_for_termination_signal
from packyard.common.logging import setup_logging
from packyard.common.telemetry import setup_telemetry

log = logging.getLogger(__name__)


async def _serve(settings: BlobSettings) -> None:
    # Every S3 call runs in the default executor, and an upload holds a thread for its whole
    # transfer; the stock pool (cores + 4 threads) would let a few large uploads stall every
    # other request.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=settings.io_threads, thread_name_prefix="blob-io")
    )
    async with running_server(settings) as port:
        log.info(
            "blob.serving",
            extra={"port": port, "s3_endpoint": settings.s3_endpoint, "bucket": settings.s3_bucket},
        )
        await wait_for_termination_signal()
        log.info("blob.stopping")


def main() -> int:
    settings = BlobSettings()
    setup_logging("blob", settings.log_level, settings.log_format)
    setup_telemetry("blob")
    try:
        asyncio.run(_serve(settings))
    except Unavailable:
        # The bucket could not be checked or created at startup; the store logged why.
        log.error("blob.storage_check_failed", extra={"s3_endpoint": settings.s3_endpoint})
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
