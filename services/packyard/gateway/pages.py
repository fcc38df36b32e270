"""Turning metadata replies into the protocol layer's page models (proto -> protocol)."""

from __future__ import annotations

from datetime import UTC, datetime

from packyard.protocol.names import NormalizedName
from packyard.protocol.simple import SimpleFile, SimpleIndexEntry, SimpleProjectPage
from packyard.rpc.v1 import common_pb2, metadata_pb2

_STATUS = {
    common_pb2.PROJECT_STATUS_UNSPECIFIED: "active",
    common_pb2.PROJECT_STATUS_ACTIVE: "active",
    common_pb2.PROJECT_STATUS_ARCHIVED: "archived",
    common_pb2.PROJECT_STATUS_QUARANTINED: "quarantined",
    common_pb2.PROJECT_STATUS_DEPRECATED: "deprecated",
}


def file_path(feed: str, project: str, filename: str) -> str:
    """The absolute path a file is served under."""
    return f"/pypi/{feed}/packages/{project}/{filename}"


def simple_file(info: common_pb2.FileInfo, url: str) -> SimpleFile:
    upload_time = (
        info.upload_time.ToDatetime(tzinfo=UTC) if info.HasField("upload_time") else None
    )
    yanked: bool | str = (info.yanked_reason or True) if info.yanked else False
    hashes = {"sha256": info.hashes.sha256} if info.hashes.sha256 else {}
    return SimpleFile(
        filename=info.filename,
        url=url,
        hashes=hashes,
        requires_python=info.requires_python or None,
        yanked=yanked,
        core_metadata_sha256=info.core_metadata_sha256 or None,
        size=info.size,
        upload_time=upload_time,
    )


def project_page(project: metadata_pb2.Project) -> SimpleProjectPage:
    # Relative to /pypi/FEED/simple/PROJECT/, so the page works behind any host name.
    files = [
        simple_file(f, f"../../packages/{project.name}/{f.filename}") for f in project.files
    ]
    return SimpleProjectPage(
        name=NormalizedName(project.name),
        files=files,
        versions=list(project.versions),
        status=_STATUS.get(project.status, "active"),
        status_reason=project.status_reason or None,
        serial=project.serial,
    )


def index_entries(summaries: list[metadata_pb2.ProjectSummary]) -> list[SimpleIndexEntry]:
    return [
        SimpleIndexEntry(
            name=NormalizedName(s.name), display_name=s.display_name or s.name, serial=s.serial
        )
        for s in summaries
    ]


def now_utc() -> datetime:
    return datetime.now(UTC)
