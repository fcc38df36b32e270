"""The gRPC service config every client channel carries: round_robin over every address the
target resolves to, a default deadline, and retries of the calls that are safe to repeat.

gRPC applies it inside the channel (https://github.com/grpc/grpc/blob/master/doc/service_config.md),
so a retry never runs twice after the server has answered and stays within the deadline.
"""

from __future__ import annotations

import json

_V1 = "packyard.rpc.v1."
# Reads: repeating one changes nothing on the server.
IDEMPOTENT: dict[str, tuple[str, ...]] = {
    "MetadataService": ("GetFeed", "ListFeeds", "ListProjects", "GetProject", "GetFile"),
    "CatalogService": ("Search", "ListFeedProjects", "GetDownloadCounts", "ListRecentReleases"),
    "AccessService": ("ListKeys",),
}
# A replica that is restarting or draining answers UNAVAILABLE; other codes are answers.
RETRY_POLICY = {
    "maxAttempts": 4,
    "initialBackoff": "0.2s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def _seconds(timeout: float) -> str:
    return f"{timeout:.3f}s"


def service_config(timeout: float) -> dict[str, object]:
    """The config as a dict; ``timeout`` (seconds) is the deadline of every call that sets
    none of its own (a call's own ``timeout=`` is used when shorter)."""
    idempotent = [
        {"service": _V1 + service, "method": method}
        for service, methods in IDEMPOTENT.items()
        for method in methods
    ]
    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {"name": idempotent, "timeout": _seconds(timeout), "retryPolicy": RETRY_POLICY},
            # An empty name is the default for every other method.
            {"name": [{}], "timeout": _seconds(timeout)},
        ],
    }


def channel_options(timeout: float, server_name: str | None = None) -> list[tuple[str, object]]:
    """Channel arguments for grpc.secure_channel / grpc.aio.secure_channel."""
    options: list[tuple[str, object]] = [
        ("grpc.service_config", json.dumps(service_config(timeout))),
        ("grpc.enable_retries", 1),
        # Packyard's servers close each connection after a few minutes so that clients
        # re-resolve and reach replicas added since; reconnect quickly when they do.
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 2_000),
        ("grpc.keepalive_time_ms", 30_000),
    ]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return options
