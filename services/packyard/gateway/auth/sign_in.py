"""Starting and ending web UI sessions: a local user's password, else the LDAP directory.

The failure limiter that guards HTTP Basic guards the sign-in form too, and every failure
answers the same message, whichever check failed.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

from packyard.common.errors import Unauthenticated
from packyard.gateway.auth import ldap_directory
from packyard.gateway.auth.authenticator import Authenticator, client_address
from packyard.gateway.auth.credentials import BAD_CREDENTIALS
from packyard.gateway.auth.sign_in_settings import SignInSettings
from packyard.gateway.backends import Backends
from packyard.gateway.clients.principal import act_for
from packyard.rpc.v1 import access_pb2

MAX_FIELD = 1024


async def start_session(
    request: Request,
    backends: Backends,
    auth: Authenticator,
    settings: SignInSettings,
    username: str,
    password: str,
) -> access_pb2.StartSessionResponse:
    """A new session for these credentials; Unauthenticated (one message) when they fail."""
    address = client_address(request)
    auth.limiter.check(address)
    # No one to act for yet; the call still says where the sign-in comes from (audit row).
    act_for("", address)
    username, password = username.strip()[:MAX_FIELD], password[:MAX_FIELD]
    if not username or not password:
        raise Unauthenticated(BAD_CREDENTIALS)
    idle, absolute = settings.session_idle, settings.session_lifetime
    try:
        return await backends.access.start_session(
            access_pb2.StartSessionRequest(
                username=username, password=password, idle_seconds=idle, absolute_seconds=absolute
            )
        )
    except Unauthenticated:
        if not settings.ldap_url:
            auth.limiter.record_failure(address)
            raise Unauthenticated(BAD_CREDENTIALS) from None
    # Not a local user (or not this password): ask the directory. ldap3 blocks; off the loop.
    found = await asyncio.to_thread(ldap_directory.authenticate, settings, username, password)
    if found is None:
        auth.limiter.record_failure(address)
        raise Unauthenticated(BAD_CREDENTIALS)
    return await start_directory_session(
        backends, settings, "ldap", found.name, found.groups, settings.admin_groups
    )


async def start_directory_session(
    backends: Backends,
    settings: SignInSettings,
    source: str,
    name: str,
    groups: list[str],
    admin_groups: frozenset[str],
) -> access_pb2.StartSessionResponse:
    """A session for someone the directory ``source`` just vouched for."""
    return await backends.access.start_session(
        access_pb2.StartSessionRequest(
            directory=access_pb2.DirectoryIdentity(
                source=source, name=name, groups=groups, is_admin=bool(admin_groups & set(groups))
            ),
            idle_seconds=settings.session_idle,
            absolute_seconds=settings.session_lifetime,
        )
    )


async def end_session(backends: Backends, auth: Authenticator, token: str) -> None:
    """End the session of this token (if any) everywhere, this gateway's cache at once."""
    if token:
        await backends.access.end_session(access_pb2.EndSessionRequest(session=token))
        auth.forget()
