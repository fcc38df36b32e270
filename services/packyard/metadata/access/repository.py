"""SQL of access control: users, keys, permissions, audit log. Functions take a connection and
never commit; the domain services (service.py here, index/service.py for its audit rows) own
transactions.
"""

from __future__ import annotations

import asyncpg

from packyard.metadata.access.models import (
    ApiKeyInfo,
    AuditContext,
    AuditEvent,
    NewKey,
    Permission,
    Right,
    StoredKey,
    StoredUser,
    User,
)

_USER_COLUMNS = "name, password_hash, is_admin, disabled, created"
INSERT_USER = f"""
INSERT INTO users (name, password_hash, is_admin) VALUES ($1, $2, $3)
ON CONFLICT (name) DO NOTHING
RETURNING {_USER_COLUMNS}
"""
SELECT_USER = f"SELECT {_USER_COLUMNS} FROM users WHERE name = $1"
SELECT_USERS = f"SELECT {_USER_COLUMNS} FROM users ORDER BY name"
# NULL parameters leave a column as it is.
UPDATE_USER = f"""
UPDATE users SET password_hash = coalesce($2, password_hash),
                 is_admin = coalesce($3, is_admin),
                 disabled = coalesce($4, disabled)
WHERE name = $1
RETURNING {_USER_COLUMNS}
"""
DELETE_USER = "DELETE FROM users WHERE name = $1 RETURNING name"

_KEY_COLUMNS = (
    "prefix, key_hash, name, coalesce(owner, '') AS owner, is_admin, created, expires, revoked"
)
INSERT_KEY = f"""
INSERT INTO api_keys (prefix, key_hash, name, owner, is_admin, expires)
VALUES ($1, $2, $3, nullif($4, ''), $5, $6)
ON CONFLICT (prefix) DO NOTHING
RETURNING {_KEY_COLUMNS}
"""
SELECT_KEY = f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE prefix = $1"
SELECT_KEYS = f"""
SELECT {_KEY_COLUMNS} FROM api_keys
WHERE ($1 = '' OR owner = $1)
  AND (NOT $2 OR owner IS NULL)
  AND ($3 OR revoked IS NULL)
  AND ($4 = '' OR prefix = $4)
ORDER BY created, prefix
"""
REVOKE_KEY = f"""
UPDATE api_keys SET revoked = coalesce(revoked, now()) WHERE prefix = $1
RETURNING {_KEY_COLUMNS}
"""

UPSERT_PERMISSION = """
INSERT INTO permissions (subject, feed, level) VALUES ($1, $2, $3)
ON CONFLICT (subject, feed) DO UPDATE SET level = excluded.level
"""
DELETE_PERMISSION = "DELETE FROM permissions WHERE subject = $1 AND feed = $2 RETURNING level"
DELETE_SUBJECT_PERMISSIONS = "DELETE FROM permissions WHERE subject = $1"
DELETE_FEED_PERMISSIONS = "DELETE FROM permissions WHERE feed = $1"
SELECT_PERMISSIONS = """
SELECT subject, feed, level FROM permissions
WHERE ($1 = '' OR feed = $1) AND ($2 = '' OR subject = $2)
ORDER BY feed, subject
"""
SELECT_SUBJECTS_PERMISSIONS = """
SELECT subject, feed, level FROM permissions WHERE subject = ANY($1::text[])
"""

INSERT_AUDIT = """
INSERT INTO audit_log (actor, actor_key, client_address, action, feed, target, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
SELECT_AUDIT = """
SELECT id, time, actor, actor_key, client_address, action, feed, target, detail
FROM audit_log
WHERE ($1 = '' OR feed = $1) AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3)
  AND ($4 = 0 OR id < $4)
