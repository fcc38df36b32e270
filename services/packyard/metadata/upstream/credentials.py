"""Connector credentials at rest: sealed with PACKYARD_SECRET_KEY (metadata/secret_keys.py)
before they reach the database, opened only for the connector service.

Rows written before encryption existed are sealed on the metadata service's first start
with a key (``seal_stored(rotate=False)``); ``packyard secrets rotate`` reseals every row
with the newest key (``rotate=True``), after which older keys may be dropped.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import asyncpg

from packyard.metadata.secret_keys import SecretKeys, is_encrypted
from packyard.metadata.upstream import repository as repo
from packyard.metadata.upstream.models import Connector, Credentials

log = logging.getLogger(__name__)


class CredentialSealer:
    def __init__(self, keys: SecretKeys) -> None:
        self._keys = keys

    def seal(self, credentials: Credentials | None) -> Credentials | None:
        if credentials is None:
            return None
        return Credentials(
            self._keys.encrypt(credentials.username), self._keys.encrypt(credentials.password)
        )

    def open(self, stored: Credentials) -> Credentials:
        return Credentials(self._keys.decrypt(stored.username), self._keys.decrypt(stored.password))

    def open_connector(self, connector: Connector) -> Connector:
        if connector.credentials is None:
            return connector
        return replace(connector, credentials=self.open(connector.credentials))


async def seal_stored(conn: asyncpg.Connection, keys: SecretKeys, *, rotate: bool) -> int:
    """Seal plaintext rows (and, with ``rotate``, reseal every row with the newest key) in one
    transaction; returns how many rows were rewritten. A row no key opens stops it all."""
    rewritten = 0
    async with conn.transaction():
        for connector_id, stored in await repo.all_credentials(conn):
            legacy = not (is_encrypted(stored.username) and is_encrypted(stored.password))
            if not (legacy or rotate):
                continue
            sealed = Credentials(keys.rotate(stored.username), keys.rotate(stored.password))
            await repo.rewrite_credentials(conn, connector_id, sealed)
            rewritten += 1
    return rewritten


async def count_plaintext(conn: asyncpg.Connection) -> int:
    return sum(
        1
        for _, stored in await repo.all_credentials(conn)
        if not (is_encrypted(stored.username) and is_encrypted(stored.password))
    )
