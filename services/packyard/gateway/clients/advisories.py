"""AdvisoryService (in the metadata process): known vulnerabilities and feed policies."""

from __future__ import annotations

from packyard_rpc.v1 import advisories_pb2 as pb
from packyard_rpc.v1 import advisories_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class AdvisoryClient(Client, stub=advisories_pb2_grpc.AdvisoryServiceStub):
    sends_principal = True

    import_advisories = Unary[pb.ImportAdvisoriesRequest, pb.ImportAdvisoriesResponse]()
    get_advisory_source = Unary[pb.GetAdvisorySourceRequest, pb.GetAdvisorySourceResponse]()
    check_project = Unary[pb.CheckProjectRequest, pb.CheckProjectResponse]()
    get_supply_policy = Unary[pb.GetSupplyPolicyRequest, pb.GetSupplyPolicyResponse]()
    set_supply_policy = Unary[pb.SetSupplyPolicyRequest, pb.SetSupplyPolicyResponse]()
    add_advisory_exception = Unary[
        pb.AddAdvisoryExceptionRequest, pb.AddAdvisoryExceptionResponse
    ]()
