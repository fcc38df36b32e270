"""The engine fixtures give each test working, isolated PostgreSQL, NATS and S3."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
from minio import Minio
from minio.error import S3Error
from packyard.engines import create_database, drop_database

from tests.conftest import s3_client
from tests.fixtures.engines import Engines


async def test_database_is_new_and_empty(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SELECT current_database()") == _dbname(database_url)
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        assert await conn.fetchval(tables) == 0
    finally:
        await conn.close()


async def test_databases_are_isolated_and_dropped(database_url: str, engines: Engines) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TABLE t (x int)")
    finally:
        await conn.close()

    other_url = await create_database(engines.database_url, "test_isolation_other")
    other = await asyncpg.connect(other_url)
    try:
        assert await other.fetchval("SELECT to_regclass('public.t')") is None
    finally:
        await other.close()
    # Dropping works even while a client still holds a connection (WITH (FORCE)).
    lingering = await asyncpg.connect(other_url)
    await drop_database(engines.database_url, "test_isolation_other")
    assert lingering.is_closed() or not await _alive(lingering)

    admin = await asyncpg.connect(engines.database_url)
    try:
        names = {r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database")}
    finally:
        await admin.close()
    assert "test_isolation_other" not in names
    assert _dbname(database_url) in names


def _dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def _alive(conn: asyncpg.Connection) -> bool:
    try:
        await conn.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return False
    return True


async def test_nats_jetstream_answers(engines: Engines) -> None:
    nc = await nats.connect(engines.nats_url)
    try:
        js = nc.jetstream()
        info = await js.account_info()
        assert info.limits is not None
        await js.add_stream(name="ENGINESTEST", subjects=["enginestest.>"])
        ack = await js.publish("enginestest.hello", b"hi")
        assert ack.stream == "ENGINESTEST"
        await js.delete_stream("ENGINESTEST")
    finally:
        await nc.close()


def test_s3_put_and_get(engines: Engines, s3_bucket: str) -> None:
    client = s3_client(engines)
    client.put_object(s3_bucket, "a/b.txt", io.BytesIO(b"hello"), 5)
    reply = client.get_object(s3_bucket, "a/b.txt")
    try:
        assert reply.read() == b"hello"
    finally:
        reply.close()
        reply.release_conn()


def test_s3_rejects_wrong_keys(engines: Engines, s3_bucket: str) -> None:
    intruder = Minio(
        engines.s3_endpoint,
        access_key=engines.s3_access_key,
        secret_key="not-the-secret-key",
        secure=engines.s3_secure,
    )
    with pytest.raises(S3Error):
        intruder.list_objects(s3_bucket).__next__()
