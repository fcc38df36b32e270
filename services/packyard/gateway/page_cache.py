"""Rendered pages kept by this gateway for a few seconds, so a hot page costs no RPC.

Simple pages (HTML and JSON) and JSON API documents are kept per (feed, project, variant)
with their ETag and headers. Authorization is not part of an entry: routes decide it on every
request before they look here. A cached page never hides a change for longer than this:

- on the gateway that made the change: not at all (the route drops the entries at once);
- on every other gateway: until ``packyard.index.changed.FEED`` arrives (milliseconds), and
  never longer than ``ttl`` seconds after the data was read, even when the event is lost;
- while this gateway's NATS subscription is down nothing is served from the cache or stored
  in it, and it starts empty when the subscription is back (events may have been missed).

A page whose load began before a drop of its project (or feed) is not stored: it may have
been read before the change. Loads take a ``Ticket`` first and ``put`` checks it.
Everything here runs on the event loop without awaiting, so each method is atomic.

Routes load pages through ``load``: concurrent requests for a page that is not kept share one
load (one that began before a drop of the page is never shared with a request that came after
it), and a page hit late in its life is renewed in the background while the kept one is still
served. Without this, when a hot page expired every connection waiting on the worker loaded it
anew, and each waited: a 500-file page's reload took 35-150 ms, the bench's p99 (issue 13).

Renewal first revalidates: every change to a feed's pages raises the feed's change serial in
the same transaction (metadata/change_events.py; reconciliation rests on the same rule). Each
entry remembers the feed's serial last read before its data was (its ``basis``); if the serial
read now is still that one, nothing changed since, and the entry (with every other entry of
the feed on that basis) lives another TTL counted from before this read: one small query per
feed instead of a page load per page. Otherwise the page is loaded again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response

from packyard.common.together import SingleFlight
from packyard.gateway.security_headers import NOSNIFF
from packyard.gateway.shared_pages import SharedPage, SharedPages
from packyard.gateway.sibling_drops import SiblingDrops
from packyard.protocol.caching import if_none_match_matches
from packyard.protocol.filenames import InvalidFilename, parse_distribution_filename

log = logging.getLogger(__name__)

# A hit in the last quarter of a page's life starts its reload in the background, so a hot
# page is replaced before it expires: at most one reload per page every ttl * 0.75 while it
# is read, none while it is not.
REFRESH_AFTER = 0.75

FetchSerials = Callable[[], Awaitable[Mapping[str, int]]]
_SERIALS = ("", "", "change-serials")  # the flight key of a serials read

# Bookkeeping per entry beyond its body and headers, so empty pages still count.
_ENTRY_OVERHEAD = 256
# Projects and feeds whose drop is remembered for in-flight loads; past this, every load that
# began before now is refused instead (rare, and only costs a reload).
_MAX_REMEMBERED_DROPS = 10_000

PageKey = tuple[str, str, str]  # feed, project, variant (format, version, base URL)


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    media_type: str
    headers: Mapping[str, str] = field(default_factory=dict)  # ETag, Cache-Control, Vary, …
    # Made of the metadata service's data alone, so the feed's change serial says whether it
    # is still current (renewal by revalidation). A page with anything from an upstream is
    # not: the connector refreshes a listing only when asked, so such a page is loaded again.
    renewable: bool = False

    @property
    def etag(self) -> str:
        return self.headers.get("ETag", "")

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items())

    def answer(self, if_none_match: str | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, raw headers and body of ``response`` as an ASGI server sends them, the
        security headers included (front_door.py)."""
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        if self.etag and if_none_match_matches(if_none_match, self.etag):
            return 304, [*raw, NOSNIFF], b""
        return (
            200,
            [
                *raw,
                (b"content-length", str(len(self.body)).encode()),
                (b"content-type", self.media_type.encode("latin-1")),
                NOSNIFF,
            ],
            self.body,
        )

    def response(self, request: Request) -> Response:
        """The page, or 304 when the client already has this ETag."""
        if self.etag and if_none_match_matches(request.headers.get("if-none-match"), self.etag):
            return Response(status_code=304, headers=dict(self.headers))
        return Response(self.body, media_type=self.media_type, headers=dict(self.headers))


