"""Ordered SQL migrations: ``migrations/NNNN_name.sql`` applied once each, in order.

Each file runs in its own transaction and is recorded in ``schema_migrations``. The whole run
holds a session-level ``pg_advisory_lock``, so replicas that start at the same moment apply
every file exactly once. A database that has migrations this code does not know is refused
(it was migrated by a newer release; running old code against it could corrupt data).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from packyard.common.errors import one_line
from packyard.common.settings import redact_url
from packyard.metadata.settings import load_settings

log = logging.getLogger(__name__)

# Any constant works as long as every replica uses the same one; this is "packyard" in ASCII.
ADVISORY_LOCK_KEY = 0x7061636B79617264
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY,
    applied timestamptz NOT NULL DEFAULT now()
)
"""
_APPLIED = "SELECT version FROM schema_migrations ORDER BY version"
_RECORD = "INSERT INTO schema_migrations (version) VALUES ($1)"


# What a run against a database that is unreachable or refuses us raises: logged, exit 1.
DATABASE_FAILED = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def failure_fields(database_url: str, exc: BaseException) -> dict[str, str]:
    """Log fields of a failed database run: where (without credentials) and what, on one line."""
    return {"database": redact_url(database_url), "error": one_line(f"{type(exc).__name__}: {exc}")}


class UnsupportedSchemaError(RuntimeError):
    """The database was migrated by newer code than this."""


@dataclass(frozen=True)
class Migration:
    version: str  # the file name without ".sql", e.g. "0001_init"
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped with this code, in order."""
    folder = resources.files("packyard.metadata") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            if not _NAME.match(entry.name):
                raise ValueError(f"badly named migration file: {entry.name}")
            found.append(Migration(entry.name.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    numbers = [m.version[:4] for m in found]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two migrations share a number: {numbers}")
    return found


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations on ``conn``; returns the versions applied now."""
    migrations = load_migrations()
    known = {m.version for m in migrations}
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        applied = {row["version"] for row in await conn.fetch(_APPLIED)}
        unknown = sorted(applied - known)
        if unknown:
            raise UnsupportedSchemaError(
                f"the database has migrations this code does not know ({', '.join(unknown)}); "
                "it was migrated by a newer Packyard"
            )
        done: list[str] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(_RECORD, migration.version)
            log.info("migration.applied", extra={"version": migration.version})
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def migrate(database_url: str) -> list[str]:
    """Connect, apply pending migrations, disconnect. Safe to run from several processes."""
    conn = await asyncpg.connect(database_url)
    try:
        return await apply_migrations(conn)
    finally:
        await conn.close()


def main() -> int:
    """``packyard migrate``: apply migrations to PACKYARD_DATABASE_URL."""
    # The metadata service's settings: the migration reads PACKYARD_DATABASE_URL and the log
    # settings, and ignores the rest.
    settings = load_settings("migrate", log)
    if settings is None:
        return 2
    url = settings.database_url.get_secret_value()
    try:
        applied = asyncio.run(migrate(url))
    except UnsupportedSchemaError as exc:
        log.error("migrate.unsupported_schema", extra={"error": str(exc)})
        return 1
    except DATABASE_FAILED as exc:
        log.error("migrate.failed", extra=failure_fields(url, exc))
        return 1
    log.info("migrate.done", extra={"database": redact_url(url), "applied": applied})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
