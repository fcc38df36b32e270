"""gRPC RetentionService: decode the request, one domain call, encode the reply."""

from __future__ import annotations

import grpc
from packyard_rpc.v1 import common_pb2, governance_pb2, governance_pb2_grpc

from packyard.common.rights import Right
from packyard.metadata.callers import caller
from packyard.metadata.pb_common import audit_from_pb
from packyard.metadata.retention.models import RetentionRules, RetentionRun
from packyard.metadata.retention.service import RetentionService

RETENTION_SERVICE_NAME = "packyard.rpc.v1.RetentionService"

Context = grpc.aio.ServicerContext


def _rules_to_pb(rules: RetentionRules) -> governance_pb2.RetentionRules:
    return governance_pb2.RetentionRules(
        feed=rules.feed,
        keep_latest=rules.keep_latest or 0,
        prerelease_max_age_days=rules.prerelease_max_age_days or 0,
        cached_max_age_days=rules.cached_max_age_days or 0,
        quota_bytes=rules.quota_bytes or 0,
    )


def _rules_from_pb(pb: governance_pb2.RetentionRules) -> RetentionRules:
    # 0 turns a rule off (proto3 has no "unset" for scalars).
    return RetentionRules(
        feed=pb.feed,
        keep_latest=pb.keep_latest or None,
        prerelease_max_age_days=pb.prerelease_max_age_days or None,
        cached_max_age_days=pb.cached_max_age_days or None,
        quota_bytes=pb.quota_bytes or None,
    )


def _run_to_pb(run: RetentionRun) -> governance_pb2.RunRetentionResponse:
    return governance_pb2.RunRetentionResponse(
        removals=[
            governance_pb2.RetentionRemoval(
                project=r.project,
                version=r.version,
                filenames=list(r.filenames),
                bytes=r.bytes,
                reason=r.reason,
            )
            for r in run.removals
        ],
        bytes=run.bytes,
        dry_run=run.dry_run,
    )


class RetentionServicer(governance_pb2_grpc.RetentionServiceServicer):
    def __init__(self, service: RetentionService) -> None:
        self._service = service

    async def GetRetentionRules(
        self, request: governance_pb2.GetRetentionRulesRequest, context: Context
    ) -> governance_pb2.GetRetentionRulesResponse:
        await caller().require_read(request.feed)
        rules = await self._service.get_rules(request.feed)
        return governance_pb2.GetRetentionRulesResponse(rules=_rules_to_pb(rules))

    async def SetRetentionRules(
        self, request: governance_pb2.SetRetentionRulesRequest, context: Context
    ) -> governance_pb2.SetRetentionRulesResponse:
        caller().require_right(request.rules.feed, Right.ADMIN)
        rules = await self._service.set_rules(
            _rules_from_pb(request.rules), audit=audit_from_pb(common_pb2.AuditContext())
        )
        return governance_pb2.SetRetentionRulesResponse(rules=_rules_to_pb(rules))

    async def RunRetention(
        self, request: governance_pb2.RunRetentionRequest, context: Context
    ) -> governance_pb2.RunRetentionResponse:
        caller().require_right(request.feed, Right.ADMIN)
        run = await self._service.run(
            request.feed,
            dry_run=request.dry_run,
            include_promoted=request.include_promoted,
            audit=audit_from_pb(common_pb2.AuditContext()),
        )
        return _run_to_pb(run)
