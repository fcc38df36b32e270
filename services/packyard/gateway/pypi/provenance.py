"""PEP 740 provenance: attestations checked at upload, the provenance URL, the simple API key.

An upload's ``attestations`` field is verified (``protocol/attestations.py``, imported on
first use; off the event loop: signature checks are CPU work) before its bytes are stored;
invalid ones are a 400. A feed whose policy names provenance publishers refuses uploads
without attestations from one of them. The verified provenance object is recorded once the
file is registered and served at ``/pypi/FEED/integrity/PROJECT/VERSION/FILENAME/provenance``
(Warehouse's path under the feed), which the simple API's ``provenance`` key points to.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from packyard_rpc.v1 import provenance_pb2

from packyard.common.errors import NotFound
from packyard.gateway.backends import Backends
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.page_cache import PageCache
from packyard.gateway.pypi.supply import feed_policy
from packyard.protocol.attestation_errors import InvalidAttestations
from packyard.protocol.names import normalize

router = APIRouter()


async def verify_upload(
    backends: Backends,
    pages: PageCache | None,
    feed: str,
    attestations: str | None,
    filename: str,
    sha256: str,
) -> bytes | None:
    """The provenance to record for this upload, None without attestations; raises a 400."""
    required = list((await feed_policy(backends, pages, feed)).provenance_publishers)
    if attestations is None:
        if required:
            raise InvalidAttestations(
                f"Feed '{feed}' requires PEP 740 attestations (twine upload --attestations) "
                f"from one of: {', '.join(required)}."
            )
        return None
    return await asyncio.to_thread(_verified, attestations, filename, sha256, required)


def _verified(attestations: str, filename: str, sha256: str, required: list[str]) -> bytes:
    # Imported here, on the first upload with attestations: verification's libraries
    # (pypi-attestations, sigstore) are about 12 MB that a gateway whose uploads carry none
    # never needs (issue 13). In this worker thread the ~0.2 s import (once per process) runs
    # beside the event loop instead of stopping it.
    from packyard.protocol.attestations import verify_attestations

    return verify_attestations(attestations, filename, sha256, required).provenance


async def record(backends: Backends, feed: str, filename: str, provenance: bytes) -> None:
    if backends.provenance is not None:
        await backends.provenance.record_provenance(
            provenance_pb2.RecordProvenanceRequest(
                feed=feed, filename=filename, provenance=provenance
            )
        )


async def filenames_with_provenance(backends: Backends, feed: str, project: str) -> set[str]:
    if backends.provenance is None:
        return set()
    reply = await backends.provenance.list_provenance(
        provenance_pb2.ListProvenanceRequest(feed=feed, project=project)
    )
    return set(reply.filenames)


def provenance_path(project: str, version: str, filename: str) -> str:
    """Relative to the project's simple page (``/pypi/FEED/simple/PROJECT/``)."""
    return f"../../integrity/{project}/{version}/{filename}/provenance"


@router.get("/pypi/{feed}/integrity/{project}/{version}/{filename}/provenance")
async def provenance(
    feed: str,
    project: str,
    version: str,
    filename: str,
    request: Request,
    backends: BackendsDep,
    auth: AuthDep,
) -> Response:
    await auth.readable_feed(request, feed)
    if backends.provenance is None:
        raise NotFound("No provenance service.")
    if not normalize(filename.split("-", 1)[0]) == normalize(project):
        raise NotFound(f"'{filename}' is not a file of '{project}'.")
    reply = await backends.provenance.get_provenance(
        provenance_pb2.GetProvenanceRequest(feed=feed, filename=filename)
    )
    return Response(reply.provenance, media_type="application/json")
