"""Conversions every metadata servicer shares (proto <-> domain)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from packyard.metadata.index.models import ProjectStatus
from packyard.rpc.v1 import common_pb2

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
