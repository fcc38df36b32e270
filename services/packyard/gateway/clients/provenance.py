"""ProvenanceService (in the metadata process): PEP 740 provenance of hosted files."""

from __future__ import annotations

from packyard_rpc.v1 import provenance_pb2 as pb
from packyard_rpc.v1 import provenance_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class ProvenanceClient(Client, stub=provenance_pb2_grpc.ProvenanceServiceStub):
    sends_principal = True

    record_provenance = Unary[pb.RecordProvenanceRequest, pb.RecordProvenanceResponse]()
    get_provenance = Unary[pb.GetProvenanceRequest, pb.GetProvenanceResponse]()
    list_provenance = Unary[pb.ListProvenanceRequest, pb.ListProvenanceResponse]()
