"""gRPC AdvisoryService: decode the request, check the caller's right, make one domain call."""

from __future__ import annotations

from datetime import UTC

import asyncpg
import grpc
from packyard_rpc.v1 import advisories_pb2 as pb
from packyard_rpc.v1 import advisories_pb2_grpc

from packyard.common.errors import InvalidArgument
from packyard.common.pb_fields import timestamp_to_pb
from packyard.common.rights import Right
from packyard.metadata.advisories.models import PolicyAction, SupplyPolicy, VersionFindings
from packyard.metadata.advisories.service import AdvisoryService
from packyard.metadata.callers import caller

ADVISORY_SERVICE_NAME = "packyard.rpc.v1.AdvisoryService"

Context = grpc.aio.ServicerContext

_ACTION_TO_PB = {
    PolicyAction.IGNORE: pb.POLICY_ACTION_IGNORE,
    PolicyAction.WARN: pb.POLICY_ACTION_WARN,
    PolicyAction.BLOCK: pb.POLICY_ACTION_BLOCK,
}
_ACTION_FROM_PB = {value: key for key, value in _ACTION_TO_PB.items()}
_ACTION_FROM_PB[pb.POLICY_ACTION_UNSPECIFIED] = PolicyAction.IGNORE


def _policy_to_pb(policy: SupplyPolicy) -> pb.SupplyPolicy:
    return pb.SupplyPolicy(
        feed=policy.feed,
        vulnerabilities=_ACTION_TO_PB[policy.vulnerabilities],
        licenses=_ACTION_TO_PB[policy.licenses],
        license_allow=policy.license_allow,
        license_deny=policy.license_deny,
        unknown_license=_ACTION_TO_PB[policy.unknown_license],
        provenance_publishers=policy.provenance_publishers,
    )


def _action(value: pb.PolicyAction) -> PolicyAction:
    action = _ACTION_FROM_PB.get(value)
    if action is None:
        raise InvalidArgument("Unknown policy action.")
    return action


def _policy_from_pb(message: pb.SupplyPolicy) -> SupplyPolicy:
    return SupplyPolicy(
        message.feed,
        vulnerabilities=_action(message.vulnerabilities),
        licenses=_action(message.licenses),
        license_allow=tuple(message.license_allow),
        license_deny=tuple(message.license_deny),
        unknown_license=_action(message.unknown_license),
        provenance_publishers=tuple(message.provenance_publishers),
    )


def _findings_to_pb(found: VersionFindings) -> pb.VersionVulnerabilities:
    return pb.VersionVulnerabilities(
        version=found.version,
        vulnerabilities=[
            pb.Vulnerability(
                id=f.id, aliases=f.aliases, summary=f.summary, details=f.details, link=f.link,
                fixed_in=f.fixed_in, excepted=f.excepted,
            )
            for f in found.vulnerabilities
        ],
    )  # fmt: skip


class AdvisoryServicer(advisories_pb2_grpc.AdvisoryServiceServicer):
    def __init__(self, service: AdvisoryService) -> None:
        self._service = service

    async def ImportAdvisories(
        self, request: pb.ImportAdvisoriesRequest, context: Context
    ) -> pb.ImportAdvisoriesResponse:
        caller().require_admin()
        counts = await self._service.import_batch(
            request.source, list(request.records), last=request.last, etag=request.etag
        )
        return pb.ImportAdvisoriesResponse(stored=counts.stored, skipped=counts.skipped)

    async def GetAdvisorySource(
        self, request: pb.GetAdvisorySourceRequest, context: Context
    ) -> pb.GetAdvisorySourceResponse:
        caller().require_admin()
        found = await self._service.source(request.source)
        if found is None:
            return pb.GetAdvisorySourceResponse()
        etag, imported = found
        return pb.GetAdvisorySourceResponse(etag=etag, imported=timestamp_to_pb(imported))

    async def CheckProject(
        self, request: pb.CheckProjectRequest, context: Context
    ) -> pb.CheckProjectResponse:
        await caller().require_read(request.feed)
        policy, found = await self._service.check_project(
            request.feed, request.project, list(request.versions)
        )
        return pb.CheckProjectResponse(
            policy=_policy_to_pb(policy), versions=[_findings_to_pb(f) for f in found]
        )

    async def GetSupplyPolicy(
        self, request: pb.GetSupplyPolicyRequest, context: Context
    ) -> pb.GetSupplyPolicyResponse:
        await caller().require_read(request.feed)
        policy = await self._service.get_policy(request.feed)
        return pb.GetSupplyPolicyResponse(policy=_policy_to_pb(policy))

    async def SetSupplyPolicy(
        self, request: pb.SetSupplyPolicyRequest, context: Context
    ) -> pb.SetSupplyPolicyResponse:
        caller().require_right(request.policy.feed, Right.ADMIN)
        policy = await self._service.set_policy(_policy_from_pb(request.policy), caller().audit())
        return pb.SetSupplyPolicyResponse(policy=_policy_to_pb(policy))

    async def AddAdvisoryException(
        self, request: pb.AddAdvisoryExceptionRequest, context: Context
    ) -> pb.AddAdvisoryExceptionResponse:
        caller().require_right(request.feed, Right.ADMIN)
        if not request.HasField("expires"):
            raise InvalidArgument("An exception needs an expiry.")
        advisory = await self._service.add_exception(
            request.feed,
            request.advisory,
            request.expires.ToDatetime(tzinfo=UTC),
            request.reason,
            caller().audit(),
        )
        return pb.AddAdvisoryExceptionResponse(advisory=advisory)


def add_advisory_service(
    server: grpc.aio.Server, pool: asyncpg.Pool, acquire_timeout: float
) -> str:
    """Serve AdvisoryService on ``server``; returns its name for the health service."""
    advisories_pb2_grpc.add_AdvisoryServiceServicer_to_server(
        AdvisoryServicer(AdvisoryService(pool, acquire_timeout=acquire_timeout)), server
    )
    return ADVISORY_SERVICE_NAME
