"""Web UI sessions: started by a local user's password or a directory's word, resolved to a
Principal on each (uncached) use, ended by sign-out, idleness, age, or the user's disabling.

The cookie value is 32 random bytes; only its SHA-256 is stored. A session's Principal
carries in ``key_expires`` the moment it ends if left unused, so the gateway caches it no
longer than that and the principal token dies with it (as for an expiring API key).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from packyard.common.errors import InvalidArgument, Unauthenticated
from packyard.metadata import audit as audit_log
from packyard.metadata import change_events, db
from packyard.metadata.access import repository as repo
from packyard.metadata.access import session_repository as session_repo
from packyard.metadata.access.models import Principal, group_subject, is_group_name
from packyard.metadata.access.service import (
    AUTH_FAILED,
    KEY_USERNAMES,
    AccessService,
    build_principal,
)
from packyard.metadata.audit import AuditContext

log = logging.getLogger(__name__)

SESSION_ENDED = "The session has ended; sign in again."
DIRECTORY_SOURCES = frozenset({"ldap", "oidc"})
MAX_LIFETIME = 30 * 24 * 3600
MAX_GROUPS = 200


@dataclass(frozen=True)
class Lifetimes:
    idle_seconds: int
    absolute_seconds: int

    def __post_init__(self) -> None:
        for value in (self.idle_seconds, self.absolute_seconds):
            if not 0 < value <= MAX_LIFETIME:
                raise InvalidArgument(f"A session lifetime must be 1 to {MAX_LIFETIME} seconds.")


@dataclass(frozen=True)
class DirectoryIdentity:
    source: str
    name: str
    groups: tuple[str, ...] = ()
    is_admin: bool = False

    @property
    def subject(self) -> str:
        """The principal's name: never a local user name, which cannot contain ':'."""
        return f"{self.source}:{self.name}"

    def check(self) -> None:
        if self.source not in DIRECTORY_SOURCES:
            raise InvalidArgument(f"Unknown directory '{self.source}'.")
        if not self.name or len(self.name) > 256 or any(c in self.name for c in "\0\r\n"):
            raise InvalidArgument("A directory identity needs a name of 1-256 characters.")
        if len(self.groups) > MAX_GROUPS:
            raise InvalidArgument(f"At most {MAX_GROUPS} directory groups.")

    def usable(self) -> DirectoryIdentity:
        """Without the groups no permission can name (a directory's names are its own):
        they could carry no right, and refusing the sign-in for them would help no one."""
        groups = tuple(g for g in self.groups if is_group_name(g))
        return DirectoryIdentity(self.source, self.name, groups, self.is_admin)


@dataclass(frozen=True)
class StartedSession:
    token: str  # the cookie value: the only time it is available
    principal: Principal


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Sessions(db.PooledService):
    def __init__(
        self, pool: asyncpg.Pool, access: AccessService, *, acquire_timeout: float = 5.0
    ) -> None:
        super().__init__(pool, acquire_timeout=acquire_timeout)
        self._access = access

    async def start_local(
        self,
        username: str,
        password: str,
        lifetimes: Lifetimes,
        *,
        address: str = "",
        audit: AuditContext | None,
    ) -> StartedSession:
        """A session for a local user; the same single failure message as Authenticate, and
        the same failure count per (address, user)."""
        if username in KEY_USERNAMES:
            # An API key is for tools; a person signs in as a user.
            raise Unauthenticated(AUTH_FAILED)
        principal = await self._access.authenticate(username, password, address)
        return await self._start(principal, username, True, (), False, lifetimes, audit)

    async def start_directory(
        self,
        identity: DirectoryIdentity,
        lifetimes: Lifetimes,
        *,
        address: str = "",
        audit: AuditContext | None,
    ) -> StartedSession:
        """A session for someone a directory vouched for (the gateway checked the directory)."""
        identity.check()
        identity = identity.usable()
        # The gateway tried the name as a local user first; that failure is not this user's.
        await self._access.clear_login_failures(address, identity.name)
        async with self._connection() as conn:
            principal = await self._directory_principal(
                conn, identity.subject, identity.groups, identity.is_admin
            )
        return await self._start(
            principal,
            identity.subject,
            False,
            identity.groups,
            identity.is_admin,
            lifetimes,
            audit,
        )

    async def _start(
        self,
        principal: Principal,
        subject: str,
        local_user: bool,
        groups: tuple[str, ...],
        directory_admin: bool,
        lifetimes: Lifetimes,
        audit: AuditContext | None,
    ) -> StartedSession:
        token = secrets.token_urlsafe(32)
        async with self._connection() as conn, conn.transaction():
            await session_repo.delete_ended_sessions(conn)
            await session_repo.insert_session(
                conn,
                _hash(token),
                subject,
                local_user=local_user,
                groups=list(groups),
                directory_admin=directory_admin,
                idle_seconds=lifetimes.idle_seconds,
                absolute_seconds=lifetimes.absolute_seconds,
            )
            # The actor is the one signing in, whoever the gateway's call acted for.
            actor = AuditContext(
                actor=subject, client_address=audit.client_address if audit else ""
            )
            detail = f"groups: {', '.join(groups)}" if groups else ""
            await audit_log.record(conn, actor, "session.started", target=subject, detail=detail)
        log.info("session.started", extra={"subject": subject})
        return StartedSession(token, principal)

    async def resolve(self, token: str) -> Principal:
        async with self._connection() as conn:
            stored = await session_repo.touch_session(conn, _hash(token))
            if stored is None:
                raise Unauthenticated(SESSION_ENDED)
            ends = min(stored.expires, stored.last_used + timedelta(seconds=stored.idle_seconds))
            if not stored.local_user:
                return await self._directory_principal(
                    conn, stored.subject, stored.groups, stored.directory_admin, ends=ends
                )
            user = await repo.get_user(conn, stored.subject)
            if user is None or user.user.disabled:
                await session_repo.delete_subject_sessions(conn, stored.subject)
                raise Unauthenticated(SESSION_ENDED)
            grants = await repo.permissions_of(conn, [stored.subject])
        return build_principal(
            stored.subject,
            user.user.is_admin,
            grants,
            user=stored.subject,
            key_prefix="",
            key_expires=ends,
        )

    async def _directory_principal(
        self,
        conn: asyncpg.Connection,
        subject: str,
        groups: tuple[str, ...],
        is_admin: bool,
        *,
        ends: datetime | None = None,
    ) -> Principal:
        subjects = [subject, *(group_subject(g) for g in groups)]
        grants = await repo.permissions_of(conn, subjects)
        return build_principal(
            subject,
            is_admin,
            grants,
            user="",
            key_prefix="",
            key_expires=ends,
        )

    async def end(self, token: str) -> None:
        """Sign-out: the session stops working on every gateway (access.changed)."""
        async with self._connection() as conn, conn.transaction():
            subject = await session_repo.delete_session(conn, _hash(token))
            if subject is not None:
                await change_events.access_changed(conn)
        if subject is not None:
            log.info("session.ended", extra={"subject": subject})
