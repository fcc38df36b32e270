"""``python -m packyard.metadata`` / ``packyard metadata``: migrate, then serve until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from packyard.common.errors import AlreadyExists, InvalidArgument
from packyard.common.telemetry import setup_telemetry
from packyard.metadata.migrate import (
    DATABASE_FAILED,
    UnsupportedSchemaError,
    failure_fields,
    migrate,
)
from packyard.metadata.server import serve
from packyard.metadata.settings import MetadataSettings, load_settings

log = logging.getLogger("packyard.metadata")


async def _run(settings: MetadataSettings) -> None:
    applied = await migrate(settings.database_url.get_secret_value())
    if applied:
        log.info("metadata.migrated", extra={"applied": applied})
    await serve(settings)


def main() -> int:
    settings = load_settings("metadata", log)
    if settings is None:
        return 2
    setup_telemetry("metadata")
    try:
        asyncio.run(_run(settings))
    except (InvalidArgument, AlreadyExists) as exc:
        # PACKYARD_ADMIN_KEY malformed, or its prefix taken by another key.
        log.error("metadata.bad_admin_key", extra={"error": exc.message})
        return 2
    except UnsupportedSchemaError as exc:
        log.error("metadata.unsupported_schema", extra={"error": str(exc)})
        return 1
    except DATABASE_FAILED as exc:
        url = settings.database_url.get_secret_value()
        log.error("metadata.database_failed", extra=failure_fields(url, exc))
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
