"""SQL of the advisories domain. Functions take a connection; the service owns transactions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from packyard.metadata.advisories.models import PolicyAction, SupplyPolicy

UPSERT_ADVISORY = """
INSERT INTO advisories (id, aliases, modified, withdrawn, record, imported)
VALUES ($1, $2, $3, $4, $5::jsonb, now())
ON CONFLICT (id) DO UPDATE SET aliases = EXCLUDED.aliases, modified = EXCLUDED.modified,
    withdrawn = EXCLUDED.withdrawn, record = EXCLUDED.record, imported = now()
"""
DELETE_ADVISORY_PROJECTS = "DELETE FROM advisory_projects WHERE advisory_id = ANY($1::text[])"
INSERT_ADVISORY_PROJECT = """
INSERT INTO advisory_projects (project, advisory_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""
PROJECT_ADVISORIES = """
SELECT a.record FROM advisory_projects ap JOIN advisories a ON a.id = ap.advisory_id
WHERE ap.project = $1 AND NOT a.withdrawn
ORDER BY a.id
"""
UPSERT_SOURCE = """
INSERT INTO advisory_sources (source, etag, imported) VALUES ($1, $2, now())
ON CONFLICT (source) DO UPDATE SET etag = EXCLUDED.etag, imported = now()
"""
GET_SOURCE = "SELECT etag, imported FROM advisory_sources WHERE source = $1"
GET_POLICY = """
SELECT vulnerabilities, licenses, license_allow, license_deny, unknown_license,
       provenance_publishers
FROM feed_supply_policies WHERE feed = $1
"""
SET_POLICY = """
INSERT INTO feed_supply_policies
    (feed, vulnerabilities, licenses, license_allow, license_deny, unknown_license,
     provenance_publishers)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (feed) DO UPDATE SET vulnerabilities = EXCLUDED.vulnerabilities,
    licenses = EXCLUDED.licenses, license_allow = EXCLUDED.license_allow,
    license_deny = EXCLUDED.license_deny, unknown_license = EXCLUDED.unknown_license,
    provenance_publishers = EXCLUDED.provenance_publishers
"""
FEED_EXISTS = "SELECT 1 FROM feeds WHERE name = $1"
ALL_FEEDS = "SELECT name FROM feeds ORDER BY name"
RESOLVE_ADVISORY = (
    "SELECT id FROM advisories WHERE id = $1 OR $1 = ANY(aliases) ORDER BY id LIMIT 1"
)
UPSERT_EXCEPTION = """
INSERT INTO advisory_exceptions (feed, advisory_id, expires, reason, created_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (feed, advisory_id) DO UPDATE SET expires = EXCLUDED.expires,
    reason = EXCLUDED.reason, created_by = EXCLUDED.created_by, created = now()
"""
ACTIVE_EXCEPTIONS = """
SELECT advisory_id FROM advisory_exceptions WHERE feed = $1 AND expires > now()
"""


async def store_advisories(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[str, list[str], str, bool, dict[str, Any]]],
    projects: Sequence[tuple[str, str]],
) -> None:
    """Upsert advisories (id, aliases, modified, withdrawn, record) and their project index."""
    await conn.executemany(UPSERT_ADVISORY, [(i, a, m, w, json.dumps(r)) for i, a, m, w, r in rows])
    await conn.execute(DELETE_ADVISORY_PROJECTS, [row[0] for row in rows])
    await conn.executemany(INSERT_ADVISORY_PROJECT, projects)


async def project_records(conn: asyncpg.Connection, project: str) -> list[dict[str, Any]]:
    return [json.loads(row["record"]) for row in await conn.fetch(PROJECT_ADVISORIES, project)]


async def record_source(conn: asyncpg.Connection, source: str, etag: str) -> None:
    await conn.execute(UPSERT_SOURCE, source, etag)


async def get_source(conn: asyncpg.Connection, source: str) -> tuple[str, datetime] | None:
    row = await conn.fetchrow(GET_SOURCE, source)
    return None if row is None else (row["etag"], row["imported"])


async def get_policy(conn: asyncpg.Connection, feed: str) -> SupplyPolicy:
    row = await conn.fetchrow(GET_POLICY, feed)
    if row is None:
        return SupplyPolicy(feed)
    return SupplyPolicy(
        feed,
        vulnerabilities=PolicyAction(row["vulnerabilities"]),
        licenses=PolicyAction(row["licenses"]),
        license_allow=tuple(row["license_allow"]),
        license_deny=tuple(row["license_deny"]),
        unknown_license=PolicyAction(row["unknown_license"]),
        provenance_publishers=tuple(row["provenance_publishers"]),
    )


async def set_policy(conn: asyncpg.Connection, policy: SupplyPolicy) -> None:
    await conn.execute(
        SET_POLICY,
        policy.feed,
        policy.vulnerabilities.value,
        policy.licenses.value,
        list(policy.license_allow),
        list(policy.license_deny),
        policy.unknown_license.value,
        list(policy.provenance_publishers),
    )


async def feed_exists(conn: asyncpg.Connection, feed: str) -> bool:
    return await conn.fetchval(FEED_EXISTS, feed) is not None


async def all_feeds(conn: asyncpg.Connection) -> list[str]:
    return [row["name"] for row in await conn.fetch(ALL_FEEDS)]


async def resolve_advisory(conn: asyncpg.Connection, name: str) -> str | None:
    found: str | None = await conn.fetchval(RESOLVE_ADVISORY, name)
    return found


async def add_exception(
    conn: asyncpg.Connection, feed: str, advisory: str, expires: datetime, reason: str, by: str
) -> None:
    await conn.execute(UPSERT_EXCEPTION, feed, advisory, expires, reason, by)


async def active_exceptions(conn: asyncpg.Connection, feed: str) -> set[str]:
    return {row["advisory_id"] for row in await conn.fetch(ACTIVE_EXCEPTIONS, feed)}
