"""Admin API for connectors and origin controls.

``/api/v1/feeds/{feed}/connectors`` (list, add, update, remove; global administrators only,
because an upstream URL makes the server fetch from the network) and
``/api/v1/feeds/{feed}/origin`` plus ``/api/v1/feeds/{feed}/projects/{project}/origin``
(dependency-confusion controls; feed administrators). Upstream credentials are write-only:
replies say ``has_credentials`` and nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from packyard_rpc.v1 import upstream_pb2
from pydantic import BaseModel, Field

from packyard.common.pb_fields import from_pb, to_pb
from packyard.common.settings import redact_url
from packyard.gateway.auth.guards import AdminDep, FeedAdminDep
from packyard.gateway.deps import BackendsDep
from packyard.gateway.page_cache import drop_pages
from packyard.protocol.names import normalize

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["connectors"])

Setting = Literal["allow", "block", "default"]
_SETTING_TO_PB = {
    "allow": upstream_pb2.ORIGIN_SETTING_ALLOW,
    "block": upstream_pb2.ORIGIN_SETTING_BLOCK,
    "default": upstream_pb2.ORIGIN_SETTING_UNSET,
}


class ConnectorIn(BaseModel):
    url: str = Field(description="Base URL of the upstream index (credentials here are moved out)")
    simple_path: str = Field(default="/simple", description='"/" for indexes served at the root')
    priority: int = 100
    ttl_seconds: int = Field(default=1800, ge=0)
    username: str | None = None
    password: str | None = None
    include: list[str] = []
    exclude: list[str] = []
    file_hosts: list[str] = []
    name_list: bool = Field(
        default=False, description="keep the upstream's project-name list, so search finds "
        "names nobody here has used yet",
    )  # fmt: skip
    python_versions: list[str] = Field(
        default=[], description='keep only files for these Python versions ("3.12")'
    )
    platforms: list[str] = Field(
        default=[], description='keep only wheels for these platform tags ("manylinux*_x86_64")'
    )


class ConnectorHealthOut(BaseModel):
    connector: str
    url: str
    state: Literal["ok", "failing", "circuit open", "unknown"] = Field(
        description="from the last report: answering, failing, failing with its circuit open, "
        "or never used"
    )
    last_success: datetime | None
    last_error: str
    last_error_at: datetime | None
    breaker_open: bool
    stale_since: datetime | None = Field(
        description="the first failure since the last success: answers are stale since then"
    )
    cached_files: int
    cached_bytes: int


def _health_out(h: upstream_pb2.ConnectorHealth) -> ConnectorHealthOut:
    answered = h.HasField("last_success") or h.HasField("last_error_at")
    state = "unknown" if not answered else "ok" if not h.HasField("stale_since") else "failing"
    if h.breaker_open:
        state = "circuit open"
    return from_pb(ConnectorHealthOut, h, url=redact_url(h.url), state=state)


class ConnectorPatch(BaseModel):
    url: str | None = None
    simple_path: str | None = None
    priority: int | None = None
    ttl_seconds: int | None = Field(default=None, ge=0)
    # Set both to rotate the credentials, username "" to remove them.
    username: str | None = None
    password: str | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None
    file_hosts: list[str] | None = None
    name_list: bool | None = None
    python_versions: list[str] | None = None
    platforms: list[str] | None = None


class ConnectorOut(BaseModel):
    id: str
    feed: str
    url: str
    simple_path: str
    priority: int
    ttl_seconds: int
    include: list[str]
    exclude: list[str]
    file_hosts: list[str]
    has_credentials: bool
    name_list: bool = False
    python_versions: list[str] = []
    platforms: list[str] = []


class FeedOriginBody(BaseModel):
    reserved_prefixes: list[str] = []
    merge_upstream: bool = False


class ProjectOriginBody(BaseModel):
    upstream: Setting = "default"
    publish: Setting = "default"


class OriginPolicyOut(BaseModel):
    upstream_allowed: bool
    merge_with_hosted: bool
    publish_allowed: bool
    upstream_reason: str
    publish_reason: str
    first_from_upstream: bool


def _out(c: upstream_pb2.Connector) -> ConnectorOut:
    return from_pb(ConnectorOut, c, url=redact_url(c.url))


def _policy_out(p: upstream_pb2.OriginPolicy) -> OriginPolicyOut:
    return from_pb(OriginPolicyOut, p)


@router.get("/feeds/{feed}/connectors", summary="Connectors of a feed, in priority order")
async def list_connectors(feed: str, caller: AdminDep, backends: BackendsDep) -> list[ConnectorOut]:
    reply = await backends.upstream.list_connectors(upstream_pb2.ListConnectorsRequest(feed=feed))
    return [_out(c) for c in reply.connectors]


@router.get(
    "/feeds/{feed}/connectors/health",
    summary="Each connector's health: last success, last error, circuit, stale since, cache",
)
async def connector_health(
    feed: str, caller: FeedAdminDep, backends: BackendsDep
) -> list[ConnectorHealthOut]:
    reply = await backends.upstream.get_connector_health(
        upstream_pb2.GetConnectorHealthRequest(feed=feed)
    )
    return [_health_out(h) for h in reply.connectors]


@router.post("/feeds/{feed}/connectors", status_code=201, summary="Add a connector")
async def add_connector(
    feed: str, body: ConnectorIn, request: Request, caller: AdminDep, backends: BackendsDep
) -> ConnectorOut:
    reply = await backends.upstream.add_connector(
        upstream_pb2.AddConnectorRequest(connector=to_pb(upstream_pb2.Connector, body, feed=feed))
    )
    drop_pages(request, feed)
    log.info(
        "admin.connector_added",
        extra={"feed": feed, "connector": reply.connector.id, "actor": caller.name},
    )
    return _out(reply.connector)


@router.patch("/feeds/{feed}/connectors/{connector_id}", summary="Change a connector")
async def update_connector(
    feed: str,
    connector_id: str,
    body: ConnectorPatch,
    request: Request,
    caller: AdminDep,
    backends: BackendsDep,
) -> ConnectorOut:
    values = body.model_dump(exclude_unset=True)
    mask = [k for k in values if k not in {"username", "password"}]
    connector = upstream_pb2.Connector(id=connector_id, feed=feed)
    for key in mask:
        value = values[key]
        if isinstance(value, list):
            getattr(connector, key).extend(value)
        else:
            setattr(connector, key, value)
    if "username" in values or "password" in values:
        mask.append("credentials")
        connector.username = body.username or ""
        connector.password = body.password or ""
    reply = await backends.upstream.update_connector(
        upstream_pb2.UpdateConnectorRequest(connector=connector, update_mask=mask)
    )
    drop_pages(request, feed)
    log.info(
        "admin.connector_updated",
        extra={"feed": feed, "connector": connector_id, "fields": mask, "actor": caller.name},
    )
    return _out(reply.connector)


@router.delete(
    "/feeds/{feed}/connectors/{connector_id}", status_code=204, summary="Remove a connector"
)
async def remove_connector(
    feed: str, connector_id: str, request: Request, caller: AdminDep, backends: BackendsDep
) -> Response:
    await backends.upstream.remove_connector(
        upstream_pb2.RemoveConnectorRequest(feed=feed, id=connector_id)
    )
    drop_pages(request, feed)
    log.info(
        "admin.connector_removed",
        extra={"feed": feed, "connector": connector_id, "actor": caller.name},
    )
    return Response(status_code=204)


@router.get("/feeds/{feed}/origin", summary="Feed-wide origin controls")
async def get_feed_origin(feed: str, caller: FeedAdminDep, backends: BackendsDep) -> FeedOriginBody:
    reply = await backends.upstream.get_feed_origin(upstream_pb2.GetFeedOriginRequest(feed=feed))
    return from_pb(FeedOriginBody, reply.origin)


@router.put("/feeds/{feed}/origin", summary="Set reserved prefixes and merging for a feed")
async def set_feed_origin(
    feed: str, body: FeedOriginBody, request: Request, caller: FeedAdminDep, backends: BackendsDep
) -> FeedOriginBody:
    reply = await backends.upstream.set_feed_origin(
        upstream_pb2.SetFeedOriginRequest(origin=to_pb(upstream_pb2.FeedOrigin, body, feed=feed))
    )
    drop_pages(request, feed)
    return from_pb(FeedOriginBody, reply.origin)


@router.get("/feeds/{feed}/projects/{project}/origin", summary="A project's origin policy")
async def get_project_origin(
    feed: str, project: str, caller: FeedAdminDep, backends: BackendsDep
) -> OriginPolicyOut:
    reply = await backends.upstream.get_origin_policy(
        upstream_pb2.GetOriginPolicyRequest(feed=feed, project=normalize(project))
    )
    return _policy_out(reply.policy)


@router.put(
    "/feeds/{feed}/projects/{project}/origin",
    summary="Allow or block upstream files and local publishing for a project",
)
async def set_project_origin(
    feed: str,
    project: str,
    body: ProjectOriginBody,
    request: Request,
    caller: FeedAdminDep,
    backends: BackendsDep,
) -> OriginPolicyOut:
    reply = await backends.upstream.set_project_origin(
        upstream_pb2.SetProjectOriginRequest(
            feed=feed,
            project=normalize(project),
            upstream=_SETTING_TO_PB[body.upstream],
            publish=_SETTING_TO_PB[body.publish],
        )
    )
    drop_pages(request, feed, normalize(project))
    log.warning(
        "admin.project_origin_set",
        extra={"feed": feed, "project": normalize(project), "upstream": body.upstream,
               "publish": body.publish, "actor": caller.name},
    )  # fmt: skip
    return _policy_out(reply.policy)
