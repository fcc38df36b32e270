"""MetadataService: feeds, projects, files and releases."""

from __future__ import annotations

from packyard_rpc.v1 import metadata_pb2 as pb
from packyard_rpc.v1 import metadata_pb2_grpc

from packyard.gateway.clients.calls import Client, ServerStream, Unary


class MetadataClient(Client, stub=metadata_pb2_grpc.MetadataServiceStub):
    """Used by every area: the read path (projects, files), uploads (RegisterFile), the admin
    API's feed and release changes."""

    sends_principal = True

    list_feeds = Unary[pb.ListFeedsRequest, pb.ListFeedsResponse]()
    get_feed = Unary[pb.GetFeedRequest, pb.GetFeedResponse]()
    create_feed = Unary[pb.CreateFeedRequest, pb.CreateFeedResponse]()
    update_feed = Unary[pb.UpdateFeedRequest, pb.UpdateFeedResponse]()
    delete_feed = Unary[pb.DeleteFeedRequest, pb.DeleteFeedResponse]()
    get_project = Unary[pb.GetProjectRequest, pb.GetProjectResponse]()
    get_file = Unary[pb.GetFileRequest, pb.GetFileResponse]()
    register_file = Unary[pb.RegisterFileRequest, pb.RegisterFileResponse]()
    set_release_yanked = Unary[pb.SetReleaseYankedRequest, pb.SetReleaseYankedResponse]()
    delete_release = Unary[pb.DeleteReleaseRequest, pb.DeleteReleaseResponse]()
    delete_file = Unary[pb.DeleteFileRequest, pb.DeleteFileResponse]()
    set_project_status = Unary[pb.SetProjectStatusRequest, pb.SetProjectStatusResponse]()
    list_projects = ServerStream[pb.ListProjectsRequest, pb.ListProjectsResponse]()
