"""Admin API for known vulnerabilities: import OSV advisories, a feed's policy, exceptions.

``packyard advisories import`` streams the archive through ``POST /advisories/batches`` a few
hundred records at a time, so neither the CLI, the gateway nor the metadata service holds the
whole archive.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from packyard_rpc.v1 import advisories_pb2
from pydantic import BaseModel, Field

from packyard.common.errors import InvalidArgument
from packyard.common.pb_fields import timestamp_to_pb
from packyard.gateway.auth.guards import AdminDep, FeedAdminDep
from packyard.gateway.backends import Backends
from packyard.gateway.clients.advisories import AdvisoryClient
from packyard.gateway.deps import BackendsDep
from packyard.gateway.page_cache import drop_pages

router = APIRouter()
_TAG = "supply chain"
Action = Literal["ignore", "warn", "block"]
_ACTION_TO_PB = {
    "ignore": advisories_pb2.POLICY_ACTION_IGNORE,
    "warn": advisories_pb2.POLICY_ACTION_WARN,
    "block": advisories_pb2.POLICY_ACTION_BLOCK,
}
_ACTION_FROM_PB: dict[int, Action] = {
    advisories_pb2.POLICY_ACTION_WARN: "warn",
    advisories_pb2.POLICY_ACTION_BLOCK: "block",
}


class AdvisoryBatch(BaseModel):
    source: str = Field(min_length=1, max_length=2000)
    records: list[dict[str, Any]] = Field(default_factory=list, max_length=2000)
    last: bool = False
    etag: str = ""


class ImportOut(BaseModel):
    stored: int
    skipped: int


class SourceOut(BaseModel):
    source: str
    etag: str
    imported: datetime | None


class PolicyBody(BaseModel):
    vulnerabilities: Action = "ignore"
    licenses: Action = "ignore"
    license_allow: list[str] = Field(default_factory=list, max_length=500)
    license_deny: list[str] = Field(default_factory=list, max_length=500)
    unknown_license: Action = "ignore"
    provenance_publishers: list[str] = Field(default_factory=list, max_length=100)


class PolicyOut(PolicyBody):
    feed: str

    @classmethod
    def from_pb(cls, policy: advisories_pb2.SupplyPolicy) -> PolicyOut:
        return cls(
            feed=policy.feed,
            vulnerabilities=_ACTION_FROM_PB.get(policy.vulnerabilities, "ignore"),
            licenses=_ACTION_FROM_PB.get(policy.licenses, "ignore"),
            license_allow=list(policy.license_allow),
            license_deny=list(policy.license_deny),
            unknown_license=_ACTION_FROM_PB.get(policy.unknown_license, "ignore"),
            provenance_publishers=list(policy.provenance_publishers),
        )


class ExceptionBody(BaseModel):
    advisory: str = Field(min_length=1, max_length=200)
    expires: datetime
    reason: str = Field(default="", max_length=1000)


class ExceptionOut(BaseModel):
    feed: str
    advisory: str
    expires: datetime


@router.post("/advisories/batches", tags=[_TAG], summary="Store OSV records (administrator)")
async def import_batch(body: AdvisoryBatch, caller: AdminDep, backends: BackendsDep) -> ImportOut:
    reply = await _client(backends).import_advisories(
        advisories_pb2.ImportAdvisoriesRequest(
            source=body.source,
            records=[json.dumps(r).encode() for r in body.records],
            last=body.last,
            etag=body.etag,
        )
    )
    return ImportOut(stored=reply.stored, skipped=reply.skipped)


@router.get("/advisories/source", tags=[_TAG], summary="Last import of a source")
async def get_source(source: str, caller: AdminDep, backends: BackendsDep) -> SourceOut:
    reply = await _client(backends).get_advisory_source(
        advisories_pb2.GetAdvisorySourceRequest(source=source)
    )
    imported = reply.imported.ToDatetime() if reply.HasField("imported") else None
    return SourceOut(source=source, etag=reply.etag, imported=imported)


@router.get("/feeds/{feed}/supply-policy", tags=[_TAG], summary="A feed's supply-chain policy")
async def get_policy(feed: str, caller: FeedAdminDep, backends: BackendsDep) -> PolicyOut:
    reply = await _client(backends).get_supply_policy(
        advisories_pb2.GetSupplyPolicyRequest(feed=feed)
    )
    return PolicyOut.from_pb(reply.policy)


@router.put("/feeds/{feed}/supply-policy", tags=[_TAG], summary="Set the policy (feed admin)")
async def set_policy(
    feed: str, body: PolicyBody, request: Request, caller: FeedAdminDep, backends: BackendsDep
) -> PolicyOut:
    policy = advisories_pb2.SupplyPolicy(
        feed=feed,
        vulnerabilities=_ACTION_TO_PB[body.vulnerabilities],
        licenses=_ACTION_TO_PB[body.licenses],
        license_allow=body.license_allow,
        license_deny=body.license_deny,
        unknown_license=_ACTION_TO_PB[body.unknown_license],
        provenance_publishers=body.provenance_publishers,
    )
    reply = await _client(backends).set_supply_policy(
        advisories_pb2.SetSupplyPolicyRequest(policy=policy)
    )
    drop_pages(request, feed)
    return PolicyOut.from_pb(reply.policy)


@router.post(
    "/feeds/{feed}/advisory-exceptions", tags=[_TAG], summary="Allow an advisory until a date"
)
async def add_exception(
    feed: str, body: ExceptionBody, request: Request, caller: FeedAdminDep, backends: BackendsDep
) -> ExceptionOut:
    if body.expires.tzinfo is None:
        raise InvalidArgument("expires needs a time zone (e.g. 2026-12-31T00:00:00Z).")
    reply = await _client(backends).add_advisory_exception(
        advisories_pb2.AddAdvisoryExceptionRequest(
            feed=feed, advisory=body.advisory, expires=timestamp_to_pb(body.expires),
            reason=body.reason,
        )
    )  # fmt: skip
    drop_pages(request, feed)
    return ExceptionOut(feed=feed, advisory=reply.advisory, expires=body.expires)


def _client(backends: Backends) -> AdvisoryClient:
    if backends.advisories is None:
        raise InvalidArgument("This gateway has no advisory service.")
    return backends.advisories
