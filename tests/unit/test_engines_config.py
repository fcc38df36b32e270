"""Engine plumbing that needs no engine: ports, credentials, DSNs, child processes, the CLI."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from packyard.cli import _parser
from packyard.common.nats_access import NATS_USERS
from packyard.engines import EngineError
from packyard.engines.nats import load_or_create_passwords, server_config
from packyard.engines.ports import free_ports, port_is_free
from packyard.engines.postgres import database_url
from packyard.engines.process import EngineProcess
from packyard.engines.s3 import (
    load_or_create_credentials,
    load_or_create_security,
    volume_server_joined,
)
from packyard.engines.weed_tls import load_or_create_weed_tls


def test_port_is_free_sees_a_listening_socket() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)


def test_free_ports_are_distinct() -> None:
    ports = free_ports(8)
    assert len(set(ports)) == 8


def test_s3_credentials_are_made_once_and_kept_private(tmp_path: Path) -> None:
    config = tmp_path / "s3-identities.json"
    first = load_or_create_credentials(config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert load_or_create_credentials(config) == first
    assert len(first.secret_key) >= 32
    assert load_or_create_credentials(tmp_path / "other.json") != first


def test_database_url_keeps_socket_host() -> None:
    admin = "postgresql://postgres@/postgres?host=/srv/pk/run"
    assert database_url(admin, "test_1") == "postgresql://postgres@/test_1?host=/srv/pk/run"


def test_a_child_that_dies_raises_a_one_line_error_naming_it(tmp_path: Path) -> None:
    script = "import sys; print('boot'); print('bad config: xyz'); sys.exit(3)"
    proc = EngineProcess("demo", [sys.executable, "-c", script], tmp_path / "demo.log")
    proc.start()
    with pytest.raises(EngineError) as info:
        proc.wait_ready(lambda: False, timeout=10)
    message = str(info.value)
    assert message.startswith("demo: exited with code 3")
    assert "bad config: xyz" in message
    assert "\n" not in message


def test_a_child_that_never_gets_ready_times_out(tmp_path: Path) -> None:
    proc = EngineProcess(
        "slow", [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "s.log"
    )
    proc.start()
    try:
        with pytest.raises(EngineError, match=r"^slow: not ready after"):
            proc.wait_ready(lambda: False, timeout=0.3)
    finally:
        proc.stop(timeout=5)
    assert not proc.running()


def test_stop_kills_a_child_that_ignores_its_stop_signal(tmp_path: Path) -> None:
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    proc = EngineProcess("stubborn", [sys.executable, "-c", script], tmp_path / "x.log")
    proc.start()
    proc.wait_ready(lambda: "ready" in proc.log_tail(), timeout=10)
    pid = proc.pid
    assert pid is not None
    proc.stop(timeout=0.5)
    # Killed (SIGKILL), not waited out: the child would otherwise sleep for a minute.
    assert proc.returncode == -9
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_missing_binary_is_an_engine_error(tmp_path: Path) -> None:
    proc = EngineProcess("ghost", [str(tmp_path / "no-such-binary")], tmp_path / "g.log")
    with pytest.raises(EngineError, match=r"^ghost: cannot run"):
        proc.start()


def test_cli_up_options() -> None:
    args = _parser().parse_args(["up", "--data-dir", "/d", "--host", "0.0.0.0", "--port", "9"])
    assert (args.command, args.data_dir, args.host, args.port) == ("up", "/d", "0.0.0.0", 9)
    assert _parser().parse_args(["up"]).port == 8080
    for command in ("gateway", "metadata", "blob", "connector", "migrate"):
        assert _parser().parse_args([command]).command == command
    assert _parser().parse_args(["connector", "serve"]).connector_action == "serve"
    with pytest.raises(SystemExit):
        _parser().parse_args(["nonsense"])


def test_s3_is_ready_only_once_its_volume_server_has_joined() -> None:
    # The master's log line when a volume server registers (weed 4.x), for ours and another.
    line = (
        "I1205 06:34:54.737248 master_grpc_server.go:191 added volume server 0: "
        "127.0.0.1:{port} (id=127.0.0.1:{port}, ip=127.0.0.1:{port}) [713b05d2]\n"
    )
    starting = (
        "I1205 06:34:49.734844 volume.go:626 Start Seaweed volume server at 127.0.0.1:56665\n"
    )
    assert not volume_server_joined(starting, 56665)
    assert not volume_server_joined(starting + line.format(port=56666), 56665)
    assert volume_server_joined(starting + line.format(port=56665), 56665)


def test_nats_passwords_are_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    first = load_or_create_passwords(path, ["metadata", "gateway"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["metadata"] != first["gateway"]
    again = load_or_create_passwords(path, ["metadata", "gateway", "connector"])
    assert {k: again[k] for k in first} == first
    assert again["connector"] not in first.values()


def test_nats_config_gives_each_service_only_its_subjects() -> None:
    users = {name: (f"pw-{name}", access) for name, access in NATS_USERS.items()}
    config = json.loads(server_config("127.0.0.1", 4222, Path("/js"), users))
    entries = {entry["user"]: entry for entry in config["authorization"]["users"]}
    assert set(entries) == {"metadata", "gateway"}
    gateway = entries["gateway"]["permissions"]
    # An empty allow list would mean "anything" to nats-server.
    assert gateway["publish"] == {"deny": [">"]}
    assert "packyard.index.changed.>" in entries["metadata"]["permissions"]["publish"]["allow"]
    assert "packyard.file.cached.>" not in entries["metadata"]["permissions"]["publish"]["allow"]
    assert all(entry["password"] == f"pw-{name}" for name, entry in entries.items())


def test_seaweedfs_secrets_are_made_once_and_kept_private(tmp_path: Path) -> None:
    tls = load_or_create_weed_tls(tmp_path / "tls")
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tls.ca, tls.cert, tls.key))
    assert load_or_create_weed_tls(tmp_path / "tls") == tls
    path = tmp_path / "security.toml"
    keys = load_or_create_security(path, tls)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(set(keys.values())) == 4
    assert all(len(key) == 64 for key in keys.values())
    assert load_or_create_security(path, tls) == keys
    config = tomllib.loads(path.read_text())
    assert config["jwt"]["filer_signing"]["read"]["key"] == keys["jwt.filer_signing.read"]
    assert config["grpc"]["ca"] == str(tls.ca)
    for part in ("master", "volume", "filer", "s3", "client"):
        assert config["grpc"][part]["cert"] == str(tls.cert), part
