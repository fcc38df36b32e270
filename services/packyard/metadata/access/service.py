"""The access domain: users, API keys, per-feed permissions, authentication, audit log.

Plain async Python over an asyncpg pool; SQL in repository.py, proto conversion in
servicer.py. Every change is written to the audit log in the transaction that makes it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime

import asyncpg

from packyard.common.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from packyard.common.login_lockout import KEY_USERNAMES, credential_identity
from packyard.metadata import audit as audit_log
from packyard.metadata import change_events, db
from packyard.metadata.access import keys, passwords
from packyard.metadata.access import repository as repo
from packyard.metadata.access.login_failures import LoginFailures
from packyard.metadata.access.models import (
    ALL_FEEDS,
    GROUP_SUBJECT_PREFIX,
    KEY_SUBJECT_PREFIX,
    ApiKeyInfo,
    AuditEvent,
    IssuedApiKey,
    NewKey,
    Permission,
    Principal,
    Right,
    StoredKey,
    User,
    check_group_name,
    key_subject,
)
from packyard.metadata.audit import AuditContext
from packyard.metadata.index import interface as index

log = logging.getLogger(__name__)

AUTH_FAILED = "Invalid or non-existent authentication information."
MAX_AUDIT_PAGE = 1000
DEFAULT_AUDIT_PAGE = 100
_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def key_is_active(key: ApiKeyInfo, now: datetime) -> bool:
    return key.revoked is None and (key.expires is None or key.expires > now)


def _check_user_name(name: str) -> None:
    if name in KEY_USERNAMES or not _USER_NAME.match(name):
        raise InvalidArgument(
            f"Invalid user name '{name}': use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit; 'api' is reserved for API keys."
        )


def _check_password(password: str) -> None:
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise InvalidArgument(
            f"A password needs {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters."
        )


def build_principal(
    name: str,
    is_admin: bool,
    grants: list[Permission],
    *,
    user: str,
    key_prefix: str,
    key_expires: datetime | None = None,
) -> Principal:
    # A feed may have several grants (the user's, its groups', the key's): all of them count,
    # since promote and publish do not include each other.
    held: dict[str, set[Right]] = {}
    for grant in grants:
        held.setdefault(grant.feed, set()).add(grant.right)

    def feeds(right: Right) -> tuple[str, ...]:
        return tuple(
            sorted(feed for feed, levels in held.items() if any(h.includes(right) for h in levels))
        )

    return Principal(
        name=name,
        is_admin=is_admin,
        read_feeds=feeds(Right.READ),
        publish_feeds=feeds(Right.PUBLISH),
        yank_feeds=feeds(Right.YANK),
        admin_feeds=feeds(Right.ADMIN),
        promote_feeds=feeds(Right.PROMOTE),
        user=user,
        key_prefix=key_prefix,
        key_expires=key_expires,
    )


class AccessService(db.PooledService):
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        acquire_timeout: float = 5.0,
        login_failures: LoginFailures | None = None,
    ) -> None:
        # A change that can take rights away writes change_events.access_changed in its
        # transaction: every gateway forgets its cached authentications.
        super().__init__(pool, acquire_timeout=acquire_timeout)
        self._failures = login_failures or LoginFailures()

    # Authentication.

    async def authenticate(self, username: str, password: str, address: str = "") -> Principal:
        """The principal behind Basic credentials; one message for every failure, and
        ResourceExhausted while this identity is locked for ``address`` (login_failures.py)."""
        identity = credential_identity(username, password)
        async with self._connection() as conn:
            on_record = await self._failures.check(conn, address, identity)
        try:
            if username in KEY_USERNAMES:
                principal = await self._authenticate_key(password)
            else:
                principal = await self._authenticate_user(username, password)
        except Unauthenticated:
            async with self._connection() as conn:
                await self._failures.record_failure(conn, address, identity)
            raise
        if on_record:
            async with self._connection() as conn:
                await self._failures.clear(conn, address, identity)
        return principal

    async def clear_login_failures(self, address: str, username: str) -> None:
        """Forget failed logins of a user at an address (a directory vouched for them)."""
        async with self._connection() as conn:
            await self._failures.clear(conn, address, credential_identity(username, ""))

    async def _authenticate_key(self, key: str) -> Principal:
        parsed = keys.parse_key(key)
        if parsed is None:
            raise Unauthenticated(AUTH_FAILED)
        async with self._connection() as conn:
            stored = await repo.get_key(conn, parsed.prefix)
            # Hash and compare even for an unknown prefix: it costs what a wrong secret costs.
            matches = keys.key_matches(key, stored.key_hash if stored else keys.DUMMY_HASH)
            if stored is None or not matches:
                raise Unauthenticated(AUTH_FAILED)
            info = stored.info
            if not key_is_active(info, datetime.now(UTC)):
                log.info("auth.key_inactive", extra={"prefix": info.prefix})
                raise Unauthenticated(AUTH_FAILED)
            subjects = [key_subject(info.prefix)]
            is_admin = info.is_admin
            if info.owner:
                owner = await repo.get_user(conn, info.owner)
                if owner is None or owner.user.disabled:
                    log.info("auth.owner_disabled", extra={"prefix": info.prefix})
                    raise Unauthenticated(AUTH_FAILED)
                subjects.append(owner.user.name)
                is_admin = is_admin or owner.user.is_admin
            grants = await repo.permissions_of(conn, subjects)
        return build_principal(
            info.owner or info.name,
            is_admin,
            grants,
            user=info.owner,
            key_prefix=info.prefix,
            key_expires=info.expires,
        )

    async def _authenticate_user(self, name: str, password: str) -> Principal:
        async with self._connection() as conn:
            stored = await repo.get_user(conn, name)
        # scrypt is CPU-bound (~50 ms): off the event loop; run even for an unknown user.
        stored_hash = stored.password_hash if stored else passwords.DUMMY_HASH
        matches = await asyncio.to_thread(passwords.verify_password, password, stored_hash)
        if stored is None or not matches or stored.user.disabled:
            raise Unauthenticated(AUTH_FAILED)
        async with self._connection() as conn:
            grants = await repo.permissions_of(conn, [name])
        return build_principal(name, stored.user.is_admin, grants, user=name, key_prefix="")

    # Users.

    async def create_user(
        self, name: str, password: str, *, is_admin: bool, audit: AuditContext | None
    ) -> User:
        _check_user_name(name)
        _check_password(password)
        password_hash = await asyncio.to_thread(passwords.hash_password, password)
        async with self._connection() as conn, conn.transaction():
            stored = await repo.insert_user(conn, name, password_hash, is_admin)
            if stored is None:
                raise AlreadyExists(f"User '{name}' already exists.")
            await audit_log.record(
                conn, audit, "user.created", target=name, detail="admin" if is_admin else ""
            )
        log.info("user.created", extra={"user": name})
        return stored.user

    async def get_user(self, name: str) -> User:
        async with self._connection() as conn:
            stored = await repo.get_user(conn, name)
        if stored is None:
            raise NotFound(f"User '{name}' does not exist.")
        return stored.user

    async def list_users(self) -> list[User]:
        async with self._connection() as conn:
            return await repo.list_users(conn)

    async def update_user(
        self,
        name: str,
        *,
        password: str | None,
        is_admin: bool | None,
        disabled: bool | None,
        audit: AuditContext | None,
    ) -> User:
        password_hash = None
        if password is not None:
            _check_password(password)
            password_hash = await asyncio.to_thread(passwords.hash_password, password)
        changes = [
            label
            for label, value in (
                ("password", password),
                (f"admin={is_admin}", is_admin),
                (f"disabled={disabled}", disabled),
            )
            if value is not None
        ]
        async with self._connection() as conn, conn.transaction():
            stored = await repo.update_user(
                conn, name, password_hash=password_hash, is_admin=is_admin, disabled=disabled
            )
            if stored is None:
                raise NotFound(f"User '{name}' does not exist.")
            await audit_log.record(
                conn, audit, "user.updated", target=name, detail=", ".join(changes)
            )
            await change_events.access_changed(conn)
        log.info("user.updated", extra={"user": name})
        return stored.user

    async def delete_user(self, name: str, *, audit: AuditContext | None) -> None:
        async with self._connection() as conn, conn.transaction():
            if not await repo.delete_user(conn, name):
                raise NotFound(f"User '{name}' does not exist.")
            await audit_log.record(conn, audit, "user.deleted", target=name)
            await change_events.access_changed(conn)
        log.info("user.deleted", extra={"user": name})

    # API keys.

    async def create_key(
        self, new: NewKey, *, audit: AuditContext | None, check_feeds: bool = True
    ) -> IssuedApiKey:
        """The key and its record; the key is never available again."""
        if not new.name.strip():
            raise InvalidArgument("An API key needs a name.")
        if new.owner and new.is_admin:
            raise InvalidArgument("A user's key has the user's rights; make the user an admin.")
        given = None
        if new.key:
            given = keys.parse_key(new.key)
            if given is None:
                raise InvalidArgument(
                    f"An API key must look like {keys.SCHEME}_<{keys.PREFIX_LENGTH} characters>_"
                    f"<secret of at least {keys.MIN_SECRET_LENGTH} url-safe characters>."
                )
        for _attempt in range(5):
            candidate = given or keys.generate_key()
            async with self._connection() as conn, conn.transaction():
                if new.owner and await repo.get_user(conn, new.owner) is None:
                    raise NotFound(f"User '{new.owner}' does not exist.")
                # MetadataService.CreateApiKey (deprecated) always allowed grants on feeds to come.
                for feed, _right in new.grants if check_feeds else ():
                    await self._check_feed(conn, feed)
                stored = await repo.insert_key(
                    conn, candidate.prefix, keys.hash_key(candidate.key), new
                )
                if stored is None:
                    if given is not None:
                        return await self._existing_given_key(conn, given)
                    continue
                for feed, right in new.grants:
                    await repo.set_permission(
                        conn, Permission(key_subject(candidate.prefix), feed, right)
                    )
                grants = ", ".join(f"{right.label} on {feed}" for feed, right in new.grants)
                await audit_log.record(
                    conn,
                    audit,
                    "key.created",
                    target=candidate.prefix,
                    detail=f"name={new.name} owner={new.owner or '-'} admin={new.is_admin}"
                    + (f" grants: {grants}" if grants else ""),
                )
            log.info("api_key.created", extra={"prefix": candidate.prefix})
            return IssuedApiKey(candidate.key, stored.info, created=True)
        raise Unavailable("Could not allocate an API key prefix; try again.")

    async def _existing_given_key(
        self, conn: asyncpg.Connection, given: keys.ParsedKey
    ) -> IssuedApiKey:
        # Storing the same given key twice is a no-op (PACKYARD_ADMIN_KEY on every start).
        stored: StoredKey | None = await repo.get_key(conn, given.prefix)
        if stored is not None and keys.key_matches(given.key, stored.key_hash):
            return IssuedApiKey(given.key, stored.info, created=False)
        raise AlreadyExists("An API key with this prefix already exists.")

    async def get_key(self, prefix: str) -> ApiKeyInfo:
        async with self._connection() as conn:
            stored = await repo.get_key(conn, prefix)
        if stored is None:
            raise NotFound(f"API key '{prefix}' does not exist.")
        return stored.info

    async def list_keys(
        self,
        *,
        owner: str = "",
        standalone: bool = False,
        include_revoked: bool = False,
        prefix: str = "",
    ) -> list[ApiKeyInfo]:
        async with self._connection() as conn:
            return await repo.list_keys(
                conn,
                owner=owner,
                standalone=standalone,
                include_revoked=include_revoked,
                prefix=prefix,
            )

    async def revoke_key(self, prefix: str, *, audit: AuditContext | None) -> ApiKeyInfo:
        async with self._connection() as conn, conn.transaction():
            info = await repo.revoke_key(conn, prefix)
            if info is None:
                raise NotFound(f"API key '{prefix}' does not exist.")
            await audit_log.record(conn, audit, "key.revoked", target=prefix, detail=info.name)
            await change_events.access_changed(conn)
        log.info("api_key.revoked", extra={"prefix": prefix})
        return info

    # Permissions.

    async def _check_feed(self, conn: asyncpg.Connection, feed: str) -> None:
        if feed != ALL_FEEDS and not await index.feed_exists(conn, feed):
            raise NotFound(f"Feed '{feed}' does not exist.")

    async def _check_subject(self, conn: asyncpg.Connection, subject: str) -> None:
        if subject.startswith(GROUP_SUBJECT_PREFIX):
            # A directory group: its members are known only when they sign in.
            check_group_name(subject.removeprefix(GROUP_SUBJECT_PREFIX))
        elif subject.startswith(KEY_SUBJECT_PREFIX):
            prefix = subject.removeprefix(KEY_SUBJECT_PREFIX)
            if await repo.get_key(conn, prefix) is None:
                raise NotFound(f"API key '{prefix}' does not exist.")
        elif await repo.get_user(conn, subject) is None:
            raise NotFound(f"User '{subject}' does not exist.")

    async def set_permission(
        self, permission: Permission, *, audit: AuditContext | None
    ) -> Permission:
        async with self._connection() as conn, conn.transaction():
            await self._check_feed(conn, permission.feed)
            await self._check_subject(conn, permission.subject)
            await repo.set_permission(conn, permission)
            await audit_log.record(
                conn,
                audit,
                "permission.set",
                feed=permission.feed,
                target=permission.subject,
                detail=permission.right.label,
            )
            # A lowered right must stop working at once.
            await change_events.access_changed(conn)
        log.info("permission.set", extra={"feed": permission.feed, "right": permission.right})
        return permission

    async def delete_permission(
        self, subject: str, feed: str, *, audit: AuditContext | None
    ) -> None:
        async with self._connection() as conn, conn.transaction():
            if not await repo.delete_permission(conn, subject, feed):
                raise NotFound(f"'{subject}' has no permission on feed '{feed}'.")
            await audit_log.record(conn, audit, "permission.deleted", feed=feed, target=subject)
            await change_events.access_changed(conn)
        log.info("permission.deleted", extra={"feed": feed})

    async def list_permissions(self, *, feed: str = "", subject: str = "") -> list[Permission]:
        async with self._connection() as conn:
            return await repo.list_permissions(conn, feed=feed, subject=subject)

    # Audit log.

    async def list_audit_events(
        self, *, feed: str = "", actor: str = "", action: str = "", before_id: int = 0,
        limit: int = 0,
    ) -> list[AuditEvent]:  # fmt: skip
        if limit < 0:
            raise InvalidArgument("limit must not be negative.")
        limit = min(limit or DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE)
        async with self._connection() as conn:
            return await repo.list_audit(
                conn, feed=feed, actor=actor, action=action, before_id=before_id, limit=limit
            )
