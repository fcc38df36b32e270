"""What a feed offers: the one place routes ask for a project's files or for one file.

Hosted data comes from the metadata service. Connectors (upstream indexes) plug in here, so
the simple pages, the JSON API and the file routes all see the same merged view.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from packyard.gateway.backends import Backends
from packyard.rpc.v1 import blob_pb2, common_pb2, metadata_pb2


async def load_project(backends: Backends, feed: str, project: str) -> metadata_pb2.Project:
    """The project with every file the feed offers for it; NotFound (gRPC) if none."""
    reply = await backends.metadata.GetProject(
        metadata_pb2.GetProjectRequest(feed=feed, project=project), timeout=backends.timeout
    )
    return reply.project


async def list_projects(backends: Backends, feed: str) -> list[metadata_pb2.ProjectSummary]:
    summaries: list[metadata_pb2.ProjectSummary] = []
    async for batch in backends.metadata.ListProjects(
        metadata_pb2.ListProjectsRequest(feed=feed), timeout=backends.timeout
    ):
        summaries.extend(batch.projects)
    return summaries


async def load_file(backends: Backends, feed: str, filename: str) -> common_pb2.FileInfo:
    """One file of the feed by its filename; NotFound (gRPC) if the feed has no such file."""
    reply = await backends.metadata.GetFile(
        metadata_pb2.GetFileRequest(feed=feed, filename=filename), timeout=backends.timeout
    )
    return reply.file


def file_chunks(
    backends: Backends, info: common_pb2.FileInfo, sha256: str, offset: int, length: int
) -> AsyncIterator[bytes]:
    """The bytes of a stored object (the file itself, or its metadata when ``sha256`` says so)."""
    return _blob_chunks(backends, sha256, offset, length)


async def _blob_chunks(
    backends: Backends, sha256: str, offset: int, length: int
) -> AsyncIterator[bytes]:
    if length == 0:
        return
    async for part in backends.blob.GetBlob(
        blob_pb2.GetBlobRequest(sha256=sha256, offset=offset, length=length)
    ):
        yield part.chunk
