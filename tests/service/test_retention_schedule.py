"""Scheduled retention (issue 16): with PACKYARD_RETENTION_INTERVAL set, the metadata service
prunes a feed with rules by itself, no `packyard retention run`; a feed without rules is left
alone, and every removal is audited as the schedule's."""

from __future__ import annotations

import asyncpg
import pytest
from packyard.metadata.migrate import migrate
from packyard.metadata.server import running_server
from packyard.metadata.settings import MetadataSettings
from pydantic import SecretStr

from tests.fixtures.feed_rows import insert_versions
from tests.fixtures.polling import eventually
from tests.fixtures.tls import tls_settings

pytestmark = pytest.mark.timeout(120)


async def _versions(conn: asyncpg.Connection, feed: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT r.version FROM files f JOIN releases r ON r.id = f.release_id "
        "WHERE f.feed = $1 ORDER BY f.upload_time",
        feed,
    )
    return [row["version"] for row in rows]


async def test_the_schedule_prunes_a_feed_with_rules(database_url: str) -> None:
    await migrate(database_url)
    await insert_versions(database_url, "ci", "pruned", 5)
    await insert_versions(database_url, "untouched", "kept", 5)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("INSERT INTO retention_rules (feed, keep_latest) VALUES ('ci', 2)")
        settings = MetadataSettings(  # type: ignore[call-arg]
            database_url=SecretStr(database_url),
            listen_addr="127.0.0.1:0",
            shutdown_grace=0.5,
            nats_url="",
            retention_interval=0.2,
            **tls_settings("metadata"),
        )
        async with running_server(settings):

            async def pruned() -> bool:
                return await _versions(conn, "ci") == ["1.0.4", "1.0.5"]

            await eventually(pruned, what="the schedule keeps the latest 2 versions of 'ci'")
        assert await _versions(conn, "untouched") == [f"1.0.{n}" for n in range(1, 6)]
        audit = await conn.fetch(
            "SELECT actor, target FROM audit_log WHERE action = 'retention.removed' ORDER BY target"
        )
        assert [(row["actor"], row["target"]) for row in audit] == [
            ("retention-schedule", f"pruned==1.0.{n}") for n in (1, 2, 3)
        ]
    finally:
        await conn.close()
