"""The services the gateway calls: one channel per process for its lifetime, one typed client
per gRPC service (gateway/clients/)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from packyard.common.grpc import check_health, secure_channel
from packyard.common.tls_files import TlsFiles
from packyard.gateway.clients.access import AccessClient
from packyard.gateway.clients.advisories import AdvisoryClient
from packyard.gateway.clients.blob import BlobClient
from packyard.gateway.clients.catalog import CatalogClient
from packyard.gateway.clients.changes import ChangeClient
from packyard.gateway.clients.connector import ConnectorClient
from packyard.gateway.clients.governance import GovernanceClient, RetentionClient, WebhookClient
from packyard.gateway.clients.metadata import MetadataClient
from packyard.gateway.clients.provenance import ProvenanceClient
from packyard.gateway.clients.upstream import UpstreamClient
from packyard.gateway.settings import GatewaySettings


@dataclass(frozen=True)
class Backends:
    metadata: MetadataClient
    blob: BlobClient
    connector: ConnectorClient
    # Served by the metadata process, on the metadata channel.
    access: AccessClient
    catalog: CatalogClient
    upstream: UpstreamClient
    # Promotion and retention (metadata/promotion/, metadata/retention/).
    governance: GovernanceClient
    webhooks: WebhookClient
    retention: RetentionClient
    addrs: dict[str, str]
    timeout: float
    # The gateway's certificate, for health checks on fresh channels.
    tls: TlsFiles | None = None
    # The feeds' change serials (gateway/change_reconcile.py); on the metadata channel.
    changes: ChangeClient | None = None
    # Known vulnerabilities and feed policies (gateway/pypi/supply.py); on the metadata channel.
    advisories: AdvisoryClient | None = None
    # PEP 740 provenance of hosted files (gateway/pypi/provenance.py); on the metadata channel.
    provenance: ProvenanceClient | None = None

    async def unhealthy(self) -> list[str]:
        """Names of the services that do not report SERVING."""
        if self.tls is None:
            return list(self.addrs)
        tls = self.tls
        return [name for name, addr in self.addrs.items() if not await check_health(addr, tls)]


@contextlib.asynccontextmanager
async def open_backends(settings: GatewaySettings) -> AsyncIterator[Backends]:
    addrs = {
        "metadata": settings.metadata_addr,
        "blob": settings.blob_addr,
        "connector": settings.connector_addr,
    }
    tls = settings.tls()
    channels: dict[str, grpc.aio.Channel] = {n: secure_channel(a, tls) for n, a in addrs.items()}
    timeout = settings.rpc_timeout
    try:
        yield Backends(
            metadata=MetadataClient(channels["metadata"], timeout),
            blob=BlobClient(channels["blob"], timeout),
            connector=ConnectorClient(channels["connector"], timeout),
            access=AccessClient(channels["metadata"], timeout),
            catalog=CatalogClient(channels["metadata"], timeout),
            upstream=UpstreamClient(channels["metadata"], timeout),
            addrs=addrs,
            timeout=timeout,
            tls=tls,
            changes=ChangeClient(channels["metadata"], timeout),
            governance=GovernanceClient(channels["metadata"], timeout),
            webhooks=WebhookClient(channels["metadata"], timeout),
            retention=RetentionClient(channels["metadata"], timeout),
            advisories=AdvisoryClient(channels["metadata"], timeout),
            provenance=ProvenanceClient(channels["metadata"], timeout),
        )
    finally:
        for channel in channels.values():
            await channel.close(grace=None)
