"""The client distribution's pure parts: settings from arguments and PACKYARD_RPC_*, the
service config it gives every channel, and the status-to-exception table."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from packyard.common.rpc_access import CLIENTS, RPC_ACCESS
from packyard_rpc import (
    Conflict,
    NotFound,
    PackyardRpcError,
    PermissionDenied,
    Settings,
    SettingsError,
    Unavailable,
)
from packyard_rpc.errors import from_status
from packyard_rpc.service_config import IDEMPOTENT, channel_options, service_config


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    files = {}
    for name in ("ca", "cert", "key"):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(f"{name} bytes".encode())
        files[name] = str(path)
    return files


def test_settings_come_from_the_environment(pem_files: dict[str, str]) -> None:
    env = {
        "PACKYARD_RPC_TARGET": "dns:///metadata:50051",
        "PACKYARD_RPC_API_KEY": "pky_a_b",
        "PACKYARD_RPC_CA": pem_files["ca"],
        "PACKYARD_RPC_CERT": pem_files["cert"],
        "PACKYARD_RPC_KEY": pem_files["key"],
        "PACKYARD_RPC_TIMEOUT": "2.5",
    }
    settings = Settings.resolve(env=env)
    assert settings.target == "dns:///metadata:50051"
    assert settings.api_key == "pky_a_b"
    assert (settings.ca, settings.cert, settings.key) == (b"ca bytes", b"cert bytes", b"key bytes")
    assert settings.timeout == 2.5


def test_arguments_win_over_the_environment(pem_files: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    other.write_bytes(b"other ca")
    env = {
        "PACKYARD_RPC_API_KEY": "from-env",
        **{f"PACKYARD_RPC_{k.upper()}": v for k, v in pem_files.items()},
    }
    settings = Settings.resolve("h:1", api_key="from-arg", ca=other, env=env)
    assert (settings.target, settings.api_key, settings.ca) == ("h:1", "from-arg", b"other ca")
    assert settings.timeout == 10.0


def test_missing_tls_files_are_named(pem_files: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="PACKYARD_RPC_CERT"):
        Settings.resolve(ca=pem_files["ca"], key=pem_files["key"], env={})
    with pytest.raises(SettingsError, match="cannot read the key file"):
        Settings.resolve(ca=pem_files["ca"], cert=pem_files["cert"], key="/nonexistent", env={})


def test_only_public_reads_are_retried() -> None:
    retried = {f"/packyard.rpc.v1.{s}/{m}" for s, methods in IDEMPOTENT.items() for m in methods}
    assert retried <= {m for m, callers in RPC_ACCESS.items() if CLIENTS in callers}
    assert all(m.rsplit("/", 1)[1].startswith(("Get", "List", "Search")) for m in retried)


def test_the_channel_balances_round_robin_with_a_deadline_for_every_call() -> None:
    config = service_config(3.0)
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    retried, default = config["methodConfig"]  # type: ignore[misc]
    assert retried["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert retried["timeout"] == default["timeout"] == "3.000s"
    assert default["name"] == [{}]
    options = dict(channel_options(3.0, "metadata"))
    assert json.loads(str(options["grpc.service_config"])) == config
    assert options["grpc.ssl_target_name_override"] == "metadata"


def test_status_codes_map_to_a_few_exceptions() -> None:
    assert isinstance(from_status(grpc.StatusCode.NOT_FOUND, "x"), NotFound)
    assert isinstance(from_status(grpc.StatusCode.PERMISSION_DENIED, "x"), PermissionDenied)
    assert isinstance(from_status(grpc.StatusCode.ALREADY_EXISTS, "x"), Conflict)
    assert isinstance(from_status(grpc.StatusCode.DEADLINE_EXCEEDED, "x"), Unavailable)
    internal = from_status(grpc.StatusCode.INTERNAL, "Internal error.")
    assert type(internal) is PackyardRpcError
    # Still a grpc.RpcError, so code written against plain grpcio keeps working.
    assert isinstance(internal, grpc.RpcError)
    assert (internal.code(), internal.details()) == (grpc.StatusCode.INTERNAL, "Internal error.")
