"""Which identity may call which gRPC method: the one table every server enforces.

The identity is the subject common name of the caller's verified client certificate
(common/tls.py). A method missing from the table is denied to everyone; tests/unit/
test_rpc_access.py fails when a service method has no row, so a new RPC cannot ship without a
decision. Adding a method is one row: its full name and the identities that may call it.
"""

from __future__ import annotations

GATEWAY = "gateway"
METADATA = "metadata"
BLOB = "blob"
CONNECTOR = "connector"
# `packyard up`'s first-start bootstrap (the feed `main` and the admin key).
OPERATOR = "operator"
# Any identity with a certificate from the CA, internal clients included.
ANY = "*"
# Internal clients: ``client:NAME`` certificates. They act as the principal of the API key
# they send (``authorization: Bearer``), and the metadata service decides each call from its
# rights (metadata/callers.py) exactly as the HTTP API would.
CLIENT_PREFIX = "client:"
CLIENTS = "client:*"

_V1 = "/packyard.rpc.v1."


def _rows(service: str, callers: frozenset[str], *methods: str) -> dict[str, frozenset[str]]:
    return {f"{_V1}{service}/{method}": callers for method in methods}


_GATEWAY = frozenset({GATEWAY})
_GATEWAY_CONNECTOR = frozenset({GATEWAY, CONNECTOR})
_CONNECTOR = frozenset({CONNECTOR})
_GATEWAY_OPERATOR = frozenset({GATEWAY, OPERATOR})
_GATEWAY_CLIENTS = frozenset({GATEWAY, CLIENTS})
_GATEWAY_OPERATOR_CLIENTS = frozenset({GATEWAY, OPERATOR, CLIENTS})

RPC_ACCESS: dict[str, frozenset[str]] = {
    # Probes (compose, Helm, `packyard up`, the gateway's /readyz) run with any certificate.
    "/grpc.health.v1.Health/Check": frozenset({ANY}),
    "/grpc.health.v1.Health/Watch": frozenset({ANY}),
    "/grpc.health.v1.Health/List": frozenset({ANY}),
    # Reflection (common/grpc.py): generic tools list and describe the services; it reveals
    # only the public protos' shapes, and each method it names keeps its own row here.
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": frozenset({ANY}),
    # MetadataService: the gateway serves every HTTP route from it; internal clients read,
    # publish and yank within their key's rights. Authenticate and CreateApiKey are the
    # deprecated twins of AccessService's, kept one release.
    **_rows(
        "MetadataService",
        _GATEWAY_CLIENTS,
        "GetFeed",
        "ListFeeds",
        "ListProjects",
        "GetProject",
        "GetFile",
        "RegisterFile",
        "SetReleaseYanked",
        "DeleteFile",
        "DeleteRelease",
    ),
    **_rows(
        "MetadataService",
        _GATEWAY,
        "SetProjectStatus",
        "Authenticate",
        "UpdateFeed",
        "DeleteFeed",
    ),
    **_rows("MetadataService", _GATEWAY_OPERATOR, "CreateFeed", "CreateApiKey"),
    # AccessService: only the gateway turns a credential into a principal (Authenticate); users,
    # keys, permissions and audit for its admin API; the first admin key of `packyard up`;
    # internal clients' keys within their rights.
    **_rows(
        "AccessService",
        _GATEWAY,
        "Authenticate",
        "CreateUser",
        "GetUser",
        "ListUsers",
        "UpdateUser",
        "DeleteUser",
        "SetPermission",
        "DeletePermission",
        "ListPermissions",
        "ListAuditEvents",
        "StartSession",
        "ResolveSession",
        "EndSession",
    ),
    **_rows("AccessService", _GATEWAY_CLIENTS, "ListKeys", "RevokeKey"),
    **_rows("AccessService", _GATEWAY_OPERATOR_CLIENTS, "CreateKey"),
    # CatalogService: the web UI; internal clients search and list what they may read.
    **_rows(
        "CatalogService",
        _GATEWAY_CLIENTS,
        "Search",
        "ListFeedProjects",
        "GetDownloadCounts",
        "ListRecentReleases",
    ),
    **_rows("CatalogService", _GATEWAY, "GetFeedStats", "RecordDownloads"),
    # AdvisoryService: the gateway applies feed policies and serves the admin API's import,
    # policy and exception routes (not yet part of the internal clients' public surface).
    **_rows(
        "AdvisoryService",
        _GATEWAY,
        "ImportAdvisories",
        "GetAdvisorySource",
        "CheckProject",
        "GetSupplyPolicy",
        "SetSupplyPolicy",
        "AddAdvisoryException",
    ),
    # ProvenanceService: the gateway records what it verified at upload and serves it.
    **_rows("ProvenanceService", _GATEWAY, "RecordProvenance", "GetProvenance", "ListProvenance"),
    # ChangeService: gateways reconcile their page caches against the feeds' change serials.
    **_rows("ChangeService", _GATEWAY, "GetChangeSerials"),
    # UpstreamService: the gateway administers connectors and reads what the connector
    # cached; only the connector records what it fetched and verified.
    **_rows(
        "UpstreamService",
        _GATEWAY,
        "AddConnector",
        "UpdateConnector",
        "RemoveConnector",
        "SetProjectOrigin",
        "SetFeedOrigin",
        "GetFeedOrigin",
        "GetConnectorHealth",
    ),
    **_rows(
        "UpstreamService",
        _GATEWAY_CONNECTOR,
        "ListConnectors",
        "GetCachedFile",
        "GetOriginPolicy",
        "GetUpstreamDescription",
    ),
    **_rows(
        "UpstreamService",
        _CONNECTOR,
        "RecordUpstreamDescription",
        "RecordConnectorHealth",
        "ListNameListsDue",
        "RecordUpstreamNames",
        "GetUpstreamState",
        "RecordUpstreamOrigin",
        "RecordBackfilledMetadata",
        "RecordListing",
        "RecordCachedFile",
    ),
    # BlobService: uploads (gateway) and cached upstream files (connector) are written;
    # metadata's own garbage collection and scrubber list, verify and delete (nobody else).
    **_rows("BlobService", _GATEWAY_CONNECTOR, "PutBlob", "GetBlob", "StatBlob"),
    **_rows("BlobService", frozenset({METADATA}), "DeleteBlob", "ListBlobs", "VerifyBlob"),
    # GovernanceService: promotion for the admin API, the UI and internal clients (a release
    # pipeline promotes with its key); the policy of a feed through the admin API.
    **_rows("GovernanceService", _GATEWAY_CLIENTS, "PromoteRelease", "GetPromotionPolicy"),
    **_rows("GovernanceService", _GATEWAY, "SetPromotionPolicy", "ListPromotions"),
    # WebhookService: the admin API.
    **_rows(
        "WebhookService",
        _GATEWAY,
        "CreateWebhook",
        "ListWebhooks",
        "DeleteWebhook",
        "ListWebhookDeliveries",
    ),
    # RetentionService: the admin API.
    **_rows("RetentionService", _GATEWAY, "GetRetentionRules", "SetRetentionRules", "RunRetention"),
    # ConnectorService: the gateway's proxy feeds.
    **_rows("ConnectorService", _GATEWAY, "GetUpstreamProject", "FetchFile", "FetchMetadata"),
}


def is_allowed(identity: str | None, method: str) -> bool:
    """True when ``identity`` may call ``method`` (a full name, ``/package.Service/Method``)."""
    if identity is None:
        return False
    callers = RPC_ACCESS.get(method, frozenset())
    if identity.startswith(CLIENT_PREFIX) and CLIENTS in callers:
        return True
    return ANY in callers or identity in callers
