"""Several gateway processes on one port: one event loop per core.

One Python process serves on one core at most (issue 13: adding connections added no
throughput). With ``PACKYARD_GATEWAY_WORKERS`` above one, the gateway process becomes a small
supervisor that forks that many workers, each a whole gateway (its own backends, caches,
change subscription and download counter, with its share of the page cache's memory and
the file copies' disk) listening on the same address with
``SO_REUSEPORT``: the kernel spreads new connections over the workers' sockets, and no worker
wakes for another's connection (one shared socket would let the first worker awake accept a
whole burst).

What each worker holds on its own stays correct because every worker subscribes to the
change events: each one drops its cached pages and authentications on an event, as separate
gateway replicas do. Bounds that are per gateway (``max_uploads``, ``max_connections``, the
failed-authentication limit per address) are per worker, as they are per replica.

The supervisor binds every socket before it forks (a port in use fails at start, and port 0
is resolved once), forwards SIGTERM and SIGINT to the workers and waits for them to finish
their requests, and starts a new worker in place of one that died. Workers get SIGKILL when
the supervisor dies, however it dies (``lifeline.die_with_parent``). It forks before any
thread, event loop or gRPC channel exists: each worker starts those itself.

The supervisor imports the whole application before it forks (gateway/__main__.py), so the
workers share those pages copy-on-write. Measured with scripts/service_memory (two workers,
after a few requests of each kind): supervisor + workers 277 MB RSS, 143 MB PSS; importing
after the fork instead keeps the supervisor at 56 MB but each worker holds its own copy:
249 MB RSS, 166 MB PSS. PSS is the memory really used, so the import stays before the fork.
It also freezes the heap (``gc.freeze()``) before forking: whether a worker's first full
collection comes soon after the fork depends on allocation counts, and when it did, it copied
the shared pages (supervisor + workers at rest: 139 MB PSS; frozen: 106 MB, 130 after a few
requests; RSS the same).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

from packyard.common.heap import freeze_startup_heap
from packyard.common.lifeline import die_with_parent
from packyard.gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

# The default is one worker per core, at most this many: each one holds its own caches and
# connections, and more processes than cores only share the same cores.
MAX_DEFAULT_WORKERS = 4
# A worker that dies sooner than this after its start is restarted only after this delay, so
# one that cannot start (a bad setting) does not spin.
_RESTART_BACKOFF = 1.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def worker_count(setting: int) -> int:
    """The number of workers for ``PACKYARD_GATEWAY_WORKERS`` (0: one per usable core, capped)."""
    if setting > 0:
        return setting
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def share_budgets(settings: GatewaySettings, count: int) -> None:
    """The page cache's memory and the file copies' disk are the gateway's: each of ``count``
    workers gets its share, so more workers do not multiply what the settings allow."""
    settings.page_cache_max_bytes //= count
    settings.blob_cache_max_bytes //= count


def name_instance() -> None:
    """Give this worker's telemetry an identity of its own (``service.instance.id``): metrics
    of processes with one identity would be taken for one series and overwrite each other in
    the collector. An id OTEL_RESOURCE_ATTRIBUTES gives (the chart's pod UID) is the pod's,
    so each worker adds its process id to it."""
    pairs = [p for p in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(",") if p]
    key = "service.instance.id="
    given = next((p[len(key) :] for p in pairs if p.startswith(key)), "")
    suffix = f"-{os.getpid()}"
    own = given if given.endswith(suffix) else f"{given or socket.gethostname()}{suffix}"
    pairs = [p for p in pairs if not p.startswith(key)] + [key + own]
    os.environ["OTEL_RESOURCE_ATTRIBUTES"] = ",".join(pairs)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other sockets of this user may share
    (``SO_REUSEPORT``); the kernel balances new connections between them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


class Supervisor:
    """Forks ``count`` workers, each running ``serve(sock)`` on a socket of its own."""

    def __init__(
        self, count: int, host: str, port: int, serve: Callable[[socket.socket], None]
    ) -> None:
        self.count = count
        self.host = host
        self.port = port
        self._serve = serve
        self._workers: dict[int, float] = {}  # pid -> monotonic start time
        self._stopping = False

    def run(self) -> int:
        # Bound here, before any fork: a port in use is an error at start, and port 0 becomes
        # one port that every later socket joins.
        first = listening_socket(self.host, self.port)
        self.port = first.getsockname()[1]
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        log.info("gateway.workers", extra={"workers": self.count, "port": self.port})
        # The imported application out of the collector's way before the fork: a collection in
        # a worker would otherwise write to every object's header and copy the pages it shares
        # with the supervisor (see the module's docstring for the figures).
        freeze_startup_heap()
        self._start(first)
        for _ in range(self.count - 1):
            if self._stopping:
                break
            self._start(listening_socket(self.host, self.port))
        return self._wait()

    def _start(self, sock: socket.socket) -> None:
        if self._stopping:
            sock.close()
            return
        arm = die_with_parent()
        # Blocked until the new worker is in the list that _stop signals, and in the worker
        # until its own handlers are in place.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:  # the worker
                self._work(sock, arm)
            sock.close()  # the worker's now
            self._workers[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    def _work(self, sock: socket.socket, arm: Callable[[], None] | None) -> None:
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            # Out of the terminal's process group: Ctrl-C reaches the supervisor only, which
            # forwards one SIGTERM (a second signal would make uvicorn drop its requests).
            os.setpgid(0, 0)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            if arm is not None:
                arm()
            self._serve(sock)
            code = 0
        except BaseException:
            log.exception("gateway.worker_failed")
        finally:
            logging.shutdown()
            os._exit(code)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True
        for pid in self._workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def _wait(self) -> int:
        failed = False
        while self._workers:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = self._workers.pop(pid, None)
            if started is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self._stopping:
                failed = failed or code not in (0, -signal.SIGTERM, -signal.SIGINT)
                continue
            log.warning("gateway.worker_exited", extra={"pid": pid, "exit_code": code})
            if time.monotonic() - started < _RESTART_BACKOFF:
                time.sleep(_RESTART_BACKOFF)
            if not self._stopping:
                self._start(listening_socket(self.host, self.port))
        return 1 if failed else 0
