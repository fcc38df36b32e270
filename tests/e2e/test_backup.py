"""`packyard backup` → a new data directory → `packyard restore`: the restored stack serves
byte-identical files, and its feeds and keys work. Then a blob altered in storage is
answered 502 by the gateway, full GET and range GET alike, and never served."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import packyard
from minio import Minio
from packyard.up import Stack, StackError

from tests.fixtures.dists import build_wheel
from tests.fixtures.uploads import post_file, upload_fields

_SOURCE_ROOT = str(Path(packyard.__file__).resolve().parent.parent)
_EMBEDDED = {"PACKYARD_DATABASE_URL": "", "PACKYARD_NATS_URL": "", "PACKYARD_S3_ENDPOINT": ""}


def _cli(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_EMBEDDED, "PYTHONPATH": _SOURCE_ROOT, **extra_env}
    return subprocess.run(
        [sys.executable, "-m", "packyard.cli", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


async def _start(stack: Stack) -> None:
    try:
        await stack.start()
    except StackError as exc:
        raise AssertionError("\n".join([str(exc), *exc.log_tail])) from exc


def _s3(stack: Stack) -> Minio:
    return Minio(
        stack.env["PACKYARD_S3_ENDPOINT"],
        access_key=stack.env["PACKYARD_S3_ACCESS_KEY"],
        secret_key=stack.env["PACKYARD_S3_SECRET_KEY"],
        secure=False,
    )


async def test_backup_then_restore_into_a_new_data_dir_serves_identical_files() -> None:
    with tempfile.TemporaryDirectory(prefix="packyard-backup-") as tmp:
        await _backup_and_restore(Path(tmp))


async def _backup_and_restore(tmp: Path) -> None:
    wheels = [build_wheel(tmp, "backed-up", f"1.{n}", payload="x" * (n * 50_000)) for n in range(3)]
    first = Stack(tmp / "data-a", env=_EMBEDDED, durable=False)
    await _start(first)
    try:
        key = str(first.admin_key)
        async with httpx.AsyncClient(auth=("api", key), timeout=60) as client:
            created = await client.post(
                f"{first.base_url}/api/v1/feeds", json={"name": "private", "anonymous_read": False}
            )
            assert created.status_code == 201, created.text
        for n, wheel in enumerate(wheels):
            feed = "private" if n == 0 else "main"
            fields = upload_fields(wheel, "backed-up", f"1.{n}")
            reply = await asyncio.to_thread(post_file, first, wheel, fields, feed=feed)
            assert reply.status_code == 200, reply.text
        # An object no row references (the loser of an upload race, say).
        orphan = hashlib.sha256(b"orphan").hexdigest()
        orphan_key = f"sha256/{orphan[:2]}/{orphan[2:4]}/{orphan}"
        await asyncio.to_thread(_s3(first).put_object, "packyard", orphan_key, io.BytesIO(b"o"), 1)
    finally:
        await asyncio.to_thread(first.stop)

    data_a = str(first.data_dir)
    plan = await asyncio.to_thread(_cli, "gc", "--dry-run", "--data-dir", data_a)
    assert plan.returncode == 0, plan.stderr
    assert "referenced=6 unreferenced=1" in plan.stdout and "would remove 0 objects" in plan.stdout
    collected = await asyncio.to_thread(_cli, "gc", "--data-dir", data_a, PACKYARD_GC_GRACE="0")
    print(collected.stdout)
    assert collected.returncode == 0, collected.stderr
    assert f"removed 1 objects:\n  {orphan}" in collected.stdout
    assert "after:  objects=6 bytes=" in collected.stdout and "unreferenced=0" in collected.stdout

    backed_up = await asyncio.to_thread(
        _cli, "backup", str(tmp / "bk"), "--data-dir", str(first.data_dir)
    )
    assert backed_up.returncode == 0, backed_up.stderr
    # Three wheels and their three METADATA objects.
    assert "and 6 objects" in backed_up.stdout, backed_up.stdout
    restored = await asyncio.to_thread(
        _cli, "restore", str(tmp / "bk"), "--data-dir", str(tmp / "data-b")
    )
    assert restored.returncode == 0, restored.stderr
    again = await asyncio.to_thread(
        _cli, "restore", str(tmp / "bk"), "--data-dir", str(tmp / "data-b")
    )
    assert again.returncode == 1 and "not empty" in again.stderr

    second = Stack(tmp / "data-b", env=_EMBEDDED, durable=False)
    await _start(second)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            for n, wheel in enumerate(wheels):
                feed = "private" if n == 0 else "main"
                url = f"{second.base_url}/pypi/{feed}/packages/backed-up/{wheel.name}"
                if feed == "private":
                    assert (await client.get(url)).status_code == 401
                got = await client.get(url, auth=("api", key))  # the old key works
                assert got.status_code == 200, got.text
                assert got.content == wheel.read_bytes()
            await _altered_blob_is_a_502(second, client, wheels[1])
    finally:
        await asyncio.to_thread(second.stop)


async def _altered_blob_is_a_502(stack: Stack, client: httpx.AsyncClient, wheel: Path) -> None:
    data = wheel.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"
    rotten = bytearray(data)
    rotten[len(rotten) // 2] ^= 0xFF
    s3 = _s3(stack)
    await asyncio.to_thread(s3.put_object, "packyard", key, io.BytesIO(bytes(rotten)), len(rotten))
    url = f"{stack.base_url}/pypi/main/packages/backed-up/{wheel.name}"
    for headers in ({"Range": "bytes=0-99"}, {}, {"Range": "bytes=100-"}):
        reply = await client.get(url, headers=headers)
        if not headers and reply.status_code == 200:
            # The gateway worker that served this wheel whole above kept a copy whose bytes
            # hashed to the file's sha256 (gateway/blob_cache.py): it serves those, never the
            # altered object. A worker without a copy asks the blob service: 502.
            assert reply.content == data
            continue
        assert reply.status_code == 502, (headers, reply.status_code)
        assert "failed its integrity check" in reply.text
        assert reply.text.count("\n") <= 1
        assert bytes(rotten[:100]) not in reply.content
