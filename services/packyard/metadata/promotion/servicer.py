"""gRPC GovernanceService (promotion part): decode the request, one domain call, encode."""

from __future__ import annotations

import asyncpg
import grpc
from packyard_rpc.v1 import common_pb2, governance_pb2, governance_pb2_grpc

from packyard.common.pb_fields import to_pb
from packyard.common.rights import Right
from packyard.metadata.callers import caller
from packyard.metadata.index.interface import FileRecord, Origin
from packyard.metadata.pb_common import audit_from_pb
from packyard.metadata.promotion.models import Promotion, PromotionPolicy, PromotionRequest
from packyard.metadata.promotion.service import PromotionService

GOVERNANCE_SERVICE_NAME = "packyard.rpc.v1.GovernanceService"

_ORIGIN_TO_PB = {
    Origin.HOSTED: common_pb2.ORIGIN_HOSTED,
    Origin.UPSTREAM: common_pb2.ORIGIN_UPSTREAM,
}

Context = grpc.aio.ServicerContext


def _file_to_pb(file: FileRecord) -> common_pb2.FileInfo:
    return to_pb(
        common_pb2.FileInfo,
        file,
        hashes=to_pb(common_pb2.Hashes, file),
        origin=_ORIGIN_TO_PB[file.origin],
    )


def _policy_to_pb(policy: PromotionPolicy) -> governance_pb2.PromotionPolicy:
    return governance_pb2.PromotionPolicy(
        feed=policy.feed,
        allowed_sources=list(policy.allowed_sources),
        require_promote_right=policy.require_promote_right,
    )


def _promotion_to_pb(promotion: Promotion) -> governance_pb2.Promotion:
    return to_pb(governance_pb2.Promotion, promotion)


class GovernanceServicer(governance_pb2_grpc.GovernanceServiceServicer):
    def __init__(self, promotion: PromotionService) -> None:
        self._promotion = promotion

    async def PromoteRelease(
        self, request: governance_pb2.PromoteReleaseRequest, context: Context
    ) -> governance_pb2.PromoteReleaseResponse:
        # Promoting is copying into the target what the caller may read in the source: with
        # the promote right on the target, or publish (unless the target's policy refuses it).
        await caller().require_read(request.source_feed)
        promote_right = caller().holds(request.target_feed, Right.PROMOTE)
        if not promote_right:
            caller().require_right(request.target_feed, Right.PUBLISH, wanted=Right.PROMOTE)
        result = await self._promotion.promote(
            PromotionRequest(
                request.source_feed,
                request.target_feed,
                request.project,
                request.version,
                request.force,
                promote_right,
            ),
            audit=audit_from_pb(common_pb2.AuditContext()),
        )
        return governance_pb2.PromoteReleaseResponse(
            files=[_file_to_pb(f) for f in result.files], promoted=result.promoted
        )

    async def GetPromotionPolicy(
        self, request: governance_pb2.GetPromotionPolicyRequest, context: Context
    ) -> governance_pb2.GetPromotionPolicyResponse:
        await caller().require_read(request.feed)
        policy = await self._promotion.get_policy(request.feed)
        return governance_pb2.GetPromotionPolicyResponse(policy=_policy_to_pb(policy))

    async def SetPromotionPolicy(
        self, request: governance_pb2.SetPromotionPolicyRequest, context: Context
    ) -> governance_pb2.SetPromotionPolicyResponse:
        caller().require_right(request.policy.feed, Right.ADMIN)
        policy = await self._promotion.set_policy(
            PromotionPolicy(
                request.policy.feed,
                tuple(request.policy.allowed_sources),
                request.policy.require_promote_right,
            ),
            audit=audit_from_pb(common_pb2.AuditContext()),
        )
        return governance_pb2.SetPromotionPolicyResponse(policy=_policy_to_pb(policy))

    async def ListPromotions(
        self, request: governance_pb2.ListPromotionsRequest, context: Context
    ) -> governance_pb2.ListPromotionsResponse:
        caller().require_right(request.feed, Right.ADMIN)
        found = await self._promotion.list_promotions(request.feed, request.limit)
        return governance_pb2.ListPromotionsResponse(
            promotions=[_promotion_to_pb(p) for p in found]
        )


def add_governance_service(server: grpc.aio.Server, pool: asyncpg.Pool, timeout: float) -> str:
    """Serve GovernanceService on ``server``; returns its name for health."""
    servicer = GovernanceServicer(PromotionService(pool, acquire_timeout=timeout))
    governance_pb2_grpc.add_GovernanceServiceServicer_to_server(servicer, server)
    return GOVERNANCE_SERVICE_NAME
