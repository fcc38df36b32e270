"""Safe fetching from upstreams (RELIABILITY §5 F62): the address policy, the guarded network
backend, and redirects checked hop by hop (packyard.connector.addresses / http)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from packyard.connector.addresses import AddressRefused, GuardedBackend, Resolver, refusal
from packyard.connector.errors import UpstreamFailed
from packyard.connector.http import UpstreamHttp, new_client
from packyard.connector.models import Connector

from tests.fixtures.upstream import Reply, loopback_index

PUBLIC_IP = "93.184.215.14"


@pytest.mark.parametrize(
    ("address", "private_ok", "public_ok"),
    [
        ("8.8.8.8", True, True),
        ("2606:4700::1111", True, True),
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("10.1.2.3", True, False),
        ("192.168.0.10", True, False),
        ("100.64.0.1", True, False),
        ("fd00::1", True, False),
        ("169.254.169.254", False, False),  # cloud metadata: never, whoever asks
        ("fe80::1", False, False),
        ("::ffff:169.254.169.254", False, False),  # IPv4-mapped spelling of the same
        ("::ffff:127.0.0.1", True, False),
        ("0.0.0.0", False, False),
        ("224.0.0.1", False, False),
    ],
)
def test_address_policy(address: str, private_ok: bool, public_ok: bool) -> None:
    ip = ipaddress.ip_address(address)
    assert (refusal(ip, allow_private=True) is None) is private_ok
    assert (refusal(ip, allow_private=False) is None) is public_ok


def resolver(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


async def test_backend_checks_the_resolved_address_and_connects_to_it() -> None:
    with loopback_index() as index:
        index.routes["/ok"] = Reply(200, b"fine")
        port = int(index.url.rsplit(":", 1)[1])
        # A name that resolves to loopback (DNS rebinding, or a hostile allow-listed host).
        names = resolver({"rebind.test": ["127.0.0.1"], "mixed.test": [PUBLIC_IP, "127.0.0.1"]})
        public = GuardedBackend(allow_private=False, resolve=names)
        for host in ("rebind.test", "mixed.test", "169.254.169.254", "127.0.0.1"):
            with pytest.raises(AddressRefused):
                await public.connect_tcp(host, port)
        assert index.requests == []
        # With private addresses allowed the connection goes to the checked address: the name
        # exists nowhere but in the test's resolver.
        async with new_client(5.0, allow_private=True, resolve=names) as client:
            reply = await client.get(f"http://rebind.test:{port}/ok")
        assert reply.text == "fine"


def connector(url: str, **fields: object) -> Connector:
    return Connector(id="c1", feed="main", url=url, simple_path="/simple", **fields)  # type: ignore[arg-type]


class Recorder:
    """A mock upstream: answers by URL, records every request that reached it."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.routes.get(str(request.url), httpx.Response(404))

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


def redirect(location: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": location})


NAMES = resolver({"pypi.example": [PUBLIC_IP], "files.example": [PUBLIC_IP]})


@pytest.mark.parametrize(
    ("location", "file_hosts"),
    [
        ("https://elsewhere.example/f.whl", []),  # not an allowed host
        ("http://pypi.example/f.whl", ["http://pypi.example"]),  # https -> http downgrade
        ("http://169.254.169.254/latest/meta-data/", ["http://169.254.169.254"]),
        ("http://127.0.0.1:8080/f.whl", ["http://127.0.0.1:8080"]),  # loopback from public
        ("http://10.0.0.5/f.whl", ["http://10.0.0.5"]),  # private from public
        ("http://[::ffff:169.254.169.254]/x", ["http://[::ffff:169.254.169.254]"]),
    ],
)
async def test_redirects_to_disallowed_locations_are_refused(
    location: str, file_hosts: list[str]
) -> None:
    start = "https://pypi.example/packages/f.whl"
    upstream = Recorder({start: redirect(location)})
    async with upstream.client() as public, upstream.client() as internal:
        http = UpstreamHttp(public, internal, resolve=NAMES)
        up = connector("https://pypi.example", file_hosts=file_hosts, username="u", password="p")
        with pytest.raises(UpstreamFailed, match="Redirect to disallowed location"):
            async with http.open_file(up, start):
                pass
    # Nothing (and so no credential) ever went to the refused location.
    assert [str(r.url) for r in upstream.seen] == [start]


async def test_allowed_redirect_never_carries_the_credentials() -> None:
    start = "https://pypi.example/packages/f.whl"
    target = "https://files.example/f.whl"
    upstream = Recorder({start: redirect(target), target: httpx.Response(200, content=b"x")})
    async with upstream.client() as public:
        http = UpstreamHttp(public, resolve=NAMES)
        up = connector("https://pypi.example", file_hosts=[target.rsplit("/", 1)[0]],
                       username="robot", password="s3cret")  # fmt: skip
        async with http.open_file(up, start) as response:
            assert await response.aread() == b"x"
    first, second = upstream.seen
    assert first.headers["Authorization"].startswith("Basic ")
    assert "Authorization" not in second.headers


async def test_a_loopback_upstream_configured_by_the_admin_keeps_working() -> None:
    with loopback_index() as index:
        index.routes["/f.whl"] = Reply(200, b"wheel")
        index.routes["/moved"] = Reply(302, b"", {"Location": "/f.whl"})
        async with new_client(5.0) as public, new_client(5.0, allow_private=True) as internal:
            http = UpstreamHttp(public, internal)
            async with http.open_file(connector(index.url), index.url + "/moved") as response:
                assert await response.aread() == b"wheel"
            # Without a client allowed to reach private addresses, the same is refused.
            closed = UpstreamHttp(public)
            with pytest.raises(UpstreamFailed, match="not allowed"):
                async with closed.open_file(connector(index.url), index.url + "/f.whl"):
                    pass
        assert index.count("/f.whl") == 1


async def test_a_name_resolving_to_cloud_metadata_is_refused_when_connecting() -> None:
    names = resolver({"evil.example": ["169.254.169.254"]})
    async with new_client(2.0, resolve=names) as public:
        http = UpstreamHttp(public, resolve=names)
        with pytest.raises(UpstreamFailed, match="not allowed"):
            async with http.open_file(connector("http://evil.example"), "http://evil.example/f"):
                pass
