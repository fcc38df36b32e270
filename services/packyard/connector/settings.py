"""Settings of the connector service."""

from __future__ import annotations

from packyard.common.settings import GrpcServiceSettings


class ConnectorSettings(GrpcServiceSettings):
    # PACKYARD_LISTEN_ADDR: where the ConnectorService listens.
    listen_addr: str = "127.0.0.1:50053"
    # PACKYARD_METADATA_ADDR: the metadata service (feed connectors, listing cache).
    metadata_addr: str = "127.0.0.1:50051"
    # PACKYARD_BLOB_ADDR: the blob service (cached upstream files).
    blob_addr: str = "127.0.0.1:50052"
    # PACKYARD_NATS_URL: JetStream, for the events the connector publishes.
    nats_url: str = "nats://127.0.0.1:4222"
