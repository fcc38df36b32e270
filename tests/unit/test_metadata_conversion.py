"""Proto <-> domain conversion of the metadata servicer, and its settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from packyard.metadata.index import servicer
from packyard.metadata.index.models import CoreMetadata, FileRecord, Origin, Project, ProjectStatus
from packyard.metadata.settings import MetadataSettings
from packyard_rpc.v1 import common_pb2


def test_core_metadata_round_trips() -> None:
    pb = common_pb2.CoreMetadata(
        metadata_version="2.4",
        name="Demo",
        version="1.0",
        summary="s",
        requires_dist=["a>=1", "b; extra == 'x'"],
        classifiers=["Programming Language :: Python :: 3"],
        project_urls=["Homepage, https://example.com"],
        dynamic=["Requires-Dist"],
    )
    domain = servicer._metadata_from_pb(pb)
    assert domain.requires_dist == ("a>=1", "b; extra == 'x'")
    assert servicer._metadata_to_pb(domain) == pb


def test_file_conversion_keeps_hashes_time_and_origin() -> None:
    uploaded = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = FileRecord(
        feed="main",
        project="demo",
        version="1.0",
        filename="demo-1.0.tar.gz",
        size=10,
        sha256="a" * 64,
        md5="b" * 32,
        upload_time=uploaded,
        packagetype="sdist",
        origin=Origin.HOSTED,
    )
    pb = servicer._file_to_pb(record)
    assert pb.hashes.sha256 == "a" * 64 and pb.hashes.md5 == "b" * 32
    assert pb.upload_time.ToDatetime(tzinfo=UTC) == uploaded
    assert pb.origin == common_pb2.ORIGIN_HOSTED
    back = servicer._file_from_pb("main", pb)
    assert back.sha256 == record.sha256 and back.packagetype == "sdist"


@pytest.mark.parametrize("status", list(ProjectStatus))
def test_every_status_has_a_proto_value(status: ProjectStatus) -> None:
    project = Project("main", "demo", "Demo", status, "", 1, releases={"1.0": CoreMetadata()})
    pb = servicer._project_to_pb(project)
    assert servicer._STATUS_FROM_PB[pb.status] == status


def test_unspecified_status_means_active() -> None:
    assert servicer._STATUS_FROM_PB[common_pb2.PROJECT_STATUS_UNSPECIFIED] == ProjectStatus.ACTIVE


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKYARD_DATABASE_URL", "postgresql://u:pw@db:5432/packyard")
    monkeypatch.setenv("PACKYARD_LISTEN_ADDR", "0.0.0.0:6000")
    monkeypatch.setenv("PACKYARD_DB_POOL_MAX_SIZE", "20")
    settings = MetadataSettings()  # type: ignore[call-arg]
    assert settings.listen_addr == "0.0.0.0:6000"
    assert settings.db_pool_max_size == 20
    assert "pw" not in repr(settings)
    assert settings.database_url.get_secret_value().endswith("@db:5432/packyard")
