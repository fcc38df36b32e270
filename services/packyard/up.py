"""`packyard up`: the whole stack on one machine, from one data directory.

Engines without a configured PACKYARD_* URL start embedded, migrations run, the four
services start as child processes, and the first start creates the feed `main` and an
admin API key. Once ready, a supervisor restarts any part that dies (see supervisor.py).
Ctrl-C or SIGTERM stops services and engines together, each by its PID, within seconds.
`Stack` is the same machinery for end-to-end tests.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import TextIO

import packyard
from packyard.common.lifeline import die_with_parent
from packyard.common.nats_access import NATS_USERS
from packyard.common.tls import ensure_material
from packyard.common.tls_files import OPERATOR, STACK_IDENTITIES, TlsFiles
from packyard.engines import EngineError, NatsEngine, PostgresEngine, S3Engine
from packyard.engines.ports import free_port, port_is_free
from packyard.engines.process import EngineProcess
from packyard.engines.secret_files import private_dir
from packyard.metadata.secret_keys import generate_key as generate_secret_key
from packyard.supervisor import STATUS_FILE, Supervisor

DEFAULT_DATA_DIR = "./packyard-data"
DEFAULT_BUCKET = "packyard"
DEFAULT_FEED = "main"
READY_TIMEOUT = 60.0
_GRPC_SERVICES = ("metadata", "blob", "connector")
_LOG_TAIL_LINES = 15
# Stopping: every child gets SIGTERM (PostgreSQL SIGINT) at once and this long to exit before
# SIGKILL. Everything acknowledged is already durable (PostgreSQL's WAL, SeaweedFS's files),
# so a short grace loses nothing, and Ctrl-C takes at most about two seconds.
STOP_GRACE = 1.0


class StackError(RuntimeError):
    """A part of the stack failed: a one-line message naming it, and its log's last lines."""

    def __init__(self, message: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail or []


def service_command(name: str) -> list[str]:
    """The `packyard` arguments that run a service: `connector` alone lists its actions."""
    return [name, "serve"] if name == "connector" else [name]


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _source_root() -> str:
    # Children must import the same `packyard` as we do, installed or not.
    return str(Path(packyard.__file__).resolve().parent.parent)


class Stack:
    """Engines, migrations and the four services, started and stopped as one.

    ``env`` overrides the process environment for this stack: a PACKYARD_DATABASE_URL,
    PACKYARD_NATS_URL or PACKYARD_S3_ENDPOINT in it (or in ``os.environ``) means that engine
    is external and not started. ``port=0`` picks a free gateway port.
    """

    def __init__(
        self,
        data_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        env: Mapping[str, str] | None = None,
        *,
        durable: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port
        self.env = {**os.environ, **(env or {})}
        # Tests pass durable=False: PostgreSQL then skips fsync.
        self.durable = durable
        self.admin_key: str | None = None
        self.admin_key_created = False
        self.metadata_addr = ""
        self.blob_addr = ""
        self.connector_addr = ""
        self._engines: list[PostgresEngine | NatsEngine | S3Engine] = []
        # The embedded NATS's password of each service user (empty when NATS is external:
        # then PACKYARD_NATS_USER/PASSWORD come from the environment, if at all).
        self._nats_passwords: dict[str, str] = {}
        self._engine_futures: list[Future[None]] = []
        self._services: dict[str, EngineProcess] = {}
        self._tls: dict[str, TlsFiles] = {}
        self._service_env_vars: dict[str, str] = {}
        self._lock_file: TextIO | None = None
        self._executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="packyard-engine")

    # -- public API -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def admin_key_path(self) -> Path:
        return self.data_dir / "admin-key"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret-key"

    def secret_key(self) -> str:
        """PACKYARD_SECRET_KEY for metadata: the environment's, else DATA_DIR/secret-key (made
        on first start, 0600). It seals connector credentials, so it is never replaced."""
        given = self.env.get("PACKYARD_SECRET_KEY")
        if given:
            return given
        if not self.secret_key_path.exists():
            _write_secret(self.secret_key_path, generate_secret_key())
        return self.secret_key_path.read_text().strip()

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    def nats_env(self, service: str) -> dict[str, str]:
        """The NATS user of ``service`` on the stack's own NATS (none for an external one):
        for one more process of that service (scripts/bench's second gateway)."""
        if service not in self._nats_passwords:
            return {}
        return {
            "PACKYARD_NATS_USER": service,
            "PACKYARD_NATS_PASSWORD": self._nats_passwords[service],
        }

    def tls(self, identity: str) -> TlsFiles:
        """Certificate material for ``identity`` from this stack's CA (issued if missing)."""
        return ensure_material(self.tls_dir, [identity])[identity]

    def index_url(self, feed: str = DEFAULT_FEED) -> str:
        return f"{self.base_url}/pypi/{feed}/simple/"

    def upload_url(self, feed: str = DEFAULT_FEED) -> str:
        return f"{self.base_url}/pypi/{feed}/legacy/"

    async def start(self) -> None:
        """Start everything and wait until the gateway is ready; on failure stop what started."""
        try:
            await self._start()
        except BaseException:
            self.stop()
            raise

    def start_sync(self) -> None:
        """``start()`` for synchronous callers (fixtures, scripts).

        It runs on a loop in a thread of its own, so it neither needs nor disturbs an event
        loop the caller's thread may have (pytest-asyncio keeps one for the session).
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="packyard-start") as pool:
            pool.submit(asyncio.run, self.start()).result()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop services and engines all at once, SIGKILL what is left after ``grace``.

        Safe to call twice.
        """
        services = list(self._services.values())
        self._services.clear()
        engines, self._engines = self._engines, []
        children = [*services, *(e.process for e in engines if e.process is not None)]
        for child in children:
            child.request_stop()
        deadline = time.monotonic() + grace
        for child in children:
            child.wait_stopped(timeout=max(0.0, deadline - time.monotonic()))
        # An engine may still be starting in a worker thread (start interrupted, or a
        # restart): stopping its process makes it fail fast, but it may not have spawned
        # one yet. Stop again after a moment, then once more when every start has ended.
        starting, self._engine_futures = self._engine_futures, []
        if starting:
            wait_futures(starting, timeout=grace)
            for engine in engines:
                engine.stop(0.5)
            wait_futures(starting)
        for engine in engines:
            engine.stop(0.5)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def pids(self) -> dict[str, int]:
        """PIDs of the running children (services and embedded engines), by name."""
        children = [*self._services.values(), *(e.process for e in self._engines)]
        return {c.name: c.pid for c in children if c is not None and c.pid and c.running()}

    def exited_service(self) -> EngineProcess | None:
        """A service that has died since the stack became ready, if any."""
        for service in self._services.values():
            if not service.running():
                return service
        return None

    # -- the parts, for the supervisor ------------------------------------------------

    def part_names(self) -> list[str]:
        return [*(engine.name for engine in self._engines), *self._services]

    def _part_process(self, name: str) -> EngineProcess | None:
        if name in self._services:
            return self._services[name]
        for engine in self._engines:
            if engine.name == name:
                return engine.process
        return None

    def part_pid(self, name: str) -> int | None:
        process = self._part_process(name)
        return process.pid if process is not None else None

    def part_exit_code(self, name: str) -> int | None:
        process = self._part_process(name)
        if process is None or process.running():  # running() reaps an exited child
            return None
        return process.returncode

    async def restart_part(self, name: str) -> None:
        """Start a dead part again on the same address and wait until it serves."""
        old = self._part_process(name)
        if old is not None:
            old.stop(timeout=0.5)  # a no-op on an exited child, but closes its log
        if name in self._services:
            self._start_service(name, self._service_env_vars)
            if name == "gateway":
                await self._wait_gateway_alive()
            else:
                await self._wait_serving(name, self._grpc_addr(name))
            return
        engine = next(e for e in self._engines if e.name == name)
        future = self._executor.submit(engine.start)
        self._engine_futures.append(future)
        try:
            await asyncio.wrap_future(future)
        finally:
            if future in self._engine_futures:  # stop() may have taken the list over
                self._engine_futures.remove(future)

    # -- start ------------------------------------------------------------------------

    async def _start(self) -> None:
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.host, self.port):
            raise StackError(f"gateway: port {self.host}:{self.port} is already in use")
        # Engine data, keys and logs are the owner's only (an embedded PostgreSQL started as
        # root may add traversal for its system user, never listing or reading).
        private_dir(self.data_dir)
        self._lock_data_dir()
        private_dir(self.logs_dir)
        # -- mutual TLS for gRPC: the CA and a certificate per identity, reused on restart.
        self._tls = ensure_material(self.tls_dir, STACK_IDENTITIES)

        await self._start_engines()
        await self._migrate()
        service_env = self._service_env_vars = self._service_env()
        for name in _GRPC_SERVICES:
            self._start_service(name, service_env)
        await asyncio.gather(
            *(self._wait_serving(name, self._grpc_addr(name)) for name in _GRPC_SERVICES)
        )
        self._start_service("gateway", service_env)
        await self._wait_gateway_ready()
        await self._bootstrap()

    def _lock_data_dir(self) -> None:
        # Two stacks on one data directory would run two servers over the same files.
        lock = (self.data_dir / ".lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise StackError(
                f"data directory {self.data_dir} is in use by another `packyard up`"
            ) from None
        self._lock_file = lock

    async def _start_engines(self) -> None:
        env = self.env
        if not env.get("PACKYARD_DATABASE_URL"):
            postgres = PostgresEngine(self.data_dir / "postgres", durable=self.durable)
            self._engines.append(postgres)
        if not env.get("PACKYARD_NATS_URL"):
            # One node holds the only copy of the stream: sync every write by default.
            sync = env.get("PACKYARD_NATS_SYNC_INTERVAL") or "always"
            self._engines.append(NatsEngine(self.data_dir / "nats", NATS_USERS, sync_interval=sync))
        if not env.get("PACKYARD_S3_ENDPOINT"):
            self._engines.append(S3Engine(self.data_dir / "s3"))
        self._engine_futures = [self._executor.submit(engine.start) for engine in self._engines]
        try:
            for future in self._engine_futures:
                await asyncio.wrap_future(future)
        except EngineError as exc:
            raise StackError(str(exc)) from exc
        for engine in self._engines:
            if isinstance(engine, PostgresEngine):
                self.env["PACKYARD_DATABASE_URL"] = engine.url
            elif isinstance(engine, NatsEngine):
                self.env["PACKYARD_NATS_URL"] = engine.url
                self._nats_passwords = dict(engine.passwords)
            else:
                self.env["PACKYARD_S3_ENDPOINT"] = engine.endpoint
                self.env["PACKYARD_S3_ACCESS_KEY"] = engine.access_key
                self.env["PACKYARD_S3_SECRET_KEY"] = engine.secret_key
                self.env["PACKYARD_S3_SECURE"] = "false"

    def _base_child_env(self) -> dict[str, str]:
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_source_root(), env.get("PYTHONPATH", "")) if p
        )
        env.setdefault("PACKYARD_S3_BUCKET", DEFAULT_BUCKET)
        env.setdefault("PACKYARD_S3_SECURE", "false")
        return env

    async def _migrate(self) -> None:
        log_path = self.logs_dir / "migrate.log"
        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "packyard.cli", "migrate",
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self._base_child_env(), start_new_session=True,
                preexec_fn=die_with_parent(),
            )  # fmt: skip
            try:
                code = await asyncio.wait_for(proc.wait(), READY_TIMEOUT)
            except (TimeoutError, asyncio.CancelledError):
                proc.kill()
                await proc.wait()
                raise
        if code != 0:
            raise StackError(f"migrate: exited with code {code} (log: {log_path})", _tail(log_path))

    def _service_env(self) -> dict[str, str]:
        env = self._base_child_env()
        self.metadata_addr = f"127.0.0.1:{free_port()}"
        self.blob_addr = f"127.0.0.1:{free_port(exclude={_port(self.metadata_addr)})}"
        taken = {_port(self.metadata_addr), _port(self.blob_addr)}
        self.connector_addr = f"127.0.0.1:{free_port(exclude=taken)}"
        env["PACKYARD_METADATA_ADDR"] = self.metadata_addr
        env["PACKYARD_BLOB_ADDR"] = self.blob_addr
        env["PACKYARD_CONNECTOR_ADDR"] = self.connector_addr
        env["PACKYARD_HOST"] = self.host
        env["PACKYARD_PORT"] = str(self.port)
        return env

    def _grpc_addr(self, name: str) -> str:
        return {
            "metadata": self.metadata_addr,
            "blob": self.blob_addr,
            "connector": self.connector_addr,
        }[name]

    def _start_service(self, name: str, env: dict[str, str]) -> None:
        child_env = dict(env)
        if name in _GRPC_SERVICES:
            child_env["PACKYARD_LISTEN_ADDR"] = self._grpc_addr(name)
        # Each service presents its own identity.
        child_env.update(self._tls[name].env())
        if name == "metadata":
            child_env["PACKYARD_SECRET_KEY"] = self.secret_key()
        child_env.update(self.nats_env(name))
        argv = [sys.executable, "-m", "packyard.cli", *service_command(name)]
        service = EngineProcess(name, argv, self.logs_dir / f"{name}.log", env=child_env)
        self._services[name] = service
        try:
            service.start()
        except EngineError as exc:
            raise StackError(str(exc)) from exc

    async def _wait_serving(self, name: str, addr: str) -> None:
        from packyard.common.grpc import check_health

        tls = self._tls[OPERATOR]
        await self._wait_until(name, lambda: check_health(addr, tls, deadline=1.0))

    async def _wait_gateway_ready(self, path: str = "/readyz") -> None:
        import httpx

        host = "127.0.0.1" if self.host in {"0.0.0.0", ""} else self.host
        url = f"http://{host}:{self.port}{path}"
        async with httpx.AsyncClient(timeout=2.0) as client:

            async def ready() -> bool:
                try:
                    return (await client.get(url)).status_code == 200
                except httpx.HTTPError:
                    return False

            await self._wait_until("gateway", ready)

    async def _wait_gateway_alive(self) -> None:
        # A restarted gateway is back once it answers; readiness is its backends' business.
        await self._wait_gateway_ready("/healthz")

    async def _wait_until(self, name: str, probe: Callable[[], Awaitable[bool]]) -> None:
        service = self._services[name]
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if not service.running():
                raise StackError(
                    f"{name}: exited with code {service.returncode} while starting "
                    f"(log: {service.log_path})",
                    service.log_lines(_LOG_TAIL_LINES),
                )
            if await probe():
                return
            if time.monotonic() > deadline:
                raise StackError(
                    f"{name}: not ready after {READY_TIMEOUT:.0f}s (log: {service.log_path})",
                    service.log_lines(_LOG_TAIL_LINES),
                )
            await asyncio.sleep(0.1)

    async def _bootstrap(self) -> None:
        """First start: the feed `main` and an admin key. Later starts reuse the saved key."""
        if self.admin_key_path.exists():
            self.admin_key = self.admin_key_path.read_text().strip()
            return
        from packyard_rpc.v1 import access_pb2, access_pb2_grpc, metadata_pb2, metadata_pb2_grpc

        from packyard.common.grpc import secure_channel

        async with secure_channel(self.metadata_addr, self._tls[OPERATOR]) as channel:
            stub = metadata_pb2_grpc.MetadataServiceStub(channel)
            await stub.CreateFeed(
                metadata_pb2.CreateFeedRequest(
                    feed=metadata_pb2.Feed(
                        name=DEFAULT_FEED,
                        description="Hosted packages",
                        anonymous_read=True,
                    ),
                    if_not_exists=True,
                ),
                timeout=30,
            )
            reply = await access_pb2_grpc.AccessServiceStub(channel).CreateKey(
                access_pb2.CreateKeyRequest(
                    name="admin",
                    is_admin=True,
                    key=self.env.get("PACKYARD_ADMIN_KEY", ""),
                ),
                timeout=30,
            )
        supplied = self.env.get("PACKYARD_ADMIN_KEY", "")
        self.admin_key = reply.key or supplied
        _write_secret(self.admin_key_path, self.admin_key)
        # A key the operator supplied is theirs already: it is never echoed to the terminal.
        self.admin_key_created = not supplied


