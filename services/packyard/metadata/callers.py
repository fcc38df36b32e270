"""Who a metadata RPC acts for, and the permission checks every domain's servicer makes.

The caller interceptor (metadata/caller_interceptor.py) resolves each call's principal into
a ContextVar before the servicer runs; a servicer's first line then asks for the right the
method needs (``await caller().require_right(feed, Right.PUBLISH)``), decided by the same
rights matrix the gateway's HTTP routes use (common/rights.py). The audit row of a change
names this principal and address, never fields of the request.

Who the principal is depends on the certificate identity:

- ``gateway``: the principal of its ``x-packyard-principal`` token, else anonymous; the
  client address of ``x-packyard-client-address``.
- ``client:NAME``: the API key of its ``authorization: Bearer`` metadata, else anonymous.
- ``operator`` (`packyard up`'s bootstrap): a global administrator named ``operator``.
- ``connector``, ``metadata``: the service itself, trusted within its rows of the identity
  table (common/rpc_access.py), which keep it to the methods it needs.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

import asyncpg
from packyard_rpc.v1 import common_pb2

from packyard.common.errors import PermissionDenied, Unauthenticated
from packyard.common.rights import Right, can_read_feed, has_right, is_global_admin
from packyard.common.rpc_access import GATEWAY
from packyard.metadata import db
from packyard.metadata.audit import AuditContext
from packyard.metadata.index.interface import anonymous_feeds

# Making a feed private takes effect here within this many seconds (the gateway's own bound).
VISIBILITY_TTL = 1.0

_RIGHT_NAMES = {
    Right.READ: "read",
    Right.PUBLISH: "publish to",
    Right.YANK: "yank or delete in",
    Right.ADMIN: "administer",
    Right.PROMOTE: "promote into",
}


class FeedVisibility:
    """Whether anyone may read a feed. A "yes" is reused for ``VISIBILITY_TTL`` (anonymous
    reads of public feeds, the hot path, cost no query); a "no" is always asked again, so a feed
    just created or opened is readable at once and only making one private waits the bound."""

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 5.0) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._cached: tuple[float, frozenset[str]] | None = None

    async def is_public(self, feed: str) -> bool:
        now = time.monotonic()
        if self._cached is not None and self._cached[0] > now and feed in self._cached[1]:
            return True
        async with db.connection(self._pool, self._acquire_timeout) as conn:
            names = await anonymous_feeds(conn)
        self._cached = (now + VISIBILITY_TTL, names)
        return feed in names


@dataclass(frozen=True)
class Caller:
    """The identity of the certificate, the principal it acts for (None: anonymous) and the
    client address (the gateway's word for it; "" otherwise)."""

    identity: str | None = None
    principal: common_pb2.Principal | None = None
    address: str = ""
    # A service acting for itself (connector, metadata): the identity table already limits it.
    service: bool = False
    visibility: FeedVisibility | None = field(default=None, repr=False, compare=False)

    @property
    def is_gateway(self) -> bool:
        return self.identity == GATEWAY

    @property
    def name(self) -> str:
        return self.principal.name if self.principal is not None else "anonymous"

    def audit(self) -> AuditContext:
        """Who made a change and from where, for its audit row."""
        if self.principal is not None:
            return AuditContext(
                actor=self.principal.name,
                actor_key=self.principal.key_prefix,
                client_address=self.address,
            )
        return AuditContext(actor=self.identity or "", client_address=self.address)

    def require_principal(self) -> common_pb2.Principal:
        if self.principal is None:
            raise Unauthenticated("This call needs credentials (a principal).")
        return self.principal

    def require_admin(self) -> None:
        if self.service:
            return
        principal = self.require_principal()
        if not is_global_admin(principal):
            raise PermissionDenied(f"'{principal.name}' is not an administrator.")

    def holds(self, feed: str, right: Right) -> bool:
        """Whether the caller holds ``right`` on the feed (a service holds every right)."""
        return self.service or has_right(self.principal, feed, right)

    def require_right(self, feed: str, right: Right, *, wanted: Right | None = None) -> None:
        """``right`` on the feed, else PERMISSION_DENIED naming what the caller wanted to do
        (``wanted``; default ``right``)."""
        if self.service:
            return
        principal = self.require_principal()
        if not has_right(principal, feed, right):
            raise PermissionDenied(
                f"'{principal.name}' may not {_RIGHT_NAMES[wanted or right]} feed '{feed}'."
            )

    async def may_read(self, feed: str) -> bool:
        if self.service or has_right(self.principal, feed, Right.READ):
            return True
        public = self.visibility is not None and await self.visibility.is_public(feed)
        return can_read_feed(self.principal, feed, anonymous_read=public)

    async def require_read(self, feed: str) -> None:
        """Read right on the feed, or the feed is anonymous-readable."""
        if await self.may_read(feed):
            return
        if self.principal is None:
            raise Unauthenticated(f"Feed '{feed}' requires authentication.")
        raise PermissionDenied(f"'{self.principal.name}' may not read feed '{feed}'.")

    async def readable(self, feeds: list[str]) -> list[str]:
        """The feeds of ``feeds`` this caller may read, in order."""
        return [feed for feed in feeds if await self.may_read(feed)]


_CURRENT: ContextVar[Caller | None] = ContextVar("packyard_metadata_caller", default=None)
_ANONYMOUS = Caller()


def caller() -> Caller:
    """The caller of the RPC being served (anonymous outside one)."""
    return _CURRENT.get() or _ANONYMOUS


def set_caller(value: Caller) -> None:
    _CURRENT.set(value)
