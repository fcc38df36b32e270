"""CatalogService (in the metadata process): search, listings, statistics, downloads."""

from __future__ import annotations

from packyard_rpc.v1 import catalog_pb2 as pb
from packyard_rpc.v1 import catalog_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class CatalogClient(Client, stub=catalog_pb2_grpc.CatalogServiceStub):
    """The web UI's search, listings and statistics, the XML-RPC search pip sends, and the
    download counter (gateway/downloads.py), which records what the file route served.
    """

    sends_principal = True

    search = Unary[pb.SearchRequest, pb.SearchResponse]()
    list_feed_projects = Unary[pb.ListFeedProjectsRequest, pb.ListFeedProjectsResponse]()
    get_feed_stats = Unary[pb.GetFeedStatsRequest, pb.GetFeedStatsResponse]()
    list_recent_releases = Unary[pb.ListRecentReleasesRequest, pb.ListRecentReleasesResponse]()
    get_download_counts = Unary[pb.GetDownloadCountsRequest, pb.GetDownloadCountsResponse]()
    record_downloads = Unary[pb.RecordDownloadsRequest, pb.RecordDownloadsResponse]()
