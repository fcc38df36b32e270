"""Talking HTTP to upstream indexes: one httpx client, redirects by hand, bounded reads.

Only a connector's own origins are contacted: its base URL's origin plus its configured file
hosts. Redirects are followed one by one against that allow-list (RELIABILITY §5 F62), and
credentials go only to the base URL's origin, never to a host a redirect names (the lesson of
requests CVE-2018-18074 and Artifactory's "lenient host authentication"). A redirect from
https to http is refused, and every address is checked where the connection is made
(``addresses``): a connector whose own host is public gets a client that never connects to
loopback or private addresses, a connector on the internal network one that may; neither ever
connects to link-local (cloud metadata) addresses. The two clients keep separate connection
pools, so a connection opened under one policy is never reused under the other.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

import packyard
from packyard.common.addresses import guarded_transport
from packyard.common.metrics import record_upstream_fetch
from packyard.common.settings import redact_url
from packyard.connector.addresses import (
    AddressRefused,
    Resolver,
    ip_literal,
    is_private,
    refusal,
    system_resolver,
)
from packyard.connector.errors import UpstreamFailed
from packyard.connector.models import Connector
from packyard.protocol.upstream_parse import ACCEPT, origin_of

log = logging.getLogger(__name__)

USER_AGENT = f"packyard/{getattr(packyard, '__version__', '0.1.0')}"
_REDIRECTS = {301, 302, 303, 307, 308}
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_POLICY_TTL = 60.0
REDIRECT_REFUSED = "Redirect to disallowed location."
LOCATION_REFUSED = "Upstream location not allowed."


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


@dataclass(frozen=True)
class FileFacts:
    size: int | None = None
    last_modified: datetime | None = None


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class RangeReply:
    """A 206 answer: ``body`` is the archive's bytes from ``start``; ``total`` its size."""

    start: int
    total: int
    body: bytes


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


def project_url(connector: Connector, project: str) -> str:
    path = connector.simple_path.rstrip("/")
    return f"{connector.url.rstrip('/')}{path}/{project}/"


def json_api_url(connector: Connector, project: str) -> str:
    """Where a PyPI-style upstream serves a project's JSON API: ``/pypi/NAME/json`` beside
    its simple index (PyPI, devpi; another Packyard's feed URL ends in ``/pypi/FEED``)."""
    return f"{connector.url.rstrip('/')}/pypi/{project}/json"


def allowed_origins(connector: Connector) -> set[str]:
    return {origin_of(connector.url), *(origin_of(h) for h in connector.file_hosts)}


def new_client(
    timeout: float, *, allow_private: bool = False, resolve: Resolver = system_resolver
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0), pool=timeout),
        transport=guarded_transport(allow_private=allow_private, resolve=resolve, limits=limits),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        trust_env=False,
    )


