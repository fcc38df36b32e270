"""A read from an object's first byte is one S3 GET: the GET's headers carry the same record
of the object (size, our digests, ETag) as the HEAD that used to go before it, so the tamper
check (``looks_altered``) gives the same answer without that HEAD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from packyard.blob.digests import digests_of
from packyard.blob.service import BlobService, looks_altered
from packyard.blob.store import BlobStore, ObjectState, RangeUnanswered, StoredBlob

from tests.service.test_blob import settings_for


def _record(state: ObjectState) -> tuple[Any, ...]:
    return (state.blob, state.recorded_sha256, state.recorded_size, state.etag, state.modified)


async def _stored(store: BlobStore, data: bytes) -> str:
    await store.ensure_bucket()
    blob = StoredBlob(size=len(data), digests=digests_of(data))
    await store.put_new(blob, data)
    return blob.digests.sha256


@pytest.mark.parametrize("length", [0, 10, 10_000])
async def test_a_gets_record_is_the_heads(
    engines: Any, s3_bucket: str, tmp_path: Path, length: int
) -> None:
    store = BlobStore.from_settings(settings_for(engines, s3_bucket, tmp_path))
    data = b"wheel bytes " * 300
    sha256 = await _stored(store, data)
    head = await store.state(sha256)
    opened = await store.open_read(sha256, length)
    assert head is not None and opened is not None
    state, response = opened
    await store.release(response)
    assert _record(state) == _record(head)
    assert state.blob.size == len(data) and not looks_altered(state)


async def test_a_missing_object_opens_to_nothing_and_reads_as_not_found(
    engines: Any, s3_bucket: str, tmp_path: Path
) -> None:
    store = BlobStore.from_settings(settings_for(engines, s3_bucket, tmp_path))
    await store.ensure_bucket()
    absent = "0" * 64
    assert await store.open_read(absent, 0) is None
    service = BlobService(store, spool_dir=str(tmp_path), chunk_size=1024)
    with pytest.raises(Exception, match="not found"):
        async for _ in service.read(absent, 0, 100):
            pass


async def test_an_empty_object_reads_as_empty_with_or_without_a_length(
    engines: Any, s3_bucket: str, tmp_path: Path
) -> None:
    store = BlobStore.from_settings(settings_for(engines, s3_bucket, tmp_path))
    sha256 = await _stored(store, b"")
    with pytest.raises(RangeUnanswered):
        await store.open_read(sha256, 100)
    service = BlobService(store, spool_dir=str(tmp_path), chunk_size=1024)
    for length in (0, 100):
        assert [c async for c in service.read(sha256, 0, length)] == []
