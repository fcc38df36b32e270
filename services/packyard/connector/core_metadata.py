"""PEP 658 metadata of upstream files: made sure to be in the blob service, cheaply.

In order: METADATA already stored; the upstream's own PEP 658 file (verified against the hash
its index gives); for a wheel whose upstream offers none, the METADATA member read with range
requests (a few KiB instead of the wheel), stored under its own sha256 and recorded in the
metadata service; failing that (no range support, unreadable archive), the whole wheel,
cached and verified, from which the blob service extracts it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from email.parser import BytesHeaderParser

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from packyard.common.errors import NotFound
from packyard.connector.blob_client import BlobClient
from packyard.connector.descriptions import Describer
from packyard.connector.errors import UpstreamFailed
from packyard.connector.files import FileFetcher, body, down, mismatch
from packyard.connector.http import UpstreamDown, UpstreamHttp
from packyard.connector.listings import Listings
from packyard.connector.metadata_client import MetadataClient
from packyard.connector.metadata_ranges import RangesUnsupported, read_wheel_metadata
from packyard.connector.models import Backfilled, FoundFile, OfferedFile
from packyard.connector.single_flight import KeyedLocks
from packyard.protocol.offer_merge import with_backfilled
from packyard.protocol.zip_tail import ZipTailError

log = logging.getLogger(__name__)

_NO_RANGES_MEMORY = 600.0
_MAX_METADATA_FILE = 16 * 1024 * 1024


class CoreMetadataFetcher:
    def __init__(
        self,
        listings: Listings,
        files: FileFetcher,
        http: UpstreamHttp,
        blob: BlobClient,
        metadata: MetadataClient,
        describer: Describer | None = None,
    ) -> None:
        self._listings = listings
        self._describer = describer
        self._files = files
        self._http = http
        self._blob = blob
        self._metadata = metadata
        self._locks = KeyedLocks()
        self.range_reads = 0
        # connector id -> until when not to try ranges (bounded by the number of connectors)
        self._no_ranges: dict[str, float] = {}

    async def ensure(self, feed: str, project: str, filename: str) -> tuple[OfferedFile, int]:
        """The file (with core_metadata_sha256) once its METADATA is in the blob service, and
        the METADATA's size. A project nothing describes yet is described with it."""
        found = await self._listings.find_file(feed, project, filename)
        entry, size = await self._ensure(found, feed, project, filename)
        if self._describer is not None and entry.core_metadata_sha256:
            self._describer.metadata_stored(
                feed, project, found.connector.id, entry.core_metadata_sha256
            )
        return entry, size

    async def _ensure(
        self, found: FoundFile, feed: str, project: str, filename: str
    ) -> tuple[OfferedFile, int]:
        entry = found.file
        sha = entry.core_metadata_sha256
        if sha:
            size = await self._blob.stat(sha)
            if size is not None:
                return entry, size
            if entry.upstream_url and (found.backfilled is None or found.backfilled.sha256 != sha):
                return entry, await self._fetch_metadata_file(found)
        if not filename.endswith(".whl"):
            raise NotFound(f"'{filename}' has no metadata file.")
        if entry.upstream_url:
            backfilled = await self._backfill(feed, project, filename)
            if backfilled is not None:
                return backfilled
        # The whole wheel: cached, verified; the blob service extracts its METADATA.
        cached = await self._files.ensure_cached(feed, project, filename)
        size = None
        if cached.core_metadata_sha256:
            size = await self._blob.stat(cached.core_metadata_sha256)
        if size is None:
            raise NotFound(f"'{filename}' has no metadata file.")
        return cached, size

    async def _backfill(
        self, feed: str, project: str, filename: str
    ) -> tuple[OfferedFile, int] | None:
        """METADATA of an uncached upstream wheel by range requests, stored under its own
        sha256 and recorded; None when the whole wheel must be fetched instead."""
        lock = self._locks.lock(feed, filename)
        async with lock:
            # As the metadata service knows it now (another request may have read it meanwhile).
            found = await self._listings.find_file(feed, project, filename)
            if not found.file.upstream_url:
                return None  # cached meanwhile: its own METADATA counts
            if found.backfilled is not None:
                size = await self._blob.stat(found.backfilled.sha256)
                if size is not None:
                    return with_backfilled(found.file, found.backfilled.sha256), size
            return await self._read_with_ranges(found)

    async def _read_with_ranges(self, found: FoundFile) -> tuple[OfferedFile, int] | None:
        connector, entry = found.connector, found.file
        feed, filename = entry.feed, entry.filename
        if self._no_ranges.get(connector.id, 0.0) > time.monotonic():
            return None
        self.range_reads += 1
        try:
            data = await read_wheel_metadata(self._http, connector, entry.upstream_url)
        except UpstreamDown as exc:
            raise down(exc) from None
        except (RangesUnsupported, ZipTailError) as exc:
            if isinstance(exc, RangesUnsupported):
                # Not worth a wasted request per wheel: ask again in a while.
                self._no_ranges[connector.id] = time.monotonic() + _NO_RANGES_MEMORY
            log.info(
                "upstream.metadata_ranges_unusable",
                extra={"feed": feed, "file": filename, "reason": f"{type(exc).__name__}: {exc}"},
            )
            return None
        if not describes(data, filename):
            log.warning(
                "upstream.metadata_ranges_mismatch",
                extra={"feed": feed, "file": filename,
                       "reason": "METADATA names another project or version"},
            )  # fmt: skip
            return None
        digest = hashlib.sha256(data).hexdigest()
        await self._blob.put_small(digest, data)
        # The metadata service keeps the first record of a filename and tells the gateways.
        stored = await self._metadata.record_backfilled(
            feed, entry.project, connector.id, Backfilled(filename, digest, len(data))
        )
        log.info(
            "upstream.metadata_backfilled",
            extra={"feed": feed, "file": filename, "size": len(data), "sha256": digest},
        )
        size = len(data) if stored.sha256 == digest else await self._blob.stat(stored.sha256)
        if size is None:
            return None
        return with_backfilled(entry, stored.sha256), size

    async def _fetch_metadata_file(self, found: FoundFile) -> int:
        """The upstream's own PEP 658 file, verified against its index's hash."""
        entry = found.file
        url = entry.upstream_url + ".metadata"
        try:
            async with self._http.open_file(found.connector, url) as response:
                data = bytearray()
                async for part in body(response):
                    data += part
                    if len(data) > _MAX_METADATA_FILE:
                        raise UpstreamFailed("Upstream metadata file is too large.")
        except UpstreamDown as exc:
            raise down(exc) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != entry.core_metadata_sha256:
            raise mismatch(entry, actual)
        stored = await self._blob.put_small(entry.core_metadata_sha256, bytes(data))
        return stored.size


def describes(metadata: bytes, filename: str) -> bool:
    """Does the METADATA name the wheel's own project and version? (The one check possible
    before the wheel itself is verified; pip 26 refuses a mismatch later anyway.)"""
    try:
        name, version, _, _ = parse_wheel_filename(filename)
        headers = BytesHeaderParser().parsebytes(metadata)
        return (
            canonicalize_name(headers.get("Name", "")) == name
            and Version(headers.get("Version", "")) == version
        )
    except (InvalidWheelFilename, InvalidVersion, ValueError):
        return False
