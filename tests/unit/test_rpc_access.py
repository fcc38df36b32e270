"""The access table covers every RPC and says what the trust model says."""

from __future__ import annotations

from packyard.common.rpc_access import ANY, RPC_ACCESS, is_allowed

from tests.fixtures.tls import IDENTITIES, all_methods


def test_every_method_has_a_row_and_every_row_a_method() -> None:
    methods = all_methods()
    assert len(methods) > 50
    missing = [m for m in methods if m not in RPC_ACCESS]
    assert not missing, f"decide who may call these in common/rpc_access.py: {missing}"
    stale = sorted(set(RPC_ACCESS) - set(methods))
    assert not stale, f"rows for methods that no longer exist: {stale}"


def test_rows_name_only_known_identities() -> None:
    known = {*IDENTITIES, ANY} - {"client:ci"}
    for method, callers in RPC_ACCESS.items():
        assert callers and callers <= known, method


def callers(method: str) -> set[str]:
    return {identity for identity in IDENTITIES if is_allowed(identity, method)}


def test_only_the_gateway_turns_credentials_into_principals() -> None:
    assert callers("/packyard.rpc.v1.AccessService/Authenticate") == {"gateway"}
    # The deprecated twin, kept one release.
    assert callers("/packyard.rpc.v1.MetadataService/Authenticate") == {"gateway"}


def test_admin_keys_are_created_by_the_gateway_and_the_operator_bootstrap_only() -> None:
    assert callers("/packyard.rpc.v1.MetadataService/CreateApiKey") == {"gateway", "operator"}
    assert callers("/packyard.rpc.v1.AccessService/CreateKey") == {"gateway", "operator"}


def test_only_metadata_deletes_blobs() -> None:
    assert callers("/packyard.rpc.v1.BlobService/DeleteBlob") == {"metadata"}


def test_only_the_connector_records_what_it_fetched() -> None:
    assert callers("/packyard.rpc.v1.UpstreamService/RecordUpstreamOrigin") == {"connector"}
    assert callers("/packyard.rpc.v1.UpstreamService/RecordBackfilledMetadata") == {"connector"}
    assert callers("/packyard.rpc.v1.BlobService/PutBlob") == {"gateway", "connector"}


def test_health_is_open_to_every_identity_and_nothing_else_is() -> None:
    for method in all_methods():
        if method.startswith("/grpc.health.v1.Health/"):
            assert callers(method) == set(IDENTITIES)
        else:
            assert "client:ci" not in callers(method), method
            assert "blob" not in callers(method), method


def test_no_identity_is_not_allowed_anything() -> None:
    assert not any(is_allowed(None, method) for method in all_methods())
    assert not is_allowed("gateway", "/packyard.rpc.v1.MetadataService/NoSuchMethod")