class UpstreamHttp:
    def __init__(
        self,
        public: httpx.AsyncClient,
        internal: httpx.AsyncClient | None = None,
        *,
        resolve: Resolver = system_resolver,
        max_redirects: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``public`` never connects to loopback/private addresses; ``internal`` may (for
        connectors whose configured host is such an address; without it, none may)."""
        self._public = public
        self._internal = internal
        self._resolve = resolve
        self._max_redirects = max_redirects
        self._clock = clock
        self._internal_hosts: dict[str, tuple[float, bool]] = {}

    async def _on_internal_network(self, connector: Connector) -> bool:
        """Is the connector's own configured host a loopback/private address (cached)?"""
        host = urlsplit(connector.url).hostname or ""
        hit = self._internal_hosts.get(host)
        now = self._clock()
        if hit is not None and hit[0] > now:
            return hit[1]
        literal = ip_literal(host)
        try:
            found = [str(literal)] if literal is not None else await self._resolve(host, 0)
        except OSError:
            found = []
        internal = bool(found) and all(is_private(ipaddress.ip_address(a)) for a in found)
        self._internal_hosts[host] = (now + _POLICY_TTL, internal)
        return internal

    async def _client_for(self, connector: Connector) -> tuple[httpx.AsyncClient, bool]:
        if self._internal is not None and await self._on_internal_network(connector):
            return self._internal, True
        return self._public, False

    def _auth(self, connector: Connector, url: str) -> httpx.BasicAuth | None:
        if connector.username and origin_of(url) == origin_of(connector.url):
            return httpx.BasicAuth(connector.username, connector.password)
        return None

    @contextlib.asynccontextmanager
    async def _open(
        self, connector: Connector, url: str, headers: dict[str, str], method: str = "GET"
    ) -> AsyncIterator[httpx.Response]:
        allowed = allowed_origins(connector)
        client, internal = await self._client_for(connector)
        previous_scheme = ""
        for hop in range(self._max_redirects + 1):
            refused = REDIRECT_REFUSED if hop else LOCATION_REFUSED
            parts = urlsplit(url)
            downgrade = (previous_scheme, parts.scheme) == ("https", "http")
            if origin_of(url) not in allowed or downgrade:
                _log_refused(connector, url, hop, "not an allowed origin or an https downgrade")
                raise UpstreamFailed(refused)
            literal = ip_literal(parts.hostname or "")
            reason = refusal(literal, allow_private=internal) if literal is not None else None
            if reason is not None:
                _log_refused(connector, url, hop, reason)
                raise UpstreamFailed(refused)
            previous_scheme = parts.scheme
            request = client.build_request(method, url, headers=headers)
            auth = self._auth(connector, url)
            if auth is not None:
                request = next(auth.auth_flow(request))
            try:
                response = await client.send(request, stream=True)
            except AddressRefused as exc:
                _log_refused(connector, url, hop, str(exc))
                raise UpstreamFailed(refused) from None
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

    async def get_range(
        self, connector: Connector, url: str, spec: str, *, max_bytes: int
    ) -> RangeReply | None:
        """``Range: bytes=<spec>`` of an upstream file; None when the upstream does not answer
        with a single range (200 with the whole file, 416, ...): the caller then falls back
        to the whole file. The body of a 200 is never read."""
        fetch = _Fetch(url)
        headers = {"Range": f"bytes={spec}", "Accept-Encoding": "identity"}
        try:
            async with self._open(connector, url, headers) as response:
                status = response.status_code
                if status >= 500 or status == 429:
                    raise UpstreamDown(f"HTTP {status}")
                match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", ""))
                if status != 206 or match is None:
                    fetch.finish("range_unsupported")
                    return None
                start, end, total = (int(g) for g in match.groups())
                if end < start or end >= total or end - start + 1 > max_bytes:
                    fetch.finish("range_unsupported")
                    return None
                body = await _read_bounded(
                    response, end - start + 1, "Upstream range answer is too long."
                )
                if len(body) != end - start + 1:
                    raise UpstreamFailed("Upstream range answer was truncated.")
                fetch.finish("ok")
                return RangeReply(start, total, body)
        finally:
            fetch.finish("error")

    async def get_listing(
        self,
        connector: Connector,
        project: str,
        *,
        etag: str = "",
        last_modified: str = "",
        max_bytes: int,
    ) -> ListingResponse:
        return await self._get_page(
            connector, project_url(connector, project), etag, last_modified, max_bytes
        )

    async def get_root_index(
        self, connector: Connector, *, etag: str = "", last_modified: str = "", max_bytes: int
    ) -> ListingResponse:
        """The upstream's root page (every project name), revalidated like a listing."""
        url = f"{connector.url.rstrip('/')}{connector.simple_path.rstrip('/')}/"
        return await self._get_page(connector, url, etag, last_modified, max_bytes)

    async def _get_page(
        self, connector: Connector, url: str, etag: str, last_modified: str, max_bytes: int
    ) -> ListingResponse:
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
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

    async def head_file(self, connector: Connector, url: str) -> FileFacts:
        """What a HEAD of an upstream file says about it (PEP 700 facts a listing lacked):
        its length and Last-Modified, each None when the upstream does not say."""
        fetch = _Fetch(url)
        headers = {"Accept-Encoding": "identity"}
        try:
            async with self._open(connector, url, headers, method="HEAD") as response:
                status = response.status_code
                if status >= 500 or status == 429:
                    raise UpstreamDown(f"HTTP {status}")
                if status != 200:
                    fetch.finish("not_found")
                    return FileFacts()
                fetch.finish("ok")
                length = response.headers.get("content-length", "")
                return FileFacts(
                    size=int(length) if length.isdigit() else None,
                    last_modified=_http_date(response.headers.get("last-modified", "")),
                )
        finally:
            fetch.finish("error")

    async def get_json(self, connector: Connector, url: str, *, max_bytes: int) -> bytes | None:
        """The body of a JSON document the upstream serves at ``url`` (its PyPI JSON API);
        None when it serves none there (404, HTML, any other answer but a 200)."""
        fetch = _Fetch(url)
        try:
            async with self._open(connector, url, {"Accept": "application/json"}) as response:
                status = response.status_code
                if status >= 500 or status == 429:
                    raise UpstreamDown(f"HTTP {status}")
                media = response.headers.get("content-type", "").partition(";")[0].strip()
                if status != 200 or not media.lower().endswith("json"):
                    fetch.finish("not_found")
                    return None
                body = await _read_bounded(response, max_bytes, "Upstream JSON is too large.")
                fetch.finish("ok")
                return body
        finally:
            fetch.finish("error")

    @contextlib.asynccontextmanager
    async def open_file(self, connector: Connector, url: str) -> AsyncIterator[httpx.Response]:
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


def _log_refused(connector: Connector, url: str, hop: int, reason: str) -> None:
    log.warning(
        "supply_chain.upstream_location_refused",
        extra={"connector": connector.id, "url": redact_url(url), "redirect": hop > 0,
               "reason": reason},
    )  # fmt: skip


async def _read_bounded(
    response: httpx.Response, max_bytes: int, too_large: str = "Upstream project page is too large."
) -> bytes:
    parts: list[bytes] = []
    total = 0
    try:
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > max_bytes:
                raise UpstreamFailed(too_large)
            parts.append(chunk)
    except httpx.TimeoutException as exc:
        raise UpstreamDown(type(exc).__name__, timeout=True) from exc
    except httpx.HTTPError as exc:
        raise UpstreamDown(type(exc).__name__) from exc
    return b"".join(parts)
