"""The admin API's governance routes: promote a release to another feed, a feed's promotion
policy, its promotions.

Routes check the caller's right here first and the metadata service decides again (the
source's read right, the target's policy). The promotion flow is gateway/promotion.py, shared
with the web UI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from packyard_rpc.v1 import governance_pb2
from pydantic import BaseModel, Field

from packyard.gateway.auth.guards import FeedAdminDep
from packyard.gateway.deps import AuthDep, BackendsDep
from packyard.gateway.page_cache import drop_pages
from packyard.gateway.promotion import promote_release
from packyard.protocol.names import normalize

router = APIRouter(prefix="/api/v1")
_TAG = "governance"


class PromoteBody(BaseModel):
    target: str = Field(description="the feed to copy the release into")
    force: bool = Field(False, description="promote a yanked release too")


class PromotedFile(BaseModel):
    filename: str
    sha256: str
    size: int


class PromotionOut(BaseModel):
    source: str
    target: str
    project: str
    version: str
    promoted: bool = Field(description="false: every file was already in the target")
    files: list[PromotedFile]


class PolicyBody(BaseModel):
    allowed_sources: list[str] = Field(
        default_factory=list, description="feeds that may promote into this one; empty: any"
    )
    require_promote_right: bool = Field(
        default=False,
        description="only principals with the promote right on this feed may promote into it",
    )


class PolicyOut(PolicyBody):
    feed: str


class PromotionRecordOut(BaseModel):
    source: str
    target: str
    project: str
    version: str
    actor: str
    files: int
    created: datetime | None


@router.post(
    "/feeds/{feed}/projects/{project}/releases/{version}/promote",
    tags=[_TAG],
    summary="Copy a release into another feed (read here, publish on the target)",
)
async def promote(
    feed: str, project: str, version: str, body: PromoteBody, request: Request,
    backends: BackendsDep, auth: AuthDep,
) -> PromotionOut:  # fmt: skip
    reply = await promote_release(
        request, backends, auth, feed, project, version, body.target, force=body.force
    )
    return PromotionOut(
        source=feed,
        target=body.target,
        project=normalize(project),
        version=version,
        promoted=reply.promoted,
        files=[
            PromotedFile(filename=f.filename, sha256=f.hashes.sha256, size=f.size)
            for f in reply.files
        ],
    )


@router.get(
    "/feeds/{feed}/promotion-policy", tags=[_TAG], summary="Which feeds may promote into a feed"
)
async def get_policy(
    feed: str, request: Request, auth: AuthDep, backends: BackendsDep
) -> PolicyOut:
    await auth.readable_feed(request, feed)
    reply = await backends.governance.get_promotion_policy(
        governance_pb2.GetPromotionPolicyRequest(feed=feed)
    )
    return _policy_out(reply.policy)


@router.put(
    "/feeds/{feed}/promotion-policy",
    tags=[_TAG],
    summary="Set which feeds may promote into a feed (feed admin)",
)
async def set_policy(
    feed: str, body: PolicyBody, caller: FeedAdminDep, backends: BackendsDep
) -> PolicyOut:
    reply = await backends.governance.set_promotion_policy(
        governance_pb2.SetPromotionPolicyRequest(
            policy=governance_pb2.PromotionPolicy(
                feed=feed,
                allowed_sources=body.allowed_sources,
                require_promote_right=body.require_promote_right,
            )
        )
    )
    return _policy_out(reply.policy)


def _policy_out(policy: governance_pb2.PromotionPolicy) -> PolicyOut:
    return PolicyOut(
        feed=policy.feed,
        allowed_sources=list(policy.allowed_sources),
        require_promote_right=policy.require_promote_right,
    )


@router.get(
    "/feeds/{feed}/promotions",
    tags=[_TAG],
    summary="Releases promoted into or out of a feed, newest first (feed admin)",
)
async def list_promotions(
    feed: str,
    caller: FeedAdminDep,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PromotionRecordOut]:
    reply = await backends.governance.list_promotions(
        governance_pb2.ListPromotionsRequest(feed=feed, limit=limit)
    )
    return [
        PromotionRecordOut(
            source=p.source_feed,
            target=p.target_feed,
            project=p.project,
            version=p.version,
            actor=p.actor,
            files=p.files,
            created=p.created.ToDatetime(tzinfo=UTC) if p.HasField("created") else None,
        )
        for p in reply.promotions
    ]


# Retention.


class RetentionRulesBody(BaseModel):
    keep_latest: int | None = Field(None, ge=1, description="keep the newest N versions")
    prerelease_max_age_days: int | None = Field(
        None, ge=1, description="remove pre-releases last uploaded more than N days ago"
    )
    cached_max_age_days: int | None = Field(
        None, ge=1, description="remove cached upstream files cached more than N days ago"
    )
    quota_bytes: int | None = Field(
        None, ge=1, description="keep hosted files under this size (least downloaded go first)"
    )


class RetentionRulesOut(RetentionRulesBody):
    feed: str


class RemovalOut(BaseModel):
    project: str
    version: str
    filenames: list[str]
    bytes: int
    reason: str


class RetentionRunOut(BaseModel):
    feed: str
    dry_run: bool
    bytes: int
    removals: list[RemovalOut]


def _rules_out(feed: str, pb: governance_pb2.RetentionRules) -> RetentionRulesOut:
    return RetentionRulesOut(
        feed=feed,
        keep_latest=pb.keep_latest or None,
        prerelease_max_age_days=pb.prerelease_max_age_days or None,
        cached_max_age_days=pb.cached_max_age_days or None,
        quota_bytes=pb.quota_bytes or None,
    )


@router.get("/feeds/{feed}/retention", tags=[_TAG], summary="A feed's retention rules")
async def get_retention(
    feed: str, caller: FeedAdminDep, backends: BackendsDep
) -> RetentionRulesOut:
    reply = await backends.retention.get_retention_rules(
        governance_pb2.GetRetentionRulesRequest(feed=feed)
    )
    return _rules_out(feed, reply.rules)


@router.put(
    "/feeds/{feed}/retention", tags=[_TAG], summary="Set a feed's retention rules (feed admin)"
)
async def set_retention(
    feed: str, body: RetentionRulesBody, caller: FeedAdminDep, backends: BackendsDep
) -> RetentionRulesOut:
    rules = governance_pb2.RetentionRules(feed=feed, **body.model_dump(exclude_none=True))
    reply = await backends.retention.set_retention_rules(
        governance_pb2.SetRetentionRulesRequest(rules=rules)
    )
    return _rules_out(feed, reply.rules)


@router.post(
    "/feeds/{feed}/retention/run",
    tags=[_TAG],
    summary="Apply the retention rules; ?dry_run=true lists what would go (feed admin)",
)
async def run_retention(
    feed: str,
    request: Request,
    caller: FeedAdminDep,
    backends: BackendsDep,
    dry_run: bool = False,
    include_promoted: bool = False,
) -> RetentionRunOut:
    reply = await backends.retention.run_retention(
        governance_pb2.RunRetentionRequest(
            feed=feed, dry_run=dry_run, include_promoted=include_promoted
        )
    )
    if not dry_run and reply.removals:
        drop_pages(request, feed)
    return RetentionRunOut(
        feed=feed,
        dry_run=reply.dry_run,
        bytes=reply.bytes,
        removals=[
            RemovalOut(
                project=r.project,
                version=r.version,
                filenames=list(r.filenames),
                bytes=r.bytes,
                reason=r.reason,
            )
            for r in reply.removals
        ],
    )
