"""protobuf <-> the connector's values; used only at the edges (servicer, metadata client)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from packyard.connector.models import (
    Backfilled,
    Connector,
    Listing,
    OfferedFile,
    ProjectStatus,
    UpstreamState,
)
from packyard.protocol.offer_merge import OriginPolicy
from packyard.rpc.v1 import common_pb2, upstream_pb2


def _timestamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when.astimezone(UTC).replace(tzinfo=None))
    return stamp


def connector_from_pb(pb: upstream_pb2.Connector) -> Connector:
    return Connector(
        id=pb.id,
        feed=pb.feed,
        url=pb.url,
        simple_path=pb.simple_path or "/simple",
        priority=pb.priority,
        ttl_seconds=pb.ttl_seconds,
        include=tuple(pb.include),
        exclude=tuple(pb.exclude),
        file_hosts=tuple(pb.file_hosts),
        username=pb.username,
        password=pb.password,
    )


def file_from_pb(pb: common_pb2.FileInfo) -> OfferedFile:
    return OfferedFile(
        feed=pb.feed,
        project=pb.project,
        version=pb.version,
        filename=pb.filename,
        size=pb.size,
        sha256=pb.hashes.sha256,
        md5=pb.hashes.md5,
        blake2b_256=pb.hashes.blake2b_256,
        requires_python=pb.requires_python,
        yanked=pb.yanked,
        yanked_reason=pb.yanked_reason,
        upload_time=pb.upload_time.ToDatetime(tzinfo=UTC) if pb.HasField("upload_time") else None,
        packagetype=pb.packagetype,
        python_version=pb.python_version,
        core_metadata_sha256=pb.core_metadata_sha256,
        upstream_url=pb.upstream_url,
    )


def file_to_pb(f: OfferedFile) -> common_pb2.FileInfo:
    pb = common_pb2.FileInfo(
        feed=f.feed,
        project=f.project,
        version=f.version,
        filename=f.filename,
        size=f.size,
        hashes=common_pb2.Hashes(sha256=f.sha256, md5=f.md5, blake2b_256=f.blake2b_256),
        requires_python=f.requires_python,
        yanked=f.yanked,
        yanked_reason=f.yanked_reason,
        packagetype=f.packagetype,
        python_version=f.python_version,
        core_metadata_sha256=f.core_metadata_sha256,
        origin=common_pb2.ORIGIN_UPSTREAM,
        upstream_url=f.upstream_url,
    )
    if f.upload_time is not None:
        pb.upload_time.CopyFrom(_timestamp(f.upload_time))
    return pb


def listing_from_pb(pb: upstream_pb2.UpstreamListing) -> Listing:
    return Listing(
        connector=pb.connector,
        found=pb.found,
        fetched=pb.fetched.ToDatetime(tzinfo=UTC),
        serial=pb.serial,
        files=tuple(file_from_pb(f) for f in pb.files),
        versions=tuple(pb.versions),
        etag=pb.etag,
        last_modified=pb.last_modified,
        upstream_serial=pb.upstream_serial,
        status=ProjectStatus(pb.status),
    )


def listing_to_pb(listing: Listing) -> upstream_pb2.UpstreamListing:
    return upstream_pb2.UpstreamListing(
        connector=listing.connector,
        found=listing.found,
        files=[file_to_pb(f) for f in listing.files],
        versions=list(listing.versions),
        etag=listing.etag,
        last_modified=listing.last_modified,
        fetched=_timestamp(listing.fetched),
        serial=listing.serial,
        upstream_serial=listing.upstream_serial,
        status=int(listing.status),  # type: ignore[arg-type]
    )


def backfilled_from_pb(pb: upstream_pb2.BackfilledMetadata) -> Backfilled:
    return Backfilled(filename=pb.filename, sha256=pb.sha256, size=pb.size)


def backfilled_to_pb(b: Backfilled) -> upstream_pb2.BackfilledMetadata:
    return upstream_pb2.BackfilledMetadata(filename=b.filename, sha256=b.sha256, size=b.size)


def policy_from_pb(pb: upstream_pb2.OriginPolicy) -> OriginPolicy:
    return OriginPolicy(
        upstream_allowed=pb.upstream_allowed,
        merge_with_hosted=pb.merge_with_hosted,
        publish_allowed=pb.publish_allowed,
        upstream_reason=pb.upstream_reason,
        publish_reason=pb.publish_reason,
        has_hosted=pb.has_hosted,
        first_from_upstream=pb.first_from_upstream,
    )


def state_from_pb(pb: upstream_pb2.GetUpstreamStateResponse) -> UpstreamState:
    return UpstreamState(
        policy=policy_from_pb(pb.policy),
        listings={row.connector: listing_from_pb(row) for row in pb.listings},
        cached={f.filename: file_from_pb(f) for f in pb.cached_files},
        backfilled={b.filename: backfilled_from_pb(b) for b in pb.backfilled},
    )
