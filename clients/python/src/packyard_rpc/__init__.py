"""Packyard's gRPC API for internal services: ``packyard_rpc.v1`` (the generated stubs) and a
thin client that sets deadlines, retries reads, sends the API key and raises typed errors."""

from packyard_rpc.client import AsyncClient, Client
from packyard_rpc.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PackyardRpcError,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from packyard_rpc.pages import (
    aiter_feed_projects,
    aiter_projects,
    iter_feed_projects,
    iter_feeds,
    iter_projects,
)
from packyard_rpc.settings import Settings, SettingsError

__all__ = [
    "AsyncClient",
    "Client",
    "Conflict",
    "InvalidArgument",
    "NotFound",
    "PackyardRpcError",
    "PermissionDenied",
    "Settings",
    "SettingsError",
    "Unauthenticated",
    "Unavailable",
    "aiter_feed_projects",
    "aiter_projects",
    "iter_feed_projects",
    "iter_feeds",
    "iter_projects",
]
