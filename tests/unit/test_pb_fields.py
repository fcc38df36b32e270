"""The field-copying converter used at the gRPC edges: what it copies, and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from packyard.common.pb_fields import from_pb, to_pb
from packyard_rpc.v1 import common_pb2, metadata_pb2


@dataclass(frozen=True)
class _File:
    feed: str
    filename: str
    size: int = 0
    upload_time: datetime | None = None
    sha256: str = ""  # not a FileInfo field: sits under hashes
    note: str = ""  # on this side only


@dataclass(frozen=True)
class _Summary:
    name: str
    status: str = ""


def test_copies_shared_fields_and_overrides() -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    record = _File("main", "a-1.0.tar.gz", 12, when, sha256="ab", note="kept here")
    pb = to_pb(common_pb2.FileInfo, record, hashes=to_pb(common_pb2.Hashes, record))
    assert (pb.feed, pb.filename, pb.size, pb.hashes.sha256) == ("main", "a-1.0.tar.gz", 12, "ab")
    assert pb.upload_time.ToDatetime(tzinfo=UTC) == when
    assert from_pb(_File, pb, sha256=pb.hashes.sha256) == _File(
        "main", "a-1.0.tar.gz", 12, when, sha256="ab"
    )


def test_none_and_unset_timestamps_are_each_other() -> None:
    pb = to_pb(common_pb2.FileInfo, _File("main", "a.whl"))
    assert not pb.HasField("upload_time")
    assert from_pb(_File, pb).upload_time is None


def test_timestamps_keep_the_instant() -> None:
    aware = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    naive_utc = datetime(2024, 5, 1, 12, 0)
    for value in (aware, naive_utc):
        pb = to_pb(common_pb2.FileInfo, _File("main", "a.whl", upload_time=value))
        assert from_pb(_File, pb).upload_time == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_repeated_fields_become_tuples() -> None:
    @dataclass(frozen=True)
    class _Metadata:
        name: str
        classifiers: tuple[str, ...] = ()

    pb = to_pb(common_pb2.CoreMetadata, _Metadata("a", ("A :: B", "C :: D")))
    assert from_pb(_Metadata, pb) == _Metadata("a", ("A :: B", "C :: D"))


def test_an_enum_must_be_mapped() -> None:
    with pytest.raises(TypeError, match="status"):
        to_pb(metadata_pb2.ProjectSummary, _Summary("a", "active"))
    pb = metadata_pb2.ProjectSummary(name="a", status=common_pb2.PROJECT_STATUS_ARCHIVED)
    with pytest.raises(TypeError, match="status"):
        from_pb(_Summary, pb)
    assert from_pb(_Summary, pb, status="archived") == _Summary("a", "archived")


def test_a_nested_message_must_be_converted() -> None:
    @dataclass(frozen=True)
    class _WithHashes:
        filename: str
        hashes: object = None

    with pytest.raises(TypeError, match="hashes"):
        from_pb(_WithHashes, common_pb2.FileInfo(filename="a.whl"))
