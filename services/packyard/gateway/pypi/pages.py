"""Turning metadata replies into the protocol layer's page models (proto -> protocol)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC

from packyard_rpc.v1 import common_pb2, metadata_pb2

from packyard.protocol.json_api import JsonApiFile, JsonApiRelease
from packyard.protocol.names import NormalizedName
from packyard.protocol.simple import SimpleFile, SimpleIndexEntry, SimpleProjectPage

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
    upload_time = info.upload_time.ToDatetime(tzinfo=UTC) if info.HasField("upload_time") else None
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
        # An upstream wheel not cached yet: its METADATA is read on the first .metadata request.
        core_metadata_available=(
            info.origin == common_pb2.ORIGIN_UPSTREAM
            and bool(info.upstream_url)
            and info.filename.endswith(".whl")
        ),
    )


def project_page(
    project: metadata_pb2.Project, provenance: Mapping[str, str] | None = None
) -> SimpleProjectPage:
    """``provenance`` maps a filename to its PEP 740 provenance URL."""
    # Relative to /pypi/FEED/simple/PROJECT/, so the page works behind any host name.
    files = [
        replace(
            simple_file(f, f"../../packages/{project.name}/{f.filename}"),
            provenance=(provenance or {}).get(f.filename),
        )
        for f in project.files
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


def _project_urls(values: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for value in values:
        label, sep, url = value.partition(",")
        if sep:
            urls[label.strip()] = url.strip()
    return urls


def json_api_releases(project: metadata_pb2.Project, base_url: str) -> list[JsonApiRelease]:
    """Releases of a project with absolute file URLs (PyPI's JSON API uses absolute ones)."""
    by_version: dict[str, list[JsonApiFile]] = {v: [] for v in project.versions}
    for info in project.files:
        path = file_path(info.feed or project.feed, project.name, info.filename)
        url = base_url.rstrip("/") + path
        by_version.setdefault(info.version, []).append(
            JsonApiFile(
                file=simple_file(info, url),
                packagetype=info.packagetype,
                python_version=info.python_version,
                md5_digest=info.hashes.md5 or None,
                blake2b_256_digest=info.hashes.blake2b_256 or None,
                origin="upstream" if info.origin == common_pb2.ORIGIN_UPSTREAM else "local",
            )
        )
    releases = []
    for version, files in by_version.items():
        meta = project.releases.get(version, common_pb2.CoreMetadata())
        yanked = bool(files) and all(f.file.is_yanked for f in files)
        releases.append(
            JsonApiRelease(
                version=version,
                files=files,
                summary=meta.summary or None,
                description=meta.description or None,
                description_content_type=meta.description_content_type or None,
                author=meta.author or None,
                author_email=meta.author_email or None,
                maintainer=meta.maintainer or None,
                maintainer_email=meta.maintainer_email or None,
                license=meta.license or None,
                license_expression=meta.license_expression or None,
                keywords=meta.keywords or None,
                classifiers=list(meta.classifiers),
                requires_dist=list(meta.requires_dist),
                requires_python=meta.requires_python or None,
                project_urls=_project_urls(list(meta.project_urls)),
                home_page=meta.home_page or None,
                download_url=meta.download_url or None,
                platform=", ".join(meta.platforms) or None,
                provides_extra=list(meta.provides_extra),
                dynamic=list(meta.dynamic),
                yanked=yanked,
                yanked_reason=(files[0].file.yanked_reason if yanked else None),
            )
        )
    return releases
