"""The provenance domain: a file's PEP 740 provenance is written once, right after the file,
by the caller that verified it (the gateway's upload path), and read by the simple API."""

from __future__ import annotations

import json

from packyard.common.errors import InvalidArgument, NotFound
from packyard.metadata import change_events, db
from packyard.metadata.provenance import repository as repo

MAX_PROVENANCE_BYTES = 256 * 1024


class ProvenanceService(db.PooledService):
    async def record(self, feed: str, filename: str, project: str, provenance: bytes) -> None:
        if len(provenance) > MAX_PROVENANCE_BYTES:
            raise InvalidArgument("Provenance too large.")
        try:
            document = json.loads(provenance)
        except ValueError as exc:
            raise InvalidArgument("Provenance is not JSON.") from exc
        async with self._connection() as conn, conn.transaction():
            if not await repo.insert(conn, feed, filename, json.dumps(document)):
                raise NotFound(f"File '{filename}' does not exist in feed '{feed}'.")
            # The project's pages gain a "provenance" key.
            await change_events.index_changed(conn, feed, project)

    async def get(self, feed: str, filename: str) -> bytes:
        async with self._connection() as conn:
            found = await repo.get(conn, feed, filename)
        if found is None:
            raise NotFound(f"File '{filename}' has no provenance.")
        return found.encode()

    async def filenames(self, feed: str, project: str) -> list[str]:
        async with self._connection() as conn:
            return await repo.filenames(conn, feed, project)
