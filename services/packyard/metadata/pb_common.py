"""Conversions every metadata servicer shares (proto <-> domain)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from packyard_rpc.v1 import common_pb2

from packyard.metadata.audit import AuditContext
from packyard.metadata.callers import caller
from packyard.metadata.index.interface import ProjectStatus

STATUS_TO_PB = {
    ProjectStatus.ACTIVE: common_pb2.PROJECT_STATUS_ACTIVE,
    ProjectStatus.ARCHIVED: common_pb2.PROJECT_STATUS_ARCHIVED,
    ProjectStatus.QUARANTINED: common_pb2.PROJECT_STATUS_QUARANTINED,
    ProjectStatus.DEPRECATED: common_pb2.PROJECT_STATUS_DEPRECATED,
}


def timestamp_to_pb(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def datetime_from_pb(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def audit_from_pb(_deprecated: common_pb2.AuditContext) -> AuditContext:
    """The audit context of the call being served: the authenticated principal and the address
    the gateway vouches for (metadata/callers.py). The request's ``AuditContext`` is ignored,
    never trusted (kept in the protos one release)."""
    return caller().audit()
