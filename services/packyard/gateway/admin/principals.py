"""Admin API for principals: ``/api/v1/users``, ``/api/v1/keys``, ``/api/v1/whoami``.

Administrators manage everything; a user manages its own password and keys; a feed
administrator may mint and revoke standalone keys whose rights are all on feeds it administers.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from packyard_rpc.v1 import access_pb2

from packyard.common.errors import NotFound, PermissionDenied
from packyard.common.pb_fields import timestamp_to_pb
from packyard.common.rights import key_request_denial, may_manage_user
from packyard.gateway.admin.schemas import (
    RIGHT_TO_PB,
    KeyCreate,
    KeyCreated,
    KeyOut,
    UserCreate,
    UserOut,
    UserUpdate,
    WhoAmI,
)
from packyard.gateway.auth.authenticator import forget_authentications
from packyard.gateway.auth.credentials import has_right
from packyard.gateway.auth.guards import (
    AdminDep,
    CallerDep,
    Principal,
    Right,
    audit_context,
)
from packyard.gateway.backends import Backends
from packyard.gateway.deps import BackendsDep

router = APIRouter()

_USERS = "users"
_KEYS = "keys"
_KEY_SUBJECT = "key:"


@router.get("/whoami", tags=[_USERS], summary="The caller and its rights")
async def whoami(caller: CallerDep) -> WhoAmI:
    return WhoAmI.from_pb(caller)


# Users.


@router.get("/users", tags=[_USERS], summary="List users (admin)")
async def list_users(caller: AdminDep, backends: BackendsDep) -> list[UserOut]:
    reply = await backends.access.list_users(access_pb2.ListUsersRequest())
    return [UserOut.from_pb(u) for u in reply.users]


@router.post("/users", tags=[_USERS], status_code=201, summary="Create a user (admin)")
async def create_user(
    body: UserCreate, request: Request, caller: AdminDep, backends: BackendsDep
) -> UserOut:
    reply = await backends.access.create_user(
        access_pb2.CreateUserRequest(
            name=body.name,
            password=body.password,
            is_admin=body.admin,
            audit=audit_context(request, caller),
        )
    )
    return UserOut.from_pb(reply.user)


def _self_or_admin(caller: Principal, name: str) -> None:
    if not may_manage_user(caller, name):
        raise PermissionDenied(f"'{caller.name}' may not manage user '{name}'.")


@router.get("/users/{name}", tags=[_USERS], summary="Show a user (admin or the user)")
async def show_user(name: str, caller: CallerDep, backends: BackendsDep) -> UserOut:
    _self_or_admin(caller, name)
    reply = await backends.access.get_user(access_pb2.GetUserRequest(name=name))
    return UserOut.from_pb(reply.user)


@router.patch(
    "/users/{name}",
    tags=[_USERS],
    summary="Change a password (admin or the user), admin or disabled flags (admin)",
)
async def update_user(
    name: str, body: UserUpdate, request: Request, caller: CallerDep, backends: BackendsDep
) -> UserOut:
    _self_or_admin(caller, name)
    if not caller.is_admin and (body.admin is not None or body.disabled is not None):
        raise PermissionDenied("Only an administrator may change 'admin' or 'disabled'.")
    update = access_pb2.UpdateUserRequest(name=name, audit=audit_context(request, caller))
    if body.password is not None:
        update.password = body.password
    if body.admin is not None:
        update.is_admin = body.admin
    if body.disabled is not None:
        update.disabled = body.disabled
    reply = await backends.access.update_user(update)
    forget_authentications(request)
    return UserOut.from_pb(reply.user)


@router.delete(
    "/users/{name}", tags=[_USERS], status_code=204, summary="Delete a user and its keys (admin)"
)
async def delete_user(
    name: str, request: Request, caller: AdminDep, backends: BackendsDep
) -> Response:
    await backends.access.delete_user(
        access_pb2.DeleteUserRequest(name=name, audit=audit_context(request, caller))
    )
    forget_authentications(request)
    return Response(status_code=204)


# Keys.


def _check_key_request(caller: Principal, body: KeyCreate) -> None:
    denial = key_request_denial(
        caller, is_admin=body.admin, owner=body.owner, feeds=[g.feed for g in body.permissions]
    )
    if denial is not None:
        raise PermissionDenied(denial)


@router.post("/keys", tags=[_KEYS], status_code=201, summary="Create an API key")
async def create_key(
    body: KeyCreate, request: Request, caller: CallerDep, backends: BackendsDep
) -> KeyCreated:
    _check_key_request(caller, body)
    create = access_pb2.CreateKeyRequest(
        name=body.name,
        owner=body.owner,
        is_admin=body.admin,
        permissions=[
            access_pb2.Permission(feed=g.feed, right=RIGHT_TO_PB[g.right]) for g in body.permissions
        ],
        audit=audit_context(request, caller),
    )
    if body.expires is not None:
        create.expires.CopyFrom(timestamp_to_pb(body.expires))
    reply = await backends.access.create_key(create)
    return KeyCreated(key=reply.key, **KeyOut.from_pb(reply.info).model_dump())


@router.get("/keys", tags=[_KEYS], summary="List keys, never their secrets")
async def list_keys(
    caller: CallerDep,
    backends: BackendsDep,
    owner: str = "",
    standalone: bool = False,
    include_revoked: bool = False,
) -> list[KeyOut]:
    if not caller.is_admin:
        if not caller.user:
            raise PermissionDenied("A standalone key owns no keys; list keys as a user or admin.")
        if owner and owner != caller.user:
            raise PermissionDenied(f"'{caller.name}' may not list the keys of '{owner}'.")
        owner, standalone = caller.user, False
    reply = await backends.access.list_keys(
        access_pb2.ListKeysRequest(
            owner=owner, standalone=standalone, include_revoked=include_revoked
        )
    )
    return [KeyOut.from_pb(k) for k in reply.keys]


async def _may_revoke(caller: Principal, key: access_pb2.ApiKey, backends: Backends) -> bool:
    if caller.is_admin or (key.owner and key.owner == caller.user):
        return True
    if key.owner or key.is_admin:
        return False
    grants = await backends.access.list_permissions(
        access_pb2.ListPermissionsRequest(subject=_KEY_SUBJECT + key.prefix)
    )
    feeds = [p.feed for p in grants.permissions]
    return bool(feeds) and all(has_right(caller, feed, Right.ADMIN) for feed in feeds)


@router.delete("/keys/{prefix}", tags=[_KEYS], summary="Revoke a key (at once, everywhere)")
async def revoke_key(
    prefix: str, request: Request, caller: CallerDep, backends: BackendsDep
) -> KeyOut:
    found = await backends.access.list_keys(
        access_pb2.ListKeysRequest(prefix=prefix, include_revoked=True)
    )
    if not found.keys:
        raise NotFound(f"API key '{prefix}' does not exist.")
    if not await _may_revoke(caller, found.keys[0], backends):
        raise PermissionDenied(f"'{caller.name}' may not revoke key '{prefix}'.")
    reply = await backends.access.revoke_key(
        access_pb2.RevokeKeyRequest(prefix=prefix, audit=audit_context(request, caller))
    )
    forget_authentications(request)
    return KeyOut.from_pb(reply.key)
