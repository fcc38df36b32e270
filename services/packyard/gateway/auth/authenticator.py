"""Who is calling, and may they? Authentication goes to the metadata service; results are
cached for a moment so a burst of pip requests costs one RPC.

A revoked key or a removed permission must stop working on every gateway within one second.
While the gateway's NATS subscription is connected, ``packyard.access.changed`` empties the
cache (``forget``) and entries may live ``ttl`` seconds (a few); while it is not, they live
at most ``DISCONNECTED_TTL`` so the bound holds without the event.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from fastapi import Request
from packyard_rpc.v1 import access_pb2, common_pb2, metadata_pb2

from packyard.common.errors import PermissionDenied, ResourceExhausted, Unauthenticated
from packyard.common.login_lockout import credential_identity
from packyard.common.together import SingleFlight
from packyard.gateway.auth.credentials import (
    BAD_CREDENTIALS,
    can_publish,
    can_read,
    parse_authorization,
)
from packyard.gateway.auth.limits import LockoutMemo
from packyard.gateway.auth.session_cookie import session_token
from packyard.gateway.backends import Backends
from packyard.gateway.clients.principal import act_for

# Without the event, a cache entry lives half of the one-second bound so the RPC and clock
# slack fit in the rest.
DISCONNECTED_TTL = 0.5
# The principal token cached with an answer lives 30 s (metadata/access/principal_token.py):
# an answer is reused well within that, whatever PACKYARD_AUTH_CACHE_TTL says.
TOKEN_REUSE = 20.0
_MAX_CACHED = 10_000


def client_address(request: Request) -> str:
    """The caller's address: the client's own behind a trusted proxy (trusted_proxies.py)."""
    return request.client.host if request.client is not None else ""


def forget_authentications(request: Request) -> None:
    """After this gateway changed keys, users, permissions or feed access: forget here at once;
    the metadata service's event does it on the other gateways."""
    authenticator: Authenticator = request.state.auth
    authenticator.forget()


