"""The access table covers every RPC and says what the trust model says."""

from __future__ import annotations

from packyard.common.rpc_access import ANY, CLIENTS, RPC_ACCESS, is_allowed

from tests.fixtures.tls import IDENTITIES, all_methods


def test_every_method_has_a_row_and_every_row_a_method() -> None:
    methods = all_methods()
    assert len(methods) > 50
    missing = [m for m in methods if m not in RPC_ACCESS]
    assert not missing, f"decide who may call these in common/rpc_access.py: {missing}"
    stale = sorted(set(RPC_ACCESS) - set(methods))
    assert not stale, f"rows for methods that no longer exist: {stale}"


def test_rows_name_only_known_identities() -> None:
    known = {*IDENTITIES, ANY, CLIENTS} - {"client:ci"}
    for method, callers in RPC_ACCESS.items():
        assert callers and callers <= known, method


def callers(method: str) -> set[str]:
    return {identity for identity in IDENTITIES if is_allowed(identity, method)}


def test_only_the_gateway_turns_credentials_into_principals() -> None:
    assert callers("/packyard.rpc.v1.AccessService/Authenticate") == {"gateway"}
    # The deprecated twin, kept one release.
    assert callers("/packyard.rpc.v1.MetadataService/Authenticate") == {"gateway"}


def test_keys_are_created_by_the_gateway_the_operator_bootstrap_and_internal_clients() -> None:
    assert callers("/packyard.rpc.v1.MetadataService/CreateApiKey") == {"gateway", "operator"}
    # Internal clients within their key's rights: the metadata service decides from the
    # principal (tests/service/test_principals.py), an admin key needs a global administrator.
    assert callers("/packyard.rpc.v1.AccessService/CreateKey") == {
        "gateway",
        "operator",
        "client:ci",
    }


def test_only_metadata_deletes_blobs() -> None:
    assert callers("/packyard.rpc.v1.BlobService/DeleteBlob") == {"metadata"}


def test_only_the_connector_records_what_it_fetched() -> None:
    assert callers("/packyard.rpc.v1.UpstreamService/RecordUpstreamOrigin") == {"connector"}
    assert callers("/packyard.rpc.v1.UpstreamService/RecordBackfilledMetadata") == {"connector"}
    assert callers("/packyard.rpc.v1.BlobService/PutBlob") == {"gateway", "connector"}


# What an internal client may call, always as the principal of its key (issue 11 item 3).
CLIENT_SURFACE = {
    f"/packyard.rpc.v1.{method}"
    for method in (
        "MetadataService/GetFeed",
        "MetadataService/ListFeeds",
        "MetadataService/ListProjects",
        "MetadataService/GetProject",
        "MetadataService/GetFile",
        "MetadataService/RegisterFile",
        "MetadataService/SetReleaseYanked",
        "MetadataService/DeleteFile",
        "MetadataService/DeleteRelease",
        "AccessService/CreateKey",
        "AccessService/ListKeys",
        "AccessService/RevokeKey",
        "CatalogService/Search",
        "CatalogService/ListFeedProjects",
        "CatalogService/GetDownloadCounts",
        "CatalogService/ListRecentReleases",
        "GovernanceService/PromoteRelease",
        "GovernanceService/GetPromotionPolicy",
    )
}


def test_health_and_reflection_are_open_to_every_identity_and_clients_get_the_public_surface() -> (
    None
):
    for method in all_methods():
        if method.startswith(("/grpc.health.v1.Health/", "/grpc.reflection.")):
            assert callers(method) == set(IDENTITIES)
        else:
            assert ("client:ci" in callers(method)) == (method in CLIENT_SURFACE), method
            assert "blob" not in callers(method), method


def test_every_client_name_gets_the_same_surface() -> None:
    for method in CLIENT_SURFACE:
        assert is_allowed("client:release-bot", method)
    assert not is_allowed("client:release-bot", "/packyard.rpc.v1.AccessService/Authenticate")


def test_no_identity_is_not_allowed_anything() -> None:
    assert not any(is_allowed(None, method) for method in all_methods())
    assert not is_allowed("gateway", "/packyard.rpc.v1.MetadataService/NoSuchMethod")
