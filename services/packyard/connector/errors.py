"""Connector failures beyond the shared error table."""

from __future__ import annotations

from packyard.common.errors import PackyardError


class UpstreamFailed(PackyardError):
    """The upstream answered something that must not be served (hash mismatch, disallowed
    redirect, truncated transfer, unreadable page). DATA_LOSS on the wire, 502 at the gateway."""

    code = "DATA_LOSS"
    http_status = 502


class UpstreamTimeout(PackyardError):
    code = "DEADLINE_EXCEEDED"
