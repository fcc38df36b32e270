"""Health that means something: a gRPC service is SERVING while its core dependency answers.

``DependencyHealth`` probes a service's dependencies every few seconds and publishes each
on the standard grpc.health.v1 service as ``packyard.dependency.NAME`` (and as the metric
``packyard.dependency.up``). The server's own entries (``""`` and its service names) say
NOT_SERVING while a *core* dependency (the metadata service's PostgreSQL, the blob service's
S3) does not answer, and SERVING again once it does; a missing extra only shows in its
named entry. Probes run with tracing suppressed: they are not requests anyone made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from grpc_health.v1 import health_pb2
from opentelemetry.instrumentation.utils import suppress_instrumentation

from packyard.common.grpc import HealthReporter
from packyard.common.metrics import record_dependency

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]
PREFIX = "packyard.dependency."


@dataclass(frozen=True)
class Dependency:
    name: str
    # Returns when the dependency answers; raises (or times out) when it does not.
    probe: Probe
    core: bool = True


class DependencyHealth:
    def __init__(
        self,
        service: str,
        reporter: HealthReporter,
        dependencies: list[Dependency],
        *,
        interval: float = 1.0,
        timeout: float = 1.5,
    ) -> None:
        self.service = service
        self.reporter = reporter
        self.dependencies = dependencies
        self.interval = interval
        self.timeout = timeout
        self.state: dict[str, bool] = {d.name: True for d in dependencies}
        self._serving = True
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Check once (so every entry exists when the server is up), then keep checking."""
        await self.check()
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-dependency-health")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> dict[str, bool]:
        """Probe every dependency once and publish the result."""
        results = await asyncio.gather(*(self._answers(d) for d in self.dependencies))
        for dependency, ok in zip(self.dependencies, results, strict=True):
            if ok != self.state[dependency.name]:
                log.warning(
                    "dependency.up" if ok else "dependency.down",
                    extra={"service": self.service, "dependency": dependency.name},
                )
            self.state[dependency.name] = ok
            record_dependency(self.service, dependency.name, ok)
            await self.reporter.servicer.set(PREFIX + dependency.name, _status(ok))
        serving = all(ok for d, ok in zip(self.dependencies, results, strict=True) if d.core)
        if serving != self._serving:
            self._serving = serving
            await self.reporter.set_serving(serving)
        return dict(self.state)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def _answers(self, dependency: Dependency) -> bool:
        try:
            with suppress_instrumentation():
                await asyncio.wait_for(dependency.probe(), self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception:  # any failure: it does not answer
            return False
        return True


def _status(ok: bool) -> health_pb2.HealthCheckResponse.ServingStatus.ValueType:
    return (
        health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
    )