def _port(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def _tail(path: Path) -> list[str]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if line.strip()][-_LOG_TAIL_LINES:]


def _write_secret(path: Path, value: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    os.replace(tmp, path)


# -- the command ----------------------------------------------------------------------


def run(data_dir: str | None, host: str, port: int) -> int:
    """`packyard up`: returns the exit code."""
    directory = data_dir or os.environ.get("PACKYARD_DATA_DIR") or DEFAULT_DATA_DIR
    stack = Stack(directory, host=host, port=port)
    try:
        return asyncio.run(_serve(stack))
    except KeyboardInterrupt:
        stack.stop()
        return 130


async def _serve(stack: Stack) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    starting = asyncio.ensure_future(stack.start())

    def on_signal() -> None:
        stopping.set()
        starting.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        try:
            await starting
        except asyncio.CancelledError:
            return 130
        except StackError as exc:
            print(f"packyard up: {exc}", file=sys.stderr)
            for line in exc.log_tail:
                print(f"    {line}", file=sys.stderr)
            return 1
        if stack.admin_key_created:
            print(f"Admin API key (made now, saved to {stack.admin_key_path}): {stack.admin_key}")
        # Internal services' gRPC clients (docs/grpc.md) connect here.
        print(f"gRPC API (metadata, mutual TLS): {stack.metadata_addr}")
        print(f"Packyard is ready: {stack.index_url()}", flush=True)
        await Supervisor(stack, stack.data_dir / STATUS_FILE).run(stopping)
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await asyncio.to_thread(stack.stop)
