"""Wiring: the collector and the scrubber over a BlobService channel, for the server's
background schedule and for `packyard gc`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import asyncpg

from packyard.common.grpc import secure_channel
from packyard.metadata.gc.blobs import BlobClient
from packyard.metadata.gc.collector import GarbageCollector
from packyard.metadata.gc.schedule import Periodic
from packyard.metadata.gc.scrubber import Scrubber
from packyard.metadata.settings import MetadataSettings


@dataclass(frozen=True)
class StorageJobs:
    collector: GarbageCollector
    scrubber: Scrubber


@contextlib.asynccontextmanager
async def storage_jobs(
    pool: asyncpg.Pool, settings: MetadataSettings
) -> AsyncIterator[StorageJobs]:
    async with secure_channel(settings.blob_addr, settings.tls()) as channel:
        blobs = BlobClient(channel)
        yield StorageJobs(
            collector=GarbageCollector(
                pool, blobs, grace=settings.gc_grace, retention=settings.gc_deleted_retention
            ),
            scrubber=Scrubber(
                pool,
                blobs,
                bytes_per_second=settings.scrub_bytes_per_second,
                objects_per_minute=settings.scrub_objects_per_minute,
            ),
        )


async def start_storage_jobs(
    stack: AsyncExitStack, pool: asyncpg.Pool, settings: MetadataSettings
) -> StorageJobs | None:
    """Run both jobs on their intervals until the stack closes; None without a blob address."""
    if not settings.blob_addr:
        return None
    jobs = await stack.enter_async_context(storage_jobs(pool, settings))
    periodic = Periodic()
    periodic.start(settings.gc_interval, jobs.collector.run, "gc")
    periodic.start(settings.scrub_interval, jobs.scrubber.run, "scrub")
    stack.push_async_callback(periodic.stop)
    return jobs
