"""Talking HTTP to upstream indexes: one httpx client, redirects by hand, bounded reads.

Only a connector's own origins are contacted: its base URL's origin plus its configured file
hosts. Redirects are followed one by one against that allow-list (RELIABILITY §5 F62), and
credentials go only to the base URL's origin, never to a host a redirect names (the lesson of
requests CVE-2018-18074 and Artifactory's "lenient host authentication").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

import packyard
from packyard.common.metrics import record_upstream_fetch
from packyard.common.settings import redact_url
from packyard.connector.errors import UpstreamFailed
from packyard.protocol.upstream_parse import ACCEPT, origin_of
from packyard.rpc.v1 import upstream_pb2

USER_AGENT = f"packyard/{getattr(packyard, '__version__', '0.1.0')}"
_REDIRECTS = {301, 302, 303, 307, 308}


class UpstreamDown(Exception):
    """The upstream could not answer usefully right now (connection, timeout, 5xx, 429)."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.timeout = timeout


@dataclass(frozen=True)
class ListingResponse:
    status: int  # 200, 304 or 404
    url: str  # final URL (after redirects), the base for relative links
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    last_serial: int = 0


class _Fetch:
    """Latency and outcome of one upstream request, recorded once (by ``finish``)."""

    def __init__(self, url: str) -> None:
        # The host only: never the path (cardinality) nor userinfo (credentials).
        self._host = urlsplit(url).hostname or ""
        self._started = time.monotonic()
        self._done = False

    def finish(self, outcome: str) -> None:
        if not self._done:
            self._done = True
            record_upstream_fetch(time.monotonic() - self._started, outcome, self._host)


def project_url(connector: upstream_pb2.Connector, project: str) -> str:
    path = connector.simple_path.rstrip("/")
    return f"{connector.url.rstrip('/')}{path}/{project}/"


def allowed_origins(connector: upstream_pb2.Connector) -> set[str]:
    return {origin_of(connector.url), *connector.file_hosts}


def new_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0), pool=timeout),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


class UpstreamHttp:
    def __init__(self, client: httpx.AsyncClient, *, max_redirects: int = 5) -> None:
        self._client = client
        self._max_redirects = max_redirects

    def _auth(self, connector: upstream_pb2.Connector, url: str) -> httpx.BasicAuth | None:
        if connector.username and origin_of(url) == origin_of(connector.url):
            return httpx.BasicAuth(connector.username, connector.password)
        return None

    @contextlib.asynccontextmanager
    async def _open(
        self, connector: upstream_pb2.Connector, url: str, headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        allowed = allowed_origins(connector)
        for _ in range(self._max_redirects + 1):
            if origin_of(url) not in allowed:
                raise UpstreamFailed("Redirect to disallowed location.")
            request = self._client.build_request("GET", url, headers=headers)
            auth = self._auth(connector, url)
            if auth is not None:
                request = next(auth.auth_flow(request))
            try:
                response = await self._client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise UpstreamDown(type(exc).__name__, timeout=True) from exc
            except httpx.HTTPError as exc:
                raise UpstreamDown(f"{type(exc).__name__}") from exc
            if response.status_code in _REDIRECTS and "location" in response.headers:
                await response.aclose()
                url = urljoin(url, response.headers["location"])
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return
        raise UpstreamFailed("Too many redirects from the upstream.")

    async def get_listing(
        self,
        connector: upstream_pb2.Connector,
        project: str,
        *,
        etag: str = "",
        last_modified: str = "",
        max_bytes: int,
    ) -> ListingResponse:
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        url = project_url(connector, project)
        fetch = _Fetch(url)
        try:
            async with self._open(connector, url, headers) as response:
                status = response.status_code
                if status == 304 or status in {404, 410}:
                    fetch.finish("not_modified" if status == 304 else "not_found")
                    return ListingResponse(304 if status == 304 else 404, str(response.url))
                if status >= 500 or status == 429:
                    raise UpstreamDown(f"HTTP {status}")
                if status != 200:
                    raise UpstreamFailed(f"Upstream answered HTTP {status} for the project page.")
                body = await _read_bounded(response, max_bytes)
                serial = response.headers.get("x-pypi-last-serial", "")
                fetch.finish("ok")
                return ListingResponse(
                    status=200,
                    url=str(response.url),
                    body=body,
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag", ""),
                    last_modified=response.headers.get("last-modified", ""),
                    last_serial=int(serial) if serial.isdigit() else 0,
                )
        finally:
            fetch.finish("error")  # whatever did not finish above failed (or was cancelled)

    @contextlib.asynccontextmanager
    async def open_file(
        self, connector: upstream_pb2.Connector, url: str
    ) -> AsyncIterator[httpx.Response]:
        # Latency here is up to the response headers: the body streams at the caller's pace.
        fetch = _Fetch(url)
        try:
            # Archives must arrive byte for byte: no compression negotiated.
            async with self._open(connector, url, {"Accept-Encoding": "identity"}) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise UpstreamDown(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    if response.status_code in {404, 410}:
                        fetch.finish("not_found")
                    raise UpstreamFailed(
                        f"Upstream answered HTTP {response.status_code} for {redact_url(url)}."
                    )
                fetch.finish("ok")
                yield response
        finally:
            fetch.finish("error")


async def _read_bounded(response: httpx.Response, max_bytes: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > max_bytes:
                raise UpstreamFailed("Upstream project page is too large.")
            parts.append(chunk)
    except httpx.TimeoutException as exc:
        raise UpstreamDown(type(exc).__name__, timeout=True) from exc
    except httpx.HTTPError as exc:
        raise UpstreamDown(type(exc).__name__) from exc
    return b"".join(parts)
