"""The upload flow: validate a parsed twine upload, store its bytes, register the file.

Cheap checks run first; the bytes reach the blob service only once everything about them is
known to be acceptable, and the file row is written only after the blob is stored, so a failure
at any step leaves no visible file (at worst an unreferenced content-addressed object).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from packyard_rpc.v1 import blob_pb2, common_pb2, metadata_pb2

from packyard.common.errors import AlreadyExists, InvalidArgument
from packyard.common.grpc import CHUNK_SIZE
from packyard.common.pb_fields import to_pb
from packyard.common.together import in_order
from packyard.gateway.backends import Backends
from packyard.gateway.clients.calls import if_found
from packyard.gateway.pypi.offer import check_publish_allowed
from packyard.gateway.pypi.provenance import record as record_provenance
from packyard.gateway.pypi.provenance import verify_upload
from packyard.gateway.pypi.upload_body import UploadBody
from packyard.protocol.archives import inspect_distribution
from packyard.protocol.filenames import check_filename_safety, parse_distribution_filename
from packyard.protocol.metadata import ParsedMetadata, parse_core_metadata
from packyard.protocol.upload import parse_upload_form, validate_upload, verify_digests
from packyard.protocol.wheel_tags import check_wheel_tags

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    file: common_pb2.FileInfo
    created: bool


async def publish(
    backends: Backends,
    feed: metadata_pb2.Feed,
    uploader: str,
    body: UploadBody,
    *,
    max_size: int,
    audit: common_pb2.AuditContext | None = None,
) -> PublishResult:
    form = parse_upload_form(body.fields, file_fields=body.file_fields)
    if body.file is None:
        raise InvalidArgument("Upload payload does not have a file.")
    upload = body.file
    check_filename_safety(upload.filename)
    if not upload.content_type or upload.content_type.startswith("image/"):
        raise InvalidArgument("Invalid distribution file.")
    dist = parse_distribution_filename(upload.filename)
    # The form names blake2 "blake2_256"; Packyard's Hashes call it "blake2b_256".
    verify_digests(
        form,
        {
            "sha256": upload.hashes["sha256"],
            "blake2_256": upload.hashes["blake2b_256"],
            "md5": upload.hashes["md5"],
        },
    )
    contents = await asyncio.to_thread(inspect_distribution, upload.path, dist)
    if dist.kind == "wheel":
        check_wheel_tags(dist.filename, dist.tags, contents.wheel_file)
    allow_local = not feed.refuse_local_versions
    metadata = parse_core_metadata(contents.metadata_bytes, allow_local_versions=allow_local)
    valid = validate_upload(form, dist, metadata, allow_local_versions=allow_local)
    # The remaining checks are independent: the description renders in a worker thread while
    # the origin policy, the feed's provenance policy and an existing file of the same name
    # are asked for at once (one round trip instead of four in a row; issue 13). Their errors
    # are raised in the order the checks are listed (``in_order``): a refusal never depends on
    # timing.
    _, _, provenance, existing = await in_order(
        asyncio.to_thread(
            _check_description, metadata.description, metadata.description_content_type
        ),
        check_publish_allowed(backends, feed.name, valid.project),
        verify_upload(
            backends, None, feed.name, form.attestations, upload.filename, upload.hashes["sha256"]
        ),
        _existing_file(backends, feed.name, upload.filename),
    )
    if existing is not None:
        if existing.hashes.sha256 == upload.hashes["sha256"]:
            return PublishResult(existing, created=False)
        raise AlreadyExists(
            f"File already exists ('{upload.filename}', with sha256 hash "
            f"'{existing.hashes.sha256}'). See https://pypi.org/help/#file-name-reuse "
            "for more information."
        )

    stored = await backends.blob.put_blob(
        _blob_stream(upload.path, upload.size, upload.filename, upload.hashes, max_size)
    )
    info = common_pb2.FileInfo(
        feed=feed.name,
        project=valid.project,
        version=valid.version,
        filename=upload.filename,
        size=stored.blob.size,
        hashes=stored.blob.hashes,
        requires_python=metadata.requires_python or "",
        packagetype=dist.packagetype,
        python_version=valid.python_version,
        core_metadata_sha256=(
            stored.core_metadata.hashes.sha256 if stored.HasField("core_metadata") else ""
        ),
        origin=common_pb2.ORIGIN_HOSTED,
    )
    reply = await backends.metadata.register_file(
        metadata_pb2.RegisterFileRequest(
            feed=feed.name,
            file=info,
            metadata=core_metadata_pb(metadata),
            uploader=uploader,
            audit=audit,
        )
    )
    if provenance is not None and reply.created:
        await record_provenance(backends, feed.name, upload.filename, provenance)
    log.info(
        "upload.accepted",
        extra={
            "feed": feed.name,
            "project": valid.project,
            "file": upload.filename,
            "size": stored.blob.size,
            "new_file": reply.created,
        },
    )
    return PublishResult(reply.file, reply.created)


def _check_description(raw: str | None, description_content_type: str | None) -> None:
    # Imported here, on the first upload with a description: readme_renderer (docutils,
    # pygments, comrak, nh3) is about 7 MB a gateway that only serves never needs (issue 13);
    # in this worker thread, beside the event loop.
    from packyard.protocol.description import check_description_renders

    check_description_renders(raw, description_content_type)


async def _existing_file(
    backends: Backends, feed: str, filename: str
) -> common_pb2.FileInfo | None:
    reply = await if_found(
        backends.metadata.get_file(metadata_pb2.GetFileRequest(feed=feed, filename=filename))
    )
    return reply.file if reply is not None else None


async def _blob_stream(
    path: str, size: int, filename: str, hashes: dict[str, str], max_size: int
) -> AsyncIterator[blob_pb2.PutBlobRequest]:
    yield blob_pb2.PutBlobRequest(
        header=blob_pb2.PutBlobHeader(
            expected=common_pb2.Hashes(**hashes), max_size=max_size, filename=filename
        )
    )
    # Reads stop at the spooled size, so a small file costs one read, not a second for EOF;
    # the blob service checks the digests of what it receives either way.
    remaining = size
    with open(path, "rb") as fh:  # noqa: ASYNC230 - local spool file, chunked reads
        while remaining > 0 and (
            chunk := await asyncio.to_thread(fh.read, min(CHUNK_SIZE, remaining))
        ):
            remaining -= len(chunk)
            yield blob_pb2.PutBlobRequest(chunk=chunk)


def core_metadata_pb(meta: ParsedMetadata) -> common_pb2.CoreMetadata:
    return to_pb(common_pb2.CoreMetadata, meta)  # a field the artifact leaves out stays empty
