"""Starting and ending web UI sessions: a local user's password, else the LDAP directory.

Failed sign-ins count like failed HTTP Basic logins: the metadata service counts them per
(client address, user) in PostgreSQL and locks that pair out (RESOURCE_EXHAUSTED, 429 here);
a directory user's successful sign-in clears the count its local attempt left. Every failure
answers the same message, whichever check failed.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import Request
from packyard_rpc.v1 import access_pb2

from packyard.common.errors import ResourceExhausted, Unauthenticated
from packyard.common.login_lockout import credential_identity
from packyard.gateway.auth.authenticator import Authenticator, client_address
from packyard.gateway.auth.credentials import BAD_CREDENTIALS
from packyard.gateway.auth.sign_in_settings import SignInSettings
from packyard.gateway.backends import Backends
from packyard.gateway.clients.principal import act_for

if TYPE_CHECKING:
    from packyard.gateway.auth.ldap_directory import DirectoryUser

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
    username, password = username.strip()[:MAX_FIELD], password[:MAX_FIELD]
    if not username or not password:
        raise Unauthenticated(BAD_CREDENTIALS)
    identity = credential_identity(username, password)
    auth.lockouts.check(address, identity)
    # StartSession carries the client's address: failures are counted per address and user.
    act_for("", address)
    idle, absolute = settings.session_idle, settings.session_lifetime
    try:
        return await backends.access.start_session(
            access_pb2.StartSessionRequest(
                username=username, password=password, idle_seconds=idle, absolute_seconds=absolute
            )
        )
    except ResourceExhausted as exc:
        raise auth.lockouts.locked(address, identity, exc) from None
    except Unauthenticated:
        if not settings.ldap_url:
            raise Unauthenticated(BAD_CREDENTIALS) from None
    # Not a local user (or not this password): ask the directory. ldap3 blocks; off the loop.
    found = await asyncio.to_thread(_ask_directory, settings, username, password)
    if found is None:
        # The metadata service counted this failure with the local attempt above.
        raise Unauthenticated(BAD_CREDENTIALS)
    return await start_directory_session(
        backends, settings, "ldap", found.name, found.groups, settings.admin_groups
    )


def _ask_directory(settings: SignInSettings, username: str, password: str) -> DirectoryUser | None:
    # Imported here, on the first directory sign-in: ldap3 is about 4 MB that a gateway
    # without LDAP never needs (issue 13); in this worker thread, beside the event loop.
    from packyard.gateway.auth import ldap_directory

    return ldap_directory.authenticate(settings, username, password)


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