class Authenticator:
    def __init__(
        self,
        backends: Backends,
        lockouts: LockoutMemo | None = None,
        *,
        ttl: float = DISCONNECTED_TTL,
    ) -> None:
        self._backends = backends
        self._lockouts = lockouts or LockoutMemo()
        # digest of the header -> (until, principal, principal token)
        self._cache: dict[bytes, tuple[float, common_pb2.Principal, str]] = {}
        # Feed settings decide access too (a feed made private), so they share the TTL.
        self._feeds: dict[str, tuple[float, metadata_pb2.Feed]] = {}
        self._connected_ttl = ttl
        self._live = False
        # Bumped by forget(): an answer whose RPC began before a forget() may predate the
        # change, so it is used once but not cached.
        self._generation = 0
        # Lookups in flight, shared by the requests that miss the same entry at once (a burst
        # of uv's parallel requests after an entry expired made one RPC each; issue 13). Only
        # a lookup that began after the last forget() is joined.
        self._asking = SingleFlight()

    @property
    def ttl(self) -> float:
        """How long an answer is reused now: longer only while change events arrive."""
        if self._live:
            return self._connected_ttl
        return min(self._connected_ttl, DISCONNECTED_TTL)

    def set_live(self, live: bool) -> None:
        """Whether ``packyard.access.changed`` events arrive; the cache starts over either way."""
        self._live = live
        self.forget()

    def forget(self) -> None:
        """Drop every cached authentication (after a change of keys or permissions)."""
        self._generation += 1
        self._cache.clear()
        self._feeds.clear()

    @property
    def lockouts(self) -> LockoutMemo:
        """Lockouts the metadata service decided (shared with the sign-in form)."""
        return self._lockouts

    async def principal(self, request: Request) -> common_pb2.Principal | None:
        """The caller: HTTP Basic credentials first (clients), else the UI's session cookie."""
        header = request.headers.get("authorization")
        principal: common_pb2.Principal | None
        if header:
            principal = await self._basic(request, header)
        else:
            principal = await self._session(request, session_token(request))
        # The page templates show an admin link only to administrators.
        request.state.principal = principal
        return principal

    async def _basic(self, request: Request, header: str) -> common_pb2.Principal:
        address = client_address(request)
        creds = parse_authorization(header)
        assert creds is not None
        # Cache by a digest of the header, never by the secret itself.
        key = hashlib.sha256(header.encode()).digest()
        hit = self._cached(key, address)
        if hit is not None:
            return hit
        identity = credential_identity(creds.username, creds.password)
        self._lockouts.check(address, identity)
        began, generation = time.monotonic(), self._generation

        async def authenticate() -> access_pb2.AuthenticateResponse:
            # Authenticate carries the client's address: failed logins are counted per address.
            act_for("", address)
            return await self._backends.access.authenticate(
                access_pb2.AuthenticateRequest(username=creds.username, password=creds.password)
            )

        try:
            # Shared only by requests from the same address with the same header.
            reply = await self._asking.run(
                ("basic", key, address), authenticate, epoch=self._generation
            )
        except Unauthenticated:
            raise Unauthenticated(BAD_CREDENTIALS) from None
        except ResourceExhausted as exc:
            raise self._lockouts.locked(address, identity, exc) from None
        return self._remember(
            key, began, generation, reply.principal, reply.principal_token, address
        )

    async def _session(self, request: Request, token: str) -> common_pb2.Principal | None:
        """The principal of a live session; None (anonymous) without one or after it ended.
        The token is 256 random bits: guessing needs no failure limit."""
        if not token:
            return None
        address = client_address(request)
        key = hashlib.sha256(b"session\0" + token.encode()).digest()
        hit = self._cached(key, address)
        if hit is not None:
            return hit
        began, generation = time.monotonic(), self._generation
        try:
            reply = await self._backends.access.resolve_session(
                access_pb2.ResolveSessionRequest(session=token)
            )
        except Unauthenticated:
            return None
        return self._remember(
            key, began, generation, reply.principal, reply.principal_token, address
        )

    def _cached(self, key: bytes, address: str) -> common_pb2.Principal | None:
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            act_for(hit[2], address)
            return hit[1]
        return None

    def _remember(
        self,
        key: bytes,
        began: float,
        generation: int,
        principal: common_pb2.Principal,
        token: str,
        address: str,
    ) -> common_pb2.Principal:
        """Cache an answer (unless a forget() came during its RPC); act for it from now on."""
        lifetime = self._lifetime(principal)
        if generation == self._generation:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key] = (began + lifetime, principal, token)
        # This request's calls to the metadata service now act for this principal.
        act_for(token, address)
        return principal

    def _lifetime(self, principal: common_pb2.Principal) -> float:
        """How long this answer may be reused: the TTL, but never past the key's expiry.

        Expiry sends no event, so the Principal carries it. The clock is read after the RPC
        and the entry is dated from before it, so the entry ends at or before the expiry.
        """
        ttl = min(self.ttl, TOKEN_REUSE)
        if not principal.HasField("key_expires"):
            return ttl
        expires = principal.key_expires.ToDatetime(tzinfo=UTC)
        return max(0.0, min(ttl, (expires - datetime.now(UTC)).total_seconds()))

    async def feed(self, name: str) -> metadata_pb2.Feed:
        now = time.monotonic()
        hit = self._feeds.get(name)
        if hit and hit[0] > now:
            return hit[1]
        generation = self._generation
        reply = await self._asking.run(
            ("feed", name),
            lambda: self._backends.metadata.get_feed(metadata_pb2.GetFeedRequest(name=name)),
            epoch=generation,
        )
        if generation == self._generation:
            if len(self._feeds) >= _MAX_CACHED:
                self._feeds.clear()
            self._feeds[name] = (now + self.ttl, reply.feed)
        return reply.feed

    def may_read_now(self, authorization: str | None, name: str) -> bool:
        """True when what this gateway already knows lets the caller read feed ``name``: the
        feed's settings and, unless anyone may read it, the caller's Basic credentials, both
        cached now. False means "not known here yet, or refused": the request then goes through
        ``readable_feed``, which asks, refuses and counts failures as always. No side effects
        (front_door.py answers with it before the request has a context of its own)."""
        now = time.monotonic()
        known = self._feeds.get(name)
        if known is None or known[0] <= now:
            return False
        feed = known[1]
        if feed.anonymous_read:
            return True
        if not authorization:
            return False  # a session cookie is resolved the full way
        hit = self._cache.get(hashlib.sha256(authorization.encode()).digest())
        return hit is not None and hit[0] > now and can_read(hit[1], feed)

    async def readable_feed(self, request: Request, name: str) -> metadata_pb2.Feed:
        """The feed, if the caller may read it: 401 without credentials, 403 without the right."""
        feed = await self.feed(name)
        if feed.anonymous_read:
            return feed
        principal = await self.principal(request)
        if principal is None:
            raise Unauthenticated(f"Feed '{name}' requires authentication.")
        if not can_read(principal, feed):
            raise PermissionDenied(f"'{principal.name}' may not read feed '{name}'.")
        return feed

    async def publishable_feed(
        self, request: Request, name: str
    ) -> tuple[metadata_pb2.Feed, common_pb2.Principal]:
        """The feed and the caller, if the caller may publish to it (checked before the body)."""
        principal = await self.principal(request)
        if principal is None:
            raise Unauthenticated("Uploading requires an API key: use -u api -p KEY.")
        feed = await self.feed(name)
        if not can_publish(principal, feed):
            raise PermissionDenied(f"The given key isn't allowed to upload to '{name}'.")
        return feed, principal
