"""Settings of the connector service."""

from __future__ import annotations

from pydantic import Field

from packyard.common.settings import GrpcServiceSettings


class ConnectorSettings(GrpcServiceSettings):
    # PACKYARD_LISTEN_ADDR: where the ConnectorService listens.
    listen_addr: str = "127.0.0.1:50053"
    # PACKYARD_METADATA_ADDR: the metadata service (feed connectors; the store of listings,
    # cached files and backfilled metadata).
    metadata_addr: str = "127.0.0.1:50051"
    # PACKYARD_BLOB_ADDR: the blob service (cached upstream files).
    blob_addr: str = "127.0.0.1:50052"
    # PACKYARD_UPSTREAM_TIMEOUT: seconds an upstream may take to connect or to send the next
    # bytes; a listing request as a whole gets the same budget. Past it, a stale listing is
    # served (with a header saying so) or the request fails with 504.
    upstream_timeout: float = Field(default=10.0, gt=0)
    # PACKYARD_UPSTREAM_MAX_STALE: seconds past its TTL a listing may still be served while
    # its upstream fails (stale-if-error window).
    upstream_max_stale: float = Field(default=7 * 24 * 3600.0, ge=0)
    # PACKYARD_UPSTREAM_NEGATIVE_TTL: seconds an upstream 404 is remembered.
    upstream_negative_ttl: float = Field(default=60.0, ge=0)
    # PACKYARD_UPSTREAM_MAX_LISTING_BYTES: larger project pages are refused (502).
    upstream_max_listing_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    # PACKYARD_UPSTREAM_MAX_FILE_SIZE: larger upstream files are refused (502).
    upstream_max_file_size: int = Field(default=4 * 1024 * 1024 * 1024, gt=0)
    # PACKYARD_UPSTREAM_MAX_REDIRECTS: redirects followed (each checked against the allow-list).
    upstream_max_redirects: int = Field(default=5, ge=0)
    # PACKYARD_BREAKER_FAILURES / PACKYARD_BREAKER_COOLDOWN: after this many consecutive
    # failures an upstream is not contacted for the cooldown (seconds); then one probe.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown: float = Field(default=30.0, ge=0)
    # PACKYARD_NAME_LIST_INTERVAL: seconds between refreshes of the project-name list of each
    # connector that keeps one (revalidated with its ETag); 0 turns the refresher off.
    name_list_interval: float = Field(default=6 * 3600.0, ge=0)
    # PACKYARD_NAME_LIST_MAX_BYTES: larger root index pages are refused (PyPI's is ~30 MB).
    name_list_max_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    # PACKYARD_CONNECTORS_TTL: seconds the connector list of a feed is cached in process.
    connectors_ttl: float = Field(default=2.0, ge=0)
    # PACKYARD_RPC_TIMEOUT: seconds for calls to the metadata and blob services.
    rpc_timeout: float = Field(default=10.0, gt=0)
