"""The front door: a cached page answered before the middleware stack only when nothing in
that stack would change the answer; every other request goes the whole way (issue 13)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any, cast

from packyard.gateway.auth.authenticator import Authenticator
from packyard.gateway.backends import Backends
from packyard.gateway.page_cache import CachedPage, PageCache
from packyard.gateway.pypi.front_door import FrontDoor, cached_page_answer
from packyard.gateway.pypi.simple import project_page_key
from packyard.protocol.negotiation import SimpleFormat
from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2
from starlette.requests import Request

READER = "Basic " + base64.b64encode(b"api:pky_reader123456_secret").decode()
STRANGER = "Basic " + base64.b64encode(b"api:pky_strangr12345_secret").decode()
PAGE = CachedPage(
    b"<html>demo</html>",
    "text/html; charset=utf-8",
    {"Vary": "Accept", "Cache-Control": "no-cache", "ETag": '"e1"'},
)


class TableBackends:
    """The two calls the Authenticator makes, answered from tables."""

    def __init__(self) -> None:
        feeds = {
            "open": metadata_pb2.Feed(name="open", anonymous_read=True),
            "private": metadata_pb2.Feed(name="private"),
        }
        principals = {
            "pky_reader123456_secret": common_pb2.Principal(name="reader", read_feeds=["private"]),
            "pky_strangr12345_secret": common_pb2.Principal(name="stranger"),
        }

        async def get_feed(request: Any, **_: Any) -> Any:
            return metadata_pb2.GetFeedResponse(feed=feeds[request.name])

        async def authenticate(request: Any, **_: Any) -> Any:
            return access_pb2.AuthenticateResponse(principal=principals[request.password])

        self.metadata = SimpleNamespace(get_feed=get_feed)
        self.access = SimpleNamespace(authenticate=authenticate)


async def _state(*, known: tuple[str, ...] = ("open", "private")) -> dict[str, Any]:
    auth = Authenticator(cast(Backends, TableBackends()), ttl=60.0)
    auth.set_live(True)
    for name in known:
        await auth.feed(name)
    pages = PageCache(5.0, 1 << 20)
    pages.set_live(True)
    for feed in ("open", "private"):
        pages.put(project_page_key(feed, "demo", SimpleFormat.HTML), pages.ticket(), PAGE)
    return {"auth": auth, "pages": pages}


async def _known_reader(state: dict[str, Any], header: str) -> None:
    request = Request(
        {"type": "http", "headers": [(b"authorization", header.encode())], "client": ("h", 1)}
    )
    await state["auth"].principal(request)


def _scope(
    state: dict[str, Any],
    path: str = "/pypi/open/simple/demo/",
    headers: dict[str, str] | None = None,
    method: str = "GET",
    query: bytes = b"",
) -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {
        "type": "http", "method": method, "path": path, "query_string": query,
        "headers": raw, "state": state,
    }  # fmt: skip


async def test_a_cached_page_of_an_open_feed_is_answered_with_the_routes_headers() -> None:
    state = await _state()
    status, headers, body = cached_page_answer(_scope(state)) or (0, [], b"")
    assert status == 200 and body == PAGE.body
    assert headers == [
        (b"vary", b"Accept"),
        (b"cache-control", b"no-cache"),
        (b"etag", b'"e1"'),
        (b"content-length", str(len(PAGE.body)).encode()),
        (b"content-type", b"text/html; charset=utf-8"),
        (b"x-content-type-options", b"nosniff"),
    ]


async def test_revalidation_is_a_304_with_the_pages_headers_and_no_body() -> None:
    state = await _state()
    answer = cached_page_answer(_scope(state, headers={"If-None-Match": '"e1"'}))
    assert answer is not None
    status, headers, body = answer
    assert (status, body) == (304, b"")
    assert (b"etag", b'"e1"') in headers
    assert not [value for name, value in headers if name == b"content-type"]


async def test_a_private_feed_is_answered_only_for_a_caller_known_to_read_it() -> None:
    state = await _state()
    private = "/pypi/private/simple/demo/"
    # Nobody known yet: the whole stack asks the metadata service and decides.
    assert cached_page_answer(_scope(state, private, {"Authorization": READER})) is None
    await _known_reader(state, READER)
    await _known_reader(state, STRANGER)
    assert cached_page_answer(_scope(state, private, {"Authorization": READER})) is not None
    # Refused, or anonymous: the stack answers 403 / 401 (and counts the failure).
    assert cached_page_answer(_scope(state, private, {"Authorization": STRANGER})) is None
    assert cached_page_answer(_scope(state, private)) is None
    assert cached_page_answer(_scope(state, private, {"Cookie": "session=x"})) is None
    # A change of keys or permissions forgets what was known.
    state["auth"].forget()
    assert cached_page_answer(_scope(state, private, {"Authorization": READER})) is None


async def test_everything_else_goes_through_the_whole_stack() -> None:
    state = await _state()
    declined = [
        _scope(state, headers={"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}),
        _scope(state, query=b"format=text/html"),
        _scope(state, headers={"Content-Length": "3"}),
        _scope(state, method="POST"),
        _scope(state, "/pypi/open/simple/Demo/"),  # redirected to the canonical name
        _scope(state, "/pypi/open/simple/other/"),  # not kept
        _scope(state, headers={"Accept": "application/vnd.pypi.simple.v1+json"}),  # not kept
        _scope(state, headers={"Accept": "image/png"}),  # 406 from the route
        _scope(state, "/pypi/open/simple/"),
    ]
    assert [cached_page_answer(scope) for scope in declined] == [None] * len(declined)
    unknown_feed = await _state(known=())
    assert cached_page_answer(_scope(unknown_feed)) is None


async def test_a_page_due_for_its_reload_goes_to_the_route_which_starts_it() -> None:
    state = await _state()
    now = [1000.0]
    pages = PageCache(4.0, 1 << 20, clock=lambda: now[0])
    pages.set_live(True)
    key = project_page_key("open", "demo", SimpleFormat.HTML)
    pages.put(key, pages.ticket(), PAGE)
    state["pages"] = pages
    assert cached_page_answer(_scope(state)) is not None
    now[0] += 3.1
    assert cached_page_answer(_scope(state)) is None


async def test_the_front_door_sends_the_answer_or_hands_the_request_on() -> None:
    state = await _state()
    handed_on: list[str] = []

    async def stack(scope: Any, receive: Any, send: Any) -> None:
        handed_on.append(scope["path"])

    sent: list[dict[str, Any]] = []

    async def receive() -> Any:
        raise AssertionError("a GET of a cached page reads no body")

    async def send(message: Any) -> None:
        sent.append(message)

    door = FrontDoor(stack, enabled=True)
    await door(_scope(state), receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == PAGE.body and handed_on == []
    await door(_scope(state, "/pypi/open/simple/other/"), receive, send)
    assert handed_on == ["/pypi/open/simple/other/"]
    # A process that records requests (traces or metrics exported) never takes the shortcut.
    await FrontDoor(stack, enabled=False)(_scope(state), receive, send)
    assert handed_on == ["/pypi/open/simple/other/", "/pypi/open/simple/demo/"]
