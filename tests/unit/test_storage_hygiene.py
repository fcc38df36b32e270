"""Pure pieces of garbage collection, scrubbing, quarantine and spool cleanup."""

from __future__ import annotations

import fcntl
from pathlib import Path

import grpc
from packyard.blob.digests import Digests
from packyard.blob.service import looks_altered
from packyard.blob.store import BlobCorrupted, ObjectState, StoredBlob
from packyard.common.errors import http_status_for
from packyard.common.spool_dirs import claim_spool_dir, release_spool_dir, remove_abandoned
from packyard.metadata.gc.blobs import Listed
from packyard.metadata.gc.collector import collectable, take_census
from packyard.metadata.gc.scrubber import pause_after

SHA = "a" * 64
MD5 = "0123456789abcdef0123456789abcdef"


def test_a_quarantined_blob_is_a_502_not_a_500() -> None:
    assert BlobCorrupted.code == "DATA_LOSS"
    assert http_status_for(grpc.StatusCode.DATA_LOSS) == 502


def _state(**changes: object) -> ObjectState:
    values: dict[str, object] = {
        "blob": StoredBlob(size=10, digests=Digests(sha256=SHA, md5=MD5)),
        "recorded_sha256": SHA,
        "recorded_size": 10,
        "etag": MD5,
        "modified": None,
    }
    values.update(changes)
    return ObjectState(**values)  # type: ignore[arg-type]


def test_an_object_rewritten_through_s3_looks_altered() -> None:
    assert not looks_altered(_state())
    assert not looks_altered(_state(etag="ffff-3"))  # multipart: the ETag is no md5
    assert looks_altered(_state(recorded_sha256=""))  # our metadata is gone
    assert looks_altered(_state(recorded_size=11))
    assert looks_altered(_state(etag="f" * 32))


def test_only_old_unreferenced_objects_are_collectable() -> None:
    listed = [Listed("r", 5, 100), Listed("young", 7, 3), Listed("old", 11, 100)]
    assert [b.sha256 for b in collectable(listed, {"r"}, grace=10)] == ["old"]
    census = take_census(listed, {"r"}, grace=10)
    assert (census.objects, census.bytes, census.referenced) == (3, 23, 1)
    assert (census.unreferenced, census.unreferenced_bytes, census.young) == (2, 18, 1)


def test_the_scrubber_waits_as_long_as_the_stricter_rate_requires() -> None:
    assert pause_after(10 * 1024 * 1024, 5 * 1024 * 1024, 0) == 2.0
    assert pause_after(1, 5 * 1024 * 1024, 30) == 2.0
    assert pause_after(123, 0, 0) == 0.0


def test_spool_directories_of_dead_processes_go_and_live_ones_stay(tmp_path: Path) -> None:
    mine = claim_spool_dir(str(tmp_path), "blob")
    (mine / "upload-in-flight").write_bytes(b"x")
    dead = mine.parent / "gateway-1-dead"
    dead.mkdir()
    (dead / "upload-left-behind").write_bytes(b"y" * 100)
    other = mine.parent / "gateway-2-alive"
    other.mkdir()
    with (other / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert remove_abandoned(mine.parent) == (1, 100)
        assert other.exists() and (mine / "upload-in-flight").exists() and not dead.exists()
    release_spool_dir(mine)
    assert not mine.exists()
