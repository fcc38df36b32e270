"""Blob service settings come from PACKYARD_* variables."""

from __future__ import annotations

import pytest
from packyard.blob.settings import BlobSettings
from packyard.gateway.settings import GatewaySettings
from pydantic import ValidationError


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKYARD_S3_ENDPOINT", "s3.internal:9000")
    monkeypatch.setenv("PACKYARD_S3_ACCESS_KEY", "blob")
    monkeypatch.setenv("PACKYARD_S3_SECRET_KEY", "very-secret")
    monkeypatch.setenv("PACKYARD_S3_SECURE", "true")
    monkeypatch.setenv("PACKYARD_S3_BUCKET", "dists")
    monkeypatch.setenv("PACKYARD_LISTEN_ADDR", "0.0.0.0:6000")

    settings = BlobSettings()

    assert settings.s3_endpoint == "s3.internal:9000"
    assert settings.s3_access_key == "blob"
    assert settings.s3_secret_key.get_secret_value() == "very-secret"
    assert settings.s3_secure is True
    assert settings.s3_bucket == "dists"
    assert settings.listen_addr == "0.0.0.0:6000"
    assert "very-secret" not in repr(settings)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LISTEN_ADDR", "S3_BUCKET", "S3_SECURE", "KEY_PREFIX", "SPOOL_DIR"):
        monkeypatch.delenv(f"PACKYARD_{name}", raising=False)
    settings = BlobSettings(s3_access_key="blob", s3_secret_key="s3cret-of-its-own")  # type: ignore[arg-type]
    assert settings.listen_addr == "127.0.0.1:50052"
    assert settings.s3_bucket == "packyard"
    assert settings.s3_secure is False
    assert settings.key_prefix == ""
    # The system temporary directory, spelled as the gateway's PACKYARD_SPOOL_DIR spells it.
    assert settings.spool_dir == GatewaySettings().spool_dir == ""


@pytest.mark.parametrize(
    ("access_key", "secret_key", "reason"),
    [
        ("", "", "must be set"),
        ("minioadmin", "minioadmin", "well-known default secret"),
        ("packyard", "minio123", "well-known default secret"),
    ],
)
def test_missing_or_well_known_s3_credentials_are_refused(
    monkeypatch: pytest.MonkeyPatch, access_key: str, secret_key: str, reason: str
) -> None:
    monkeypatch.delenv("PACKYARD_S3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("PACKYARD_S3_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match=reason):
        BlobSettings(s3_access_key=access_key, s3_secret_key=secret_key)  # type: ignore[arg-type]