@dataclass(frozen=True)
class Ticket:
    """Taken before a page's data is read: when it was read, which drops came before, and the
    feeds' change serials read last before it (None: not read since the cache started)."""

    generation: int
    read_at: float
    serials: Mapping[str, int] | None = None


@dataclass
class _Entry:
    page: CachedPage
    expires: float
    size: int
    refresh_at: float
    basis: int | None  # the feed's change serial read before the data (None: unknown)


class PageCache:
    def __init__(
        self,
        ttl: float,
        max_bytes: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        siblings: SiblingDrops | None = None,
        shared: SharedPages | None = None,
        serials: FetchSerials | None = None,
    ) -> None:
        # The other workers of this gateway (sibling_drops.py): their changes are dropped here
        # before anything is read or stored, and this worker's changes are told to them.
        self._siblings = siblings
        self._sibling_news = siblings.reader() if siblings is not None else None
        # Pages the other workers loaded (shared_pages.py): taken only if read after every
        # drop of their project or feed this cache knows of, so the times of drops are kept.
        self._shared = shared
        self._dropped_at: dict[tuple[str, str], float] = {}
        self._floor_at = float("-inf")
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[PageKey, _Entry] = OrderedDict()
        self._by_project: dict[tuple[str, str], set[PageKey]] = {}
        self._bytes = 0
        # Every drop or clear bumps the generation; a ticket older than the last drop of its
        # project or feed, or older than the floor, may not be stored.
        self._generation = 0
        self._floor = 0
        self._drops: dict[tuple[str, str], int] = {}
        self._live = False
        # Loads, and reads of the feeds' change serials, in flight (each shared by the
        # requests that ask meanwhile); how to read the serials, and the last read.
        self._flights = SingleFlight()
        self._fetch_serials = serials
        self._serials: Mapping[str, int] | None = None
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        """Serving from the cache: configured, and the change subscription is connected."""
        return self._live and self._ttl > 0 and self._max_bytes > 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def set_live(self, live: bool) -> None:
        """Whether change events are arriving; either way the cache starts over empty."""
        self._live = live
        self.clear()

    def ticket(self) -> Ticket:
        self._absorb_sibling_drops()
        return Ticket(self._generation, self._clock(), self._serials)

    def note_serials(self, serials: Mapping[str, int]) -> None:
        """The feeds' change serials, just read (by the reconciler too): the basis of every
        page whose data is read from now on."""
        self._serials = serials

    def get(self, key: PageKey) -> CachedPage | None:
        if not self.enabled:
            return None
        self._absorb_sibling_drops()
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self._clock():
            if entry is not None:
                self._remove(key)
            adopted = self._from_siblings(key)
            if adopted is None:
                self.misses += 1
                return None
            entry = adopted
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.page

    def _from_siblings(self, key: PageKey, newer_than: float = float("-inf")) -> _Entry | None:
        """The page another worker loaded (after ``newer_than``), kept here too, if this cache
        may use it."""
        if self._shared is None:
            return None
        feed, project, _ = key
        read_after = max(
            newer_than,
            self._floor_at,
            self._dropped_at.get((feed, project), self._floor_at),
            self._dropped_at.get((feed, ""), self._floor_at),
        )
        found = self._shared.take(key, read_after=read_after, now=self._clock())
        if found is None:
            return None
        page = CachedPage(found.body, found.media_type, found.headers, found.renewable)
        return self._keep(key, found.read_at, page, found.basis)

    def refresh_due(self, key: PageKey) -> bool:
        """Whether a hit on ``key`` should start its reload (late in its life, none running)."""
        entry = self._entries.get(key)
        return (
            entry is not None
            and not self._flights.running(key)
            and self._clock() >= entry.refresh_at
        )

    async def load(self, key: PageKey, loader: Callable[[], Awaitable[CachedPage]]) -> CachedPage:
        """The page under ``key``: kept, or loaded by ``loader`` once for every request that
        waits for it (and kept). ``loader`` must not depend on who asks: access is decided
        before, per request. A failed load raises in every request that waited for it."""
        if not self.enabled:
            return await loader()
        cached = self.get(key)
        if cached is not None:
            if self.refresh_due(key) and not self._fresher_from_siblings(key):
                self._start(key, loader, renew=True)
            return cached
        # Shielded: a client that goes away does not cancel the load the others wait for.
        return await asyncio.shield(self._start(key, loader))

    async def _revalidated(self, key: PageKey) -> CachedPage | None:
        """The kept page of ``key`` if the feed's change serial says nothing changed since its
        data was read (its life, and that of the feed's other entries on the same basis, then
        extended); None when it must be loaded again."""
        if self._fetch_serials is None or key not in self._entries:
            return None
        try:
            before, serials = await self._read_serials()
        except Exception as exc:  # the load that follows decides, and reports
            log.debug("page_cache.serials_failed", extra={"error": type(exc).__name__})
            return None
        entry = self._entries.get(key)
        current = serials.get(key[0], 0)
        if (
            entry is None
            or not entry.page.renewable
            or entry.basis != current
            or self._outdated(key, before)
        ):
            return None
        expires = before.read_at + self._ttl
        for other_key, other in self._entries.items():
            if (
                other_key[0] == key[0]
                and other.page.renewable
                and other.basis == current
                and not self._outdated(other_key, before)
            ):
                other.expires = max(other.expires, expires)
                other.refresh_at = max(other.refresh_at, before.read_at + self._ttl * REFRESH_AFTER)
        return entry.page

    async def _read_serials(self) -> tuple[Ticket, Mapping[str, int]]:
        """The feeds' change serials, read once for every renewal that asks meanwhile, and the
        ticket taken before the read (what they confirm is confirmed as of then)."""
        assert self._fetch_serials is not None
        fetch = self._fetch_serials
        before = self.ticket()  # a joiner gets the ticket of the read it joins

        async def read() -> tuple[Ticket, Mapping[str, int]]:
            serials = await fetch()
            self.note_serials(serials)
            return before, serials

        return await self._flights.run(_SERIALS, read)

    def _fresher_from_siblings(self, key: PageKey) -> bool:
        """Whether another worker's reload of ``key`` replaced the page kept here."""
        entry = self._entries[key]
        fresher = self._from_siblings(key, newer_than=entry.expires - self._ttl)
        return fresher is not None and fresher.refresh_at > self._clock()

    def _start(
        self, key: PageKey, loader: Callable[[], Awaitable[CachedPage]], *, renew: bool = False
    ) -> asyncio.Future[CachedPage]:
        """The load of ``key`` in flight, or a new one: a load that began before a drop of the
        page is not joined (its epoch, the drops that concern the page, moved)."""
        ticket = self.ticket()

        async def load_and_keep() -> CachedPage:
            reading = ticket
            if renew or (self._serials is None and self._fetch_serials is not None):
                if renew:
                    still = await self._revalidated(key)
                    if still is not None:
                        return still
                else:
                    # The first loads of a (re)started cache: the serials first, so that what
                    # they read has a basis and its renewal can be a revalidation.
                    with contextlib.suppress(Exception):
                        await self._read_serials()
                reading = self.ticket()  # after the serials read: the newest basis
            try:
                page = await loader()
            except Exception:
                # Waiters, if any, get the error; a background renewal's is only logged (the
                # kept page is served until it expires, then a request's own load fails).
                log.debug("page_cache.load_failed", extra={"feed": key[0], "project": key[1]})
                raise
            self.put(key, reading, page)
            return page

        return self._flights.start(key, load_and_keep, epoch=self._drop_epoch(key))

    def _drop_epoch(self, key: PageKey) -> tuple[int, int, int]:
        """What changes when ``key``'s page is dropped (by a drop of its project or feed, or
        by starting over): a load begun under another epoch may predate a change."""
        feed, project, _ = key
        return (
            self._floor,
            self._drops.get((feed, project), -1),
            self._drops.get((feed, ""), -1),
        )

    def put(self, key: PageKey, ticket: Ticket, page: CachedPage) -> None:
        """Keep ``page`` unless a change may have happened since ``ticket`` was taken."""
        if not self.enabled:
            return
        self._absorb_sibling_drops()
        if self._outdated(key, ticket):
            return
        basis = ticket.serials.get(key[0], 0) if ticket.serials is not None else None
        if self._keep(key, ticket.read_at, page, basis) is not None and self._shared is not None:
            shared = SharedPage(
                ticket.read_at, basis, page.body, page.media_type, page.headers, page.renewable
            )
            self._shared.offer(key, shared, self._clock())

    def _keep(
        self, key: PageKey, read_at: float, page: CachedPage, basis: int | None
    ) -> _Entry | None:
        expires = read_at + self._ttl
        size = page.size + _ENTRY_OVERHEAD
        # One huge page must not push out everything else.
        if expires <= self._clock() or size > self._max_bytes // 4:
            return None
        if key in self._entries:
            self._remove(key)
        entry = _Entry(page, expires, size, read_at + self._ttl * REFRESH_AFTER, basis)
        self._entries[key] = entry
        self._by_project.setdefault((key[0], key[1]), set()).add(key)
        self._bytes += size
        while self._bytes > self._max_bytes:
            self._remove(next(iter(self._entries)))
        return entry

    def drop(self, feed: str, project: str = "") -> None:
        """Forget the pages of ``project`` in ``feed`` (every page of the feed if empty)."""
        self._generation += 1
        now = self._clock()
        if len(self._drops) >= _MAX_REMEMBERED_DROPS:
            self._drops.clear()
            self._floor = self._generation
            self._dropped_at.clear()
            self._floor_at = now
        self._drops[(feed, project)] = self._generation
        self._dropped_at[(feed, project)] = now
        if project:
            keys = list(self._by_project.get((feed, project), ()))
        else:
            keys = [k for k in self._entries if k[0] == feed]
        for key in keys:
            self._remove(key)

    def drop_for_change(self, feed: str, project: str = "") -> None:
        """``drop``, after this worker changed the project (or feed): the gateway's other
        workers drop it too before their next look into their caches."""
        self.drop(feed, project)
        if self._siblings is not None:
            self._siblings.publish(feed, project)

    def _absorb_sibling_drops(self) -> None:
        if self._sibling_news is None:
            return
        for dropped in self._sibling_news.news():
            if dropped is None:
                self.clear()
            else:
                self.drop(*dropped)

    def clear(self) -> None:
        self._serials = None  # start over: no basis from before
        self._generation += 1
        self._floor = self._generation
        self._drops.clear()
        self._dropped_at.clear()
        self._floor_at = self._clock()
        self._entries.clear()
        self._by_project.clear()
        self._bytes = 0

    def _outdated(self, key: PageKey, ticket: Ticket) -> bool:
        feed, project, _ = key
        return (
            ticket.generation < self._floor
            or self._drops.get((feed, project), -1) > ticket.generation
            or self._drops.get((feed, ""), -1) > ticket.generation
        )

    def _remove(self, key: PageKey) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.size
        scope = (key[0], key[1])
        keys = self._by_project.get(scope)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_project[scope]


def page_cache(request: Request) -> PageCache:
    """The gateway's page cache (opened by the lifespan)."""
    return request.state.pages  # type: ignore[no-any-return]


def drop_pages(request: Request, feed: str, project: str = "") -> None:
    """After this gateway changed a project (or, with no project, a feed): drop its pages here
    at once; the metadata service's event drops them on the other gateways."""
    page_cache(request).drop_for_change(feed, project)


def drop_file_pages(request: Request, feed: str, filename: str) -> None:
    """``drop_pages`` for the project a distribution filename belongs to."""
    project: str
    try:
        project = parse_distribution_filename(filename).project
    except InvalidFilename:
        project = ""  # not a name we could have listed; drop the whole feed to be sure
    drop_pages(request, feed, project)
