"""Which stored objects the database references, and the audit rows the jobs write."""

from __future__ import annotations

import asyncpg
from packyard_rpc.v1 import common_pb2

# Hosted files and their PEP 658 metadata, backfilled upstream metadata, and the bytes of
# files deleted less than $1 seconds ago (their retention window).
SELECT_REFERENCED = """
SELECT sha256 FROM files
UNION SELECT core_metadata_sha256 FROM files WHERE core_metadata_sha256 <> ''
UNION SELECT sha256 FROM upstream_files
UNION SELECT sha256 FROM upstream_backfilled_metadata
UNION SELECT sha256 FROM deleted_file_blobs
    WHERE deleted > now() - make_interval(secs => $1)
UNION SELECT core_metadata_sha256 FROM deleted_file_blobs
    WHERE core_metadata_sha256 <> '' AND deleted > now() - make_interval(secs => $1)
"""
# A cached upstream file's METADATA object is named only inside its serialized FileInfo.
SELECT_CACHED_INFO = "SELECT info FROM upstream_files"
# Deleted-file rows past their retention, once the collector has had its chance at them.
PRUNE_DELETED = "DELETE FROM deleted_file_blobs WHERE deleted <= now() - make_interval(secs => $1)"

INSERT_AUDIT = """
INSERT INTO audit_log (actor, actor_key, client_address, action, feed, target, detail)
VALUES ($1, '', '', $2, '', $3, $4)
"""

SELECT_AUDITED_QUARANTINES = "SELECT target FROM audit_log WHERE action = 'blob.quarantined'"

TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"


async def referenced_digests(conn: asyncpg.Connection, retention_seconds: float) -> set[str]:
    """sha256 of every object a row names (within ``retention_seconds`` for deleted files)."""
    found = {row[0] for row in await conn.fetch(SELECT_REFERENCED, float(retention_seconds))}
    for row in await conn.fetch(SELECT_CACHED_INFO):
        info = common_pb2.FileInfo.FromString(row[0])
        if info.core_metadata_sha256:
            found.add(info.core_metadata_sha256)
    return found


async def prune_deleted(conn: asyncpg.Connection, retention_seconds: float) -> None:
    await conn.execute(PRUNE_DELETED, float(retention_seconds))


async def try_lock(conn: asyncpg.Connection, key: int) -> bool:
    """Take a transaction-scoped advisory lock if free (the caller holds the transaction
    open for the whole run; it is released at commit, or when the connection dies)."""
    return bool(await conn.fetchval(TRY_LOCK, key))


async def insert_audit(
    conn: asyncpg.Connection, actor: str, action: str, target: str, detail: str
) -> None:
    await conn.execute(INSERT_AUDIT, actor, action, target, detail)


async def audited_quarantines(conn: asyncpg.Connection) -> set[str]:
    return {row[0] for row in await conn.fetch(SELECT_AUDITED_QUARANTINES)}
