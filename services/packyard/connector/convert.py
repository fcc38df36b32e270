"""protobuf <-> the connector's values; used only at the edges (servicer, metadata client)."""

from __future__ import annotations

from packyard_rpc.v1 import common_pb2, upstream_pb2

from packyard.common.pb_fields import from_pb, to_pb
from packyard.connector.models import (
    Backfilled,
    Connector,
    Listing,
    OfferedFile,
    ProjectStatus,
    UpstreamState,
)
from packyard.protocol.offer_merge import OriginPolicy
from packyard.protocol.upstream_description import UpstreamDescription


def connector_from_pb(pb: upstream_pb2.Connector) -> Connector:
    return from_pb(Connector, pb, simple_path=pb.simple_path or "/simple")


def file_from_pb(pb: common_pb2.FileInfo) -> OfferedFile:
    return from_pb(
        OfferedFile,
        pb,
        sha256=pb.hashes.sha256,
        md5=pb.hashes.md5,
        blake2b_256=pb.hashes.blake2b_256,
    )


def file_to_pb(f: OfferedFile) -> common_pb2.FileInfo:
    return to_pb(
        common_pb2.FileInfo,
        f,
        hashes=to_pb(common_pb2.Hashes, f),
        origin=common_pb2.ORIGIN_UPSTREAM,
    )


def listing_from_pb(pb: upstream_pb2.UpstreamListing) -> Listing:
    return from_pb(
        Listing,
        pb,
        files=tuple(file_from_pb(f) for f in pb.files),
        status=ProjectStatus(pb.status),
    )


def listing_to_pb(listing: Listing) -> upstream_pb2.UpstreamListing:
    return to_pb(
        upstream_pb2.UpstreamListing,
        listing,
        files=[file_to_pb(f) for f in listing.files],
        status=int(listing.status),
    )


def backfilled_from_pb(pb: upstream_pb2.BackfilledMetadata) -> Backfilled:
    return from_pb(Backfilled, pb)


def backfilled_to_pb(b: Backfilled) -> upstream_pb2.BackfilledMetadata:
    return to_pb(upstream_pb2.BackfilledMetadata, b)


def policy_from_pb(pb: upstream_pb2.OriginPolicy) -> OriginPolicy:
    return from_pb(OriginPolicy, pb)


def state_from_pb(pb: upstream_pb2.GetUpstreamStateResponse) -> UpstreamState:
    return UpstreamState(
        policy=policy_from_pb(pb.policy),
        listings={row.connector: listing_from_pb(row) for row in pb.listings},
        cached={f.filename: file_from_pb(f) for f in pb.cached_files},
        backfilled={b.filename: backfilled_from_pb(b) for b in pb.backfilled},
    )


def description_to_pb(d: UpstreamDescription, connector: str) -> upstream_pb2.UpstreamDescription:
    return to_pb(
        upstream_pb2.UpstreamDescription,
        d,
        project_urls=[upstream_pb2.ProjectUrl(label=k, url=v) for k, v in d.project_urls],
        connector=connector,
    )
