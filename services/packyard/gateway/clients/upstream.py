"""UpstreamService (in the metadata process): connectors, cached files, origin controls."""

from __future__ import annotations

from packyard_rpc.v1 import upstream_pb2 as pb
from packyard_rpc.v1 import upstream_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class UpstreamClient(Client, stub=upstream_pb2_grpc.UpstreamServiceStub):
    """The admin API's connectors and origin controls; the read path's cached upstream files and
    the upload's origin check (may this name be published here?). Its rows are written by the
    connector service, never by the gateway.
    """

    sends_principal = True

    list_connectors = Unary[pb.ListConnectorsRequest, pb.ListConnectorsResponse]()
    add_connector = Unary[pb.AddConnectorRequest, pb.AddConnectorResponse]()
    update_connector = Unary[pb.UpdateConnectorRequest, pb.UpdateConnectorResponse]()
    remove_connector = Unary[pb.RemoveConnectorRequest, pb.RemoveConnectorResponse]()
    get_feed_origin = Unary[pb.GetFeedOriginRequest, pb.GetFeedOriginResponse]()
    set_feed_origin = Unary[pb.SetFeedOriginRequest, pb.SetFeedOriginResponse]()
    get_origin_policy = Unary[pb.GetOriginPolicyRequest, pb.GetOriginPolicyResponse]()
    set_project_origin = Unary[pb.SetProjectOriginRequest, pb.SetProjectOriginResponse]()
    get_cached_file = Unary[pb.GetCachedFileRequest, pb.GetCachedFileResponse]()
    get_connector_health = Unary[pb.GetConnectorHealthRequest, pb.GetConnectorHealthResponse]()
    get_upstream_description = Unary[
        pb.GetUpstreamDescriptionRequest, pb.GetUpstreamDescriptionResponse
    ]()
