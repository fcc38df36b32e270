"""Shared fixtures. Engines start lazily: only tests that ask for them pay for them."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from minio import Minio
from packyard.engines import create_database, drop_database

from tests.fixtures.engines import Engines, start_engines
from tests.fixtures.tls import remove_session_tls

_TESTS = Path(__file__).parent

# Property tests check what is true of every input, not how fast: Hypothesis' default 200 ms
# deadline per example failed them on a loaded CI machine (timings belong to scripts/bench).
settings.register_profile("packyard", deadline=None)
settings.load_profile("packyard")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The directory is the layer (STYLE §10.18): mark each test so `-m "not e2e"` works.
    for item in items:
        layer = Path(str(item.fspath)).relative_to(_TESTS).parts[0]
        if layer in {"service", "e2e"}:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(scope="session", autouse=True)
def session_tls() -> Iterator[None]:
    """The session CA (tests/fixtures/tls.py) is made on first use and removed at the end."""
    yield
    remove_session_tls()


@pytest.fixture(scope="session")
def engines() -> Iterator[Engines]:
    """PostgreSQL, NATS and S3 for the whole session, from PACKYARD_* or embedded."""
    # Not under pytest's basetemp: pytest deletes all but the newest three basetemps, so a
    # concurrent session (another terminal, an editor) could remove a running server's files.
    data_dir = Path(tempfile.mkdtemp(prefix="packyard-engines-"))
    try:
        started = start_engines(data_dir)
        try:
            yield started
        finally:
            started.stop()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def database_url(engines: Engines) -> AsyncIterator[str]:
    """DSN of a new, empty database, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = await create_database(engines.database_url, name)
    try:
        yield url
    finally:
        await drop_database(engines.database_url, name)


def s3_client(engines: Engines) -> Minio:
    return Minio(
        engines.s3_endpoint,
        access_key=engines.s3_access_key,
        secret_key=engines.s3_secret_key,
        secure=engines.s3_secure,
    )


@pytest.fixture
def s3_bucket(engines: Engines) -> Iterator[str]:
    """Name of a new, empty bucket, emptied and removed after the test."""
    client = s3_client(engines)
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.make_bucket(name)
    try:
        yield name
    finally:
        for obj in client.list_objects(name, recursive=True):
            if obj.object_name is not None:
                client.remove_object(name, obj.object_name)
        client.remove_bucket(name)
