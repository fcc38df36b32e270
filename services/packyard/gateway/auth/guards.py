"""Guards for the admin API (``/api/v1/…``), reusable by every admin router.

Use the ``Annotated`` aliases in a route signature::

    @router.get("/api/v1/feeds/{feed}/connectors")
    async def list_connectors(feed: str, caller: FeedAdminDep) -> ...

or call ``require_feed_right(request, feed, Right.PUBLISH)`` inside a route. Missing or bad
credentials are 401 (with ``WWW-Authenticate``), a valid caller without the right is 403.
``audit_context`` says who and from where, for the audit log of a change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from packyard_rpc.v1 import common_pb2

from packyard.common.errors import PermissionDenied, Unauthenticated
from packyard.gateway.auth.authenticator import Authenticator, client_address
from packyard.gateway.auth.credentials import Right, has_right

Principal = common_pb2.Principal

__all__ = [
    "AdminDep",
    "CallerDep",
    "FeedAdminDep",
    "FeedPublishDep",
    "FeedReadDep",
    "FeedYankDep",
    "Principal",
    "Right",
    "audit_context",
    "require_admin",
    "require_feed_right",
    "require_principal",
]

_RIGHT_NAMES = {
    Right.READ: "read",
    Right.PUBLISH: "publish to",
    Right.YANK: "yank or delete in",
    Right.ADMIN: "administer",
    Right.PROMOTE: "promote into",
}


def _authenticator(request: Request) -> Authenticator:
    return request.state.auth  # type: ignore[no-any-return]


async def require_principal(request: Request) -> Principal:
    """The authenticated caller; 401 without (usable) credentials."""
    principal = await _authenticator(request).principal(request)
    if principal is None:
        raise Unauthenticated("Authentication required: use HTTP Basic (api:KEY or USER:PASSWORD).")
    return principal


async def require_admin(request: Request) -> Principal:
    """The caller, if a global administrator; 401 or 403 otherwise."""
    principal = await require_principal(request)
    if not principal.is_admin:
        raise PermissionDenied(f"'{principal.name}' is not an administrator.")
    return principal


async def require_feed_right(request: Request, feed: str, right: Right) -> Principal:
    """The caller, if it holds ``right`` (or more) on ``feed``; 401 or 403 otherwise."""
    principal = await require_principal(request)
    if not has_right(principal, feed, right):
        raise PermissionDenied(f"'{principal.name}' may not {_RIGHT_NAMES[right]} feed '{feed}'.")
    return principal


def _feed_right(right: Right) -> Callable[[Request, str], Awaitable[Principal]]:
    async def dependency(request: Request, feed: str) -> Principal:
        return await require_feed_right(request, feed, right)

    return dependency


def audit_context(request: Request, principal: Principal) -> common_pb2.AuditContext:
    """Who asked for a change and from where, as the metadata service records it."""
    return common_pb2.AuditContext(
        actor=principal.name,
        actor_key=principal.key_prefix,
        client_address=client_address(request),
    )


CallerDep = Annotated[Principal, Depends(require_principal)]
AdminDep = Annotated[Principal, Depends(require_admin)]
# These read the ``feed`` path parameter of the route.
FeedReadDep = Annotated[Principal, Depends(_feed_right(Right.READ))]
FeedPublishDep = Annotated[Principal, Depends(_feed_right(Right.PUBLISH))]
FeedYankDep = Annotated[Principal, Depends(_feed_right(Right.YANK))]
FeedAdminDep = Annotated[Principal, Depends(_feed_right(Right.ADMIN))]
