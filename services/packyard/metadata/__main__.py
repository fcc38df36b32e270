"""``python -m packyard.metadata`` / ``packyard metadata``: migrate, then serve until SIGTERM."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from pydantic import ValidationError

from packyard.common.errors import AlreadyExists, InvalidArgument, one_line
from packyard.common.logging import setup_logging
from packyard.common.settings import redact_url
from packyard.common.telemetry import setup_telemetry
from packyard.metadata.migrate import UnsupportedSchemaError, migrate
from packyard.metadata.server import serve
from packyard.metadata.settings import MetadataSettings, settings_errors

log = logging.getLogger("packyard.metadata")


async def _run(settings: MetadataSettings) -> None:
    applied = await migrate(settings.database_url.get_secret_value())
    if applied:
        log.info("metadata.migrated", extra={"applied": applied})
    await serve(settings)


def main() -> int:
    try:
        settings = MetadataSettings()  # type: ignore[call-arg]
    except ValidationError as exc:
        setup_logging("metadata")
        log.error("metadata.bad_settings", extra={"error": settings_errors(exc)})
        return 2
    setup_logging("metadata", settings.log_level, settings.log_format)
    setup_telemetry("metadata")
    database = redact_url(settings.database_url.get_secret_value())
    try:
        asyncio.run(_run(settings))
    except (InvalidArgument, AlreadyExists) as exc:
        # PACKYARD_ADMIN_KEY malformed, or its prefix taken by another key.
        log.error("metadata.bad_admin_key", extra={"error": exc.message})
        return 2
    except UnsupportedSchemaError as exc:
        log.error("metadata.unsupported_schema", extra={"error": str(exc)})
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.error(
            "metadata.database_failed",
            extra={"database": database, "error": one_line(f"{type(exc).__name__}: {exc}")},
        )
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
