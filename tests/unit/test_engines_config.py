"""Engine plumbing that needs no engine: ports, credentials, DSNs, child processes, the CLI."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from packyard.cli import _parser
from packyard.engines import EngineError
from packyard.engines.ports import free_ports, port_is_free
from packyard.engines.postgres import database_url
from packyard.engines.process import EngineProcess
from packyard.engines.s3 import load_or_create_credentials, volume_server_joined


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
    with pytest.raises(SystemExit):
        _parser().parse_args(["nonsense"])


def test_s3_is_ready_only_once_a_volume_server_has_joined() -> None:
    # A SeaweedFS master's /dir/status before and after its volume server's first heartbeat.
    topologies = [
        {"Topology": {"Max": 0, "Free": 0, "DataCenters": None}},
        {"Topology": {"DataCenters": [{"Racks": [{"DataNodes": [{"Url": "127.0.0.1:1"}]}]}]}},
    ]
    answer: list[bytes] = []

    class Master(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer[0] if self.path == "/dir/status" else b"{}"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Master)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for topology, joined in zip(topologies, (False, True), strict=True):
            answer[:] = [json.dumps(topology).encode()]
            assert volume_server_joined("127.0.0.1", port) is joined
        answer[:] = [b"not json"]
        assert not volume_server_joined("127.0.0.1", port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert not volume_server_joined("127.0.0.1", port)  # nobody listening