ORDER BY id DESC LIMIT $5
"""


def _user(row: asyncpg.Record) -> StoredUser:
    return StoredUser(
        user=User(
            name=row["name"],
            is_admin=row["is_admin"],
            disabled=row["disabled"],
            created=row["created"],
        ),
        password_hash=row["password_hash"],
    )


def _key(row: asyncpg.Record) -> StoredKey:
    return StoredKey(
        info=ApiKeyInfo(
            prefix=row["prefix"],
            name=row["name"],
            owner=row["owner"],
            is_admin=row["is_admin"],
            created=row["created"],
            expires=row["expires"],
            revoked=row["revoked"],
        ),
        key_hash=bytes(row["key_hash"]),
    )


def _permission(row: asyncpg.Record) -> Permission:
    return Permission(row["subject"], row["feed"], Right.from_label(row["level"]))


async def insert_user(
    conn: asyncpg.Connection, name: str, password_hash: str, is_admin: bool
) -> StoredUser | None:
    """The new user, or None when the name is taken."""
    row = await conn.fetchrow(INSERT_USER, name, password_hash, is_admin)
    return None if row is None else _user(row)


async def get_user(conn: asyncpg.Connection, name: str) -> StoredUser | None:
    row = await conn.fetchrow(SELECT_USER, name)
    return None if row is None else _user(row)


async def list_users(conn: asyncpg.Connection) -> list[User]:
    return [_user(row).user for row in await conn.fetch(SELECT_USERS)]


async def update_user(
    conn: asyncpg.Connection,
    name: str,
    *,
    password_hash: str | None,
    is_admin: bool | None,
    disabled: bool | None,
) -> StoredUser | None:
    row = await conn.fetchrow(UPDATE_USER, name, password_hash, is_admin, disabled)
    return None if row is None else _user(row)


async def delete_user(conn: asyncpg.Connection, name: str) -> bool:
    if await conn.fetchval(DELETE_USER, name) is None:
        return False
    await conn.execute(DELETE_SUBJECT_PERMISSIONS, name)
    return True


async def insert_key(
    conn: asyncpg.Connection, prefix: str, key_hash: bytes, new: NewKey
) -> StoredKey | None:
    """The stored key, or None when a key with this prefix exists."""
    row = await conn.fetchrow(
        INSERT_KEY, prefix, key_hash, new.name, new.owner, new.is_admin, new.expires
    )
    return None if row is None else _key(row)


async def get_key(conn: asyncpg.Connection, prefix: str) -> StoredKey | None:
    row = await conn.fetchrow(SELECT_KEY, prefix)
    return None if row is None else _key(row)


async def list_keys(
    conn: asyncpg.Connection,
    *,
    owner: str,
    standalone: bool,
    include_revoked: bool,
    prefix: str = "",
) -> list[ApiKeyInfo]:
    rows = await conn.fetch(SELECT_KEYS, owner, standalone, include_revoked, prefix)
    return [_key(row).info for row in rows]


async def revoke_key(conn: asyncpg.Connection, prefix: str) -> ApiKeyInfo | None:
    row = await conn.fetchrow(REVOKE_KEY, prefix)
    return None if row is None else _key(row).info


async def set_permission(conn: asyncpg.Connection, permission: Permission) -> None:
    await conn.execute(
        UPSERT_PERMISSION, permission.subject, permission.feed, permission.right.label
    )


async def delete_permission(conn: asyncpg.Connection, subject: str, feed: str) -> bool:
    return await conn.fetchval(DELETE_PERMISSION, subject, feed) is not None


async def delete_feed_permissions(conn: asyncpg.Connection, feed: str) -> None:
    await conn.execute(DELETE_FEED_PERMISSIONS, feed)


async def list_permissions(
    conn: asyncpg.Connection, *, feed: str = "", subject: str = ""
) -> list[Permission]:
    return [_permission(row) for row in await conn.fetch(SELECT_PERMISSIONS, feed, subject)]


async def permissions_of(conn: asyncpg.Connection, subjects: list[str]) -> list[Permission]:
    return [_permission(row) for row in await conn.fetch(SELECT_SUBJECTS_PERMISSIONS, subjects)]


async def insert_audit(
    conn: asyncpg.Connection,
    context: AuditContext | None,
    action: str,
    *,
    feed: str = "",
    target: str = "",
    detail: str = "",
) -> None:
    ctx = context or AuditContext()
    await conn.execute(
        INSERT_AUDIT,
        ctx.actor,
        ctx.actor_key,
        ctx.client_address,
        action,
        feed,
        target,
        detail,
    )


async def list_audit(
    conn: asyncpg.Connection,
    *,
    feed: str,
    actor: str,
    action: str,
    before_id: int,
    limit: int,
) -> list[AuditEvent]:
    rows = await conn.fetch(SELECT_AUDIT, feed, actor, action, before_id, limit)
    return [
        AuditEvent(
            id=row["id"],
            time=row["time"],
            actor=row["actor"],
            actor_key=row["actor_key"],
            client_address=row["client_address"],
            action=row["action"],
            feed=row["feed"],
            target=row["target"],
            detail=row["detail"],
        )
        for row in rows
    ]
