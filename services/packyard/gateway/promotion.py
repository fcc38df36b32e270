"""Promote a release from one feed to another, for the admin API and the web UI's form.

The metadata service copies the rows (GovernanceService.PromoteRelease). A release a proxy
feed only knows from its upstream is cached first: the connector fetches and verifies each of
its files (as a download would), then the promotion copies the cached files.
"""

from __future__ import annotations

from fastapi import Request
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version
from packyard_rpc.v1 import connector_pb2, governance_pb2

from packyard.common.errors import NotFound, PermissionDenied
from packyard.common.rights import may_promote_into
from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.auth.guards import require_principal
from packyard.gateway.backends import Backends
from packyard.gateway.clients.calls import if_found
from packyard.gateway.page_cache import drop_pages
from packyard.protocol.names import normalize


def _same_version(a: str, b: str) -> bool:
    try:
        return canonicalize_version(Version(a)) == canonicalize_version(Version(b))
    except InvalidVersion:
        return a == b


async def cache_upstream_release(backends: Backends, feed: str, project: str, version: str) -> int:
    """Have the connector fetch (and so cache) every upstream file of the release, and each
    wheel's METADATA (PEP 658: the copy is served with it); returns how many files the
    upstream lists for the release."""
    listing = await if_found(
        backends.connector.get_upstream_project(
            connector_pb2.GetUpstreamProjectRequest(feed=feed, project=project)
        )
    )
    if listing is None:
        return 0
    files = [f for f in listing.files if _same_version(f.version, version)]
    for info in files:
        async for _ in backends.connector.fetch_file(
            connector_pb2.FetchFileRequest(feed=feed, project=project, filename=info.filename)
        ):
            pass
        if info.filename.endswith(".whl"):
            await backends.connector.fetch_metadata(
                connector_pb2.FetchMetadataRequest(
                    feed=feed, project=project, filename=info.filename
                )
            )
    return len(files)


async def promote_release(
    request: Request, backends: Backends, auth: Authenticator, source: str, project: str,
    version: str, target: str, *, force: bool = False,
) -> governance_pb2.PromoteReleaseResponse:  # fmt: skip
    # The promote or publish right; whether the target's policy asks for promote is the
    # metadata service's to decide.
    principal = await require_principal(request)
    if not may_promote_into(principal, target):
        raise PermissionDenied(f"'{principal.name}' may not promote into feed '{target}'.")
    name = normalize(project)
    promote = governance_pb2.PromoteReleaseRequest(
        source_feed=source, target_feed=target, project=name, version=version, force=force
    )
    try:
        reply = await backends.governance.promote_release(promote)
    except NotFound:
        # Not hosted nor cached in the source: maybe its upstream has it. The connector acts
        # for no one, so the caller's read right on the source is checked here.
        await auth.readable_feed(request, source)
        if not await cache_upstream_release(backends, source, name, version):
            raise
        reply = await backends.governance.promote_release(promote)
    drop_pages(request, target, name)
    return reply
