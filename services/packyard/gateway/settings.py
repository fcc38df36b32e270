"""Settings of the gateway (the only HTTP surface)."""

from __future__ import annotations

from pydantic import Field

from packyard.common.settings import NatsClientSettings, ServiceSettings


class GatewaySettings(ServiceSettings, NatsClientSettings):
    # PACKYARD_HOST / PACKYARD_PORT: where the HTTP server listens.
    host: str = "127.0.0.1"
    port: int = 8080
    # PACKYARD_TRUSTED_PROXIES: comma-separated addresses or CIDRs of reverse proxies whose
    # Forwarded / X-Forwarded-For/-Proto/-Host headers give the client's address, scheme and
    # host (e.g. "10.0.0.0/8"; "" = trust no one: the peer is the client). See
    # trusted_proxies.py.
    trusted_proxies: str = ""
    # PACKYARD_METADATA_ADDR, PACKYARD_BLOB_ADDR, PACKYARD_CONNECTOR_ADDR: the gRPC services.
    metadata_addr: str = "127.0.0.1:50051"
    blob_addr: str = "127.0.0.1:50052"
    connector_addr: str = "127.0.0.1:50053"
    # PACKYARD_MAX_UPLOAD_SIZE: per-file limit in bytes, unless the feed sets its own.
    max_upload_size: int = 100 * 1000 * 1000
    # PACKYARD_SPOOL_DIR: where an upload body waits while it is validated ("" = system temp).
    spool_dir: str = ""
    # PACKYARD_RPC_TIMEOUT: seconds a unary call to another service may take.
    rpc_timeout: float = 30.0
    # PACKYARD_NATS_URL: where change events come from (core NATS). Without a connection the
    # gateway serves as usual, with no page cache and authentications cached for at most 0.5 s,
    # and keeps reconnecting in the background ("" = never connect).
    nats_url: str = "nats://127.0.0.1:4222"
    # PACKYARD_PAGE_CACHE_TTL: seconds a rendered page may be reused at most, even if its change
    # event is lost (0 = no page cache). PACKYARD_PAGE_CACHE_MAX_BYTES: memory the cache may use.
    page_cache_ttl: float = Field(default=5.0, ge=0)
    page_cache_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # PACKYARD_RECONCILE_INTERVAL: seconds between comparisons of the feeds' change serials with
    # those change events brought (one small metadata call); a feed whose change event was lost
    # has its cached pages dropped within two intervals (0 = never compare).
    reconcile_interval: float = Field(default=15.0, ge=0)
    # PACKYARD_AUTH_CACHE_TTL: seconds an authentication is reused while change events arrive
    # (revocation then takes effect on the event); at most 0.5 s while they do not.
    auth_cache_ttl: float = Field(default=3.0, ge=0)
    # PACKYARD_BLOB_CACHE_MAX_BYTES: disk the gateway may use for verified copies of files it
    # served (0 = none; see blob_cache.py), in a directory of its own made under
    # PACKYARD_BLOB_CACHE_DIR ("" = system temp) and removed at exit.
    blob_cache_max_bytes: int = Field(default=1024 * 1024 * 1024, ge=0)
    blob_cache_dir: str = ""
    # Server limits (see server_limits.py). PACKYARD_HEADER_TIMEOUT: seconds a client may take
    # to send its request headers. PACKYARD_BODY_TIMEOUT: seconds the body may pause; after as
    # long, it must average PACKYARD_MIN_BODY_RATE bytes/s (0 = no body timeout).
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=30.0, ge=0)
    min_body_rate: float = Field(default=1024.0, ge=0)
    # PACKYARD_KEEP_ALIVE_TIMEOUT: seconds an idle keep-alive connection stays open.
    keep_alive_timeout: float = Field(default=5.0, gt=0)
    # PACKYARD_MAX_CONNECTIONS: concurrent connections before new requests get 503 (0 = no
    # bound). PACKYARD_MAX_UPLOADS: concurrent uploads per gateway (0 = no bound).
    max_connections: int = Field(default=1000, ge=0)
    max_uploads: int = Field(default=32, ge=0)
    # PACKYARD_GATEWAY_WORKERS: gateway processes sharing the port (workers.py); 0 = one per
    # core, at most 4. The page cache's memory and the file copies' disk are split between the
    # workers; per-gateway bounds (connections, uploads, failed authentications per address)
    # apply to each worker.
    gateway_workers: int = Field(default=0, ge=0)
