"""Lifecycle of the blob service: store, gRPC server with health, graceful stop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from packyard_rpc.v1 import blob_pb2, blob_pb2_grpc

from packyard.blob.service import BlobService
from packyard.blob.servicer import BlobServicer
from packyard.blob.settings import BlobSettings
from packyard.blob.store import BlobStore
from packyard.common.dependency_health import Dependency, DependencyHealth
from packyard.common.grpc import CHUNK_SIZE, new_server, start_server, stop_server
from packyard.common.spool_dirs import claim_spool_dir, release_spool_dir

SERVICE_NAME: str = blob_pb2.DESCRIPTOR.services_by_name["BlobService"].full_name


@contextlib.asynccontextmanager
async def running_server(
    settings: BlobSettings, *, ensure_bucket: bool = True
) -> AsyncIterator[int]:
    """Serve until the block exits; yields the bound port.

    ``ensure_bucket=False`` skips creating the bucket, so a server can start while storage
    is down (the RPCs then answer UNAVAILABLE).
    """
    store = BlobStore.from_settings(settings)
    if ensure_bucket:
        await store.ensure_bucket()
    # Spool files of uploads a crashed blob server was receiving are removed here.
    spool = claim_spool_dir(settings.spool_dir, "blob")
    service = BlobService(store, spool_dir=str(spool), chunk_size=CHUNK_SIZE)
    server = new_server()
    blob_pb2_grpc.add_BlobServiceServicer_to_server(BlobServicer(service), server)
    port, health = await start_server(server, settings.listen_addr, [SERVICE_NAME], settings.tls())
    # Without S3 nothing can be stored or served: NOT_SERVING until it answers again.
    dependencies = DependencyHealth("blob", health, [Dependency("s3", store.ping)])
    try:
        await dependencies.start()
        yield port
    finally:
        await dependencies.stop()
        await stop_server(server, health, settings.shutdown_grace)
        release_spool_dir(spool)
