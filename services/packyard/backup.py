"""`packyard backup DIR` and `packyard restore DIR`: the database and the bytes it names.

A backup is a directory:

    DIR/database.dump      pg_dump custom format (pg_restore reads it)
    DIR/blobs/<sha256>     every object the dump references, verified against its name
    DIR/manifest.json      what was taken, when, and any referenced object that was missing

Order makes a backup of a running deployment consistent. The dump is taken first, from an
exported snapshot, and the references are read from that same snapshot; only then are the
objects copied. An object the dump references was referenced at the snapshot, so the garbage
collector keeps it until the deletion retention (PACKYARD_GC_DELETED_RETENTION) has passed
after its file is deleted: the copy has that long to finish. Uploads after the snapshot are
not in the dump, and their objects are not copied.

Restore goes the other way: objects first, then the database, so no restored row ever names
a missing object. It needs an empty database (a new data directory).

Engines: with PACKYARD_DATABASE_URL set, the database and bucket come from the PACKYARD_*
settings (external engines, or any running deployment); otherwise the embedded engines of a
`packyard up` data directory are started for the duration (the stack must be stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from packyard.blob.digests import Hasher, checked_sha256
from packyard.blob.settings import BlobSettings
from packyard.blob.store import BlobCorrupted, BlobStore, StoredBlob
from packyard.common.errors import NotFound
from packyard.common.tls import ensure_material
from packyard.common.tls_files import TlsFiles
from packyard.engines import PostgresEngine, S3Engine
from packyard.engines.postgres import client_binary
from packyard.metadata.gc.references import referenced_digests

DUMP_NAME = "database.dump"
BLOBS_DIR = "blobs"
MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
# Deleted files' bytes are taken as long as their rows are kept: a restore keeps them too.
_KEEP_DELETED = 100 * 365 * 24 * 3600.0
_CHUNK = 1024 * 1024


def tls_settings(files: TlsFiles) -> dict[str, str]:
    """Settings keyword arguments that make a process present ``files``."""
    return {"tls_ca": str(files.ca), "tls_cert": str(files.cert), "tls_key": str(files.key)}


class BackupError(Exception):
    """A one-line reason for the user."""


@dataclass(frozen=True)
class Target:
    database_url: str
    blob_settings: BlobSettings
    # The PACKYARD_TLS_* settings a metadata-side gRPC caller presents (the embedded stack's
    # own CA; from the environment otherwise).
    metadata_tls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupReport:
    objects: int
    bytes: int
    missing: list[str]


@contextlib.contextmanager
def _embedded(data_dir: Path) -> Iterator[Target]:
    """Start the PostgreSQL and S3 engines of a stopped `packyard up` data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(
                f"data directory {data_dir} is in use by a running `packyard up`: stop it, or "
                "set PACKYARD_DATABASE_URL and PACKYARD_S3_* to back up the running engines"
            ) from None
        postgres = PostgresEngine(data_dir / "postgres")
        s3 = S3Engine(data_dir / "s3")
        # The stack's own CA (`packyard up` made it; made here if it never ran).
        tls = ensure_material(data_dir / "tls", ["blob", "metadata"])
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(postgres.start), pool.submit(s3.start)]
            try:
                for future in futures:
                    future.result()
                yield Target(
                    database_url=postgres.url,
                    blob_settings=BlobSettings(
                        s3_endpoint=s3.endpoint,
                        s3_access_key=s3.access_key,
                        s3_secret_key=s3.secret_key,  # type: ignore[arg-type]
                        s3_secure=False,
                        s3_bucket=os.environ.get("PACKYARD_S3_BUCKET", "packyard"),
                        **tls_settings(tls["blob"]),  # type: ignore[arg-type]
                    ),
                    metadata_tls=tls_settings(tls["metadata"]),
                )
            finally:
                for engine in (s3, postgres):
                    with contextlib.suppress(Exception):
                        engine.stop()


@contextlib.contextmanager
def open_target(data_dir: Path) -> Iterator[Target]:
    url = os.environ.get("PACKYARD_DATABASE_URL", "")
    if url:
        yield Target(database_url=url, blob_settings=BlobSettings())
        return
    with _embedded(data_dir) as target:
        yield target


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(argv[0]).name} failed: {lines[-1] if lines else done.returncode}")


@contextlib.asynccontextmanager
async def _snapshot(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn, await conn.fetchval("SELECT pg_export_snapshot()")
    finally:
        await conn.close()


async def _copy_out(store: BlobStore, sha256: str, path: Path) -> int:
    """Write the object to ``path``, verified against its name; its size."""
    partial = path.with_suffix(".partial")
    size = 0
    with partial.open("wb") as out:
        async for chunk in store.read(sha256, 0, 0, _CHUNK, verify=True):
            await asyncio.to_thread(out.write, chunk)
            size += len(chunk)
    partial.rename(path)
    return size


def _new_backup_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty")
    blobs_dir = directory / BLOBS_DIR
    blobs_dir.mkdir()
    return blobs_dir


async def backup(target: Target, directory: Path) -> BackupReport:
    blobs_dir = _new_backup_dir(directory)
    async with _snapshot(target.database_url) as (conn, snapshot):
        dump = [
            client_binary("pg_dump"),
            f"--dbname={target.database_url}",
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={directory / DUMP_NAME}",
        ]
        await asyncio.to_thread(_run, dump)
        referenced = sorted(await referenced_digests(conn, _KEEP_DELETED))
    # The snapshot's transaction is over: copying can take long, and holding it would keep
    # PostgreSQL from vacuuming meanwhile.
    store = BlobStore.from_settings(target.blob_settings)
    missing: list[str] = []
    total = 0
    for sha256 in referenced:
        try:
            total += await _copy_out(store, sha256, blobs_dir / sha256)
        except (NotFound, BlobCorrupted):
            missing.append(sha256)
    manifest = {
        "format": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(),
        "database": DUMP_NAME,
        "objects": len(referenced) - len(missing),
        "bytes": total,
        "missing": missing,
    }
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    return BackupReport(objects=len(referenced) - len(missing), bytes=total, missing=missing)


def _digests_of_file(path: Path) -> StoredBlob:
    hasher = Hasher()
    size = 0
    with path.open("rb") as data:
        while chunk := data.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return StoredBlob(size=size, digests=hasher.digests())


async def restore(target: Target, directory: Path) -> BackupReport:
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.exists():
        raise BackupError(f"{directory} holds no backup ({MANIFEST_NAME} is missing)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    conn = await asyncpg.connect(target.database_url)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    if tables:
        raise BackupError("the database is not empty: restore into a new data directory")
    store = BlobStore.from_settings(target.blob_settings)
    await store.ensure_bucket()
    total = count = 0
    for path in sorted((directory / BLOBS_DIR).iterdir()):
        blob = await asyncio.to_thread(_digests_of_file, path)
        if blob.digests.sha256 != checked_sha256(path.name):
            raise BackupError(f"{path} does not hash to its name: the backup is damaged")
        await store.put_new(blob, path)
        total += blob.size
        count += 1
    restore_argv = [
        client_binary("pg_restore"),
        f"--dbname={target.database_url}",
        "--no-owner",
        "--no-acl",
        "--single-transaction",
        "--exit-on-error",
        str(directory / DUMP_NAME),
    ]
    await asyncio.to_thread(_run, restore_argv)
    return BackupReport(objects=count, bytes=total, missing=list(manifest.get("missing", [])))
