"""gRPC AccessService: decode the request, make one domain call, encode the reply.

Errors are PackyardError raised by the domain; the ErrorInterceptor turns them into statuses.
"""

from __future__ import annotations

import grpc
from packyard_rpc.v1 import access_pb2, access_pb2_grpc, common_pb2, metadata_pb2

from packyard.common import rights
from packyard.common.errors import InvalidArgument, NotFound, PermissionDenied
from packyard.common.pb_fields import to_pb
from packyard.metadata.access.models import (
    ApiKeyInfo,
    NewKey,
    Permission,
    Principal,
    Right,
    User,
)
from packyard.metadata.access.principals import PrincipalResolver, principal_to_pb
from packyard.metadata.access.service import AccessService
from packyard.metadata.access.sessions import DirectoryIdentity, Lifetimes, Sessions
from packyard.metadata.callers import caller
from packyard.metadata.pb_common import audit_from_pb, datetime_from_pb

SERVICE_NAME = "packyard.rpc.v1.AccessService"

Context = grpc.aio.ServicerContext


def _right_from_pb(value: int) -> Right:
    try:
        return Right(value)
    except ValueError:
        raise InvalidArgument(
            "A permission needs a right: read, publish, yank, admin or promote."
        ) from None


def _user_to_pb(user: User) -> access_pb2.User:
    return to_pb(access_pb2.User, user)


def _key_to_pb(key: ApiKeyInfo) -> access_pb2.ApiKey:
    return to_pb(access_pb2.ApiKey, key)


def _permission_to_pb(permission: Permission) -> access_pb2.Permission:
    return access_pb2.Permission(
        subject=permission.subject,
        feed=permission.feed,
        right=f"RIGHT_{permission.right.name}",
    )


def _permission_from_pb(pb: access_pb2.Permission) -> Permission:
    if not pb.feed:
        raise InvalidArgument("A permission needs a feed.")
    if not pb.subject:
        raise InvalidArgument("A permission needs a subject: a user name or key:<prefix>.")
    return Permission(pb.subject, pb.feed, _right_from_pb(pb.right))


def _new_key_from_pb(pb: access_pb2.CreateKeyRequest) -> NewKey:
    grants = []
    for grant in pb.permissions:
        if not grant.feed:
            raise InvalidArgument("A key's permission needs a feed.")
        grants.append((grant.feed, _right_from_pb(grant.right)))
    return NewKey(
        name=pb.name,
        owner=pb.owner,
        is_admin=pb.is_admin,
        grants=tuple(grants),
        expires=datetime_from_pb(pb.expires) if pb.HasField("expires") else None,
        key=pb.key,
    )


def _require_user_manager(name: str) -> None:
    principal = caller().require_principal()
    if not caller().service and not rights.may_manage_user(principal, name):
        raise PermissionDenied(f"'{principal.name}' may not manage user '{name}'.")


def _require_key_grant(request: access_pb2.CreateKeyRequest) -> None:
    if caller().service:
        return
    denial = rights.key_request_denial(
        caller().require_principal(),
        is_admin=request.is_admin,
        owner=request.owner,
        feeds=[grant.feed for grant in request.permissions],
    )
    if denial is not None:
        raise PermissionDenied(denial)


def _key_listing_scope(request: access_pb2.ListKeysRequest) -> tuple[str, bool]:
    """(owner, standalone) a caller may list: everything for an administrator; its own keys
    for a user; one key by prefix (never a secret) for anyone deciding whether to revoke it."""
    principal = caller().require_principal()
    if principal.is_admin or caller().service or request.prefix:
        return request.owner, request.standalone
    if not principal.user:
        raise PermissionDenied("A standalone key owns no keys; list keys as a user or admin.")
    if request.owner and request.owner != principal.user:
        raise PermissionDenied(f"'{principal.name}' may not list the keys of '{request.owner}'.")
    return principal.user, False


def _legacy_key_from_pb(pb: metadata_pb2.CreateApiKeyRequest) -> NewKey:
    grants = tuple((feed, Right.PUBLISH) for feed in pb.publish_feeds) + tuple(
        (feed, Right.READ) for feed in pb.read_feeds if feed not in pb.publish_feeds
    )
    return NewKey(
        name=pb.name,
        is_admin=pb.is_admin,
        grants=grants,
        expires=datetime_from_pb(pb.expires) if pb.HasField("expires") else None,
        key=pb.key,
    )


class AccessServicer(access_pb2_grpc.AccessServiceServicer):
    def __init__(
        self, service: AccessService, principals: PrincipalResolver, sessions: Sessions
    ) -> None:
        self._service = service
        self._principals = principals
        self._sessions = sessions

    async def _require_revocable(self, prefix: str) -> None:
        """Administrators revoke any key, users their own, feed admins a standalone key whose
        every grant is on a feed they administer (the HTTP API's rule)."""
        principal = caller().require_principal()
        if principal.is_admin or caller().service:
            return
        found = await self._service.list_keys(prefix=prefix, include_revoked=True)
        if not found:
            raise NotFound(f"No key with prefix '{prefix}'.")
        key = found[0]
        if key.owner and key.owner == principal.user:
            return
        grants = await self._service.list_permissions(subject=f"key:{key.prefix}")
        feeds = [grant.feed for grant in grants]
        if key.owner or key.is_admin or not feeds:
            raise PermissionDenied(f"'{principal.name}' may not revoke key '{prefix}'.")
        if not all(rights.has_right(principal, feed, rights.Right.ADMIN) for feed in feeds):
            raise PermissionDenied(f"'{principal.name}' may not revoke key '{prefix}'.")

    async def CreateUser(
        self, request: access_pb2.CreateUserRequest, context: Context
    ) -> access_pb2.CreateUserResponse:
        caller().require_admin()
        user = await self._service.create_user(
            request.name,
            request.password,
            is_admin=request.is_admin,
            audit=audit_from_pb(request.audit),
        )
        return access_pb2.CreateUserResponse(user=_user_to_pb(user))

    async def GetUser(
        self, request: access_pb2.GetUserRequest, context: Context
    ) -> access_pb2.GetUserResponse:
        _require_user_manager(request.name)
        return access_pb2.GetUserResponse(
            user=_user_to_pb(await self._service.get_user(request.name))
        )

    async def ListUsers(
        self, request: access_pb2.ListUsersRequest, context: Context
    ) -> access_pb2.ListUsersResponse:
        caller().require_admin()
        users = await self._service.list_users()
        return access_pb2.ListUsersResponse(users=[_user_to_pb(u) for u in users])

    async def UpdateUser(
        self, request: access_pb2.UpdateUserRequest, context: Context
    ) -> access_pb2.UpdateUserResponse:
        _require_user_manager(request.name)
        if request.HasField("is_admin") or request.HasField("disabled"):
            caller().require_admin()
        user = await self._service.update_user(
            request.name,
            password=request.password if request.HasField("password") else None,
            is_admin=request.is_admin if request.HasField("is_admin") else None,
            disabled=request.disabled if request.HasField("disabled") else None,
            audit=audit_from_pb(request.audit),
        )
        return access_pb2.UpdateUserResponse(user=_user_to_pb(user))

    async def DeleteUser(
        self, request: access_pb2.DeleteUserRequest, context: Context
    ) -> access_pb2.DeleteUserResponse:
        caller().require_admin()
        await self._service.delete_user(request.name, audit=audit_from_pb(request.audit))
        return access_pb2.DeleteUserResponse()

    async def CreateKey(
        self, request: access_pb2.CreateKeyRequest, context: Context
    ) -> access_pb2.CreateKeyResponse:
        _require_key_grant(request)
        issued = await self._service.create_key(
            _new_key_from_pb(request), audit=audit_from_pb(request.audit)
        )
        return access_pb2.CreateKeyResponse(
            key=issued.key, info=_key_to_pb(issued.info), created=issued.created
        )

    async def ListKeys(
        self, request: access_pb2.ListKeysRequest, context: Context
    ) -> access_pb2.ListKeysResponse:
        owner, standalone = _key_listing_scope(request)
        found = await self._service.list_keys(
            owner=owner,
            standalone=standalone,
            include_revoked=request.include_revoked,
            prefix=request.prefix,
        )
        return access_pb2.ListKeysResponse(keys=[_key_to_pb(k) for k in found])

    async def RevokeKey(
        self, request: access_pb2.RevokeKeyRequest, context: Context
    ) -> access_pb2.RevokeKeyResponse:
        await self._require_revocable(request.prefix)
        info = await self._service.revoke_key(request.prefix, audit=audit_from_pb(request.audit))
        return access_pb2.RevokeKeyResponse(key=_key_to_pb(info))

    async def SetPermission(
        self, request: access_pb2.SetPermissionRequest, context: Context
    ) -> access_pb2.SetPermissionResponse:
        caller().require_right(request.permission.feed, rights.Right.ADMIN)
        permission = await self._service.set_permission(
            _permission_from_pb(request.permission), audit=audit_from_pb(request.audit)
        )
        return access_pb2.SetPermissionResponse(permission=_permission_to_pb(permission))

    async def DeletePermission(
        self, request: access_pb2.DeletePermissionRequest, context: Context
    ) -> access_pb2.DeletePermissionResponse:
        caller().require_right(request.feed, rights.Right.ADMIN)
        await self._service.delete_permission(
            request.subject, request.feed, audit=audit_from_pb(request.audit)
        )
        return access_pb2.DeletePermissionResponse()

    async def ListPermissions(
        self, request: access_pb2.ListPermissionsRequest, context: Context
    ) -> access_pb2.ListPermissionsResponse:
        if request.feed:
            caller().require_right(request.feed, rights.Right.ADMIN)
        elif not request.subject:
            caller().require_admin()
        found = await self._service.list_permissions(feed=request.feed, subject=request.subject)
        # A feed admin deciding whether it may revoke a standalone key sees its own feeds' rows.
        principal = caller().principal
        if not request.feed and not caller().service and principal is not None:
            found = [p for p in found if rights.has_right(principal, p.feed, rights.Right.ADMIN)]
        return access_pb2.ListPermissionsResponse(permissions=[_permission_to_pb(p) for p in found])

    async def ListAuditEvents(
        self, request: access_pb2.ListAuditEventsRequest, context: Context
    ) -> access_pb2.ListAuditEventsResponse:
        if request.feed:
            caller().require_right(request.feed, rights.Right.ADMIN)
        else:
            caller().require_admin()
        events = await self._service.list_audit_events(
            feed=request.feed,
            actor=request.actor,
            action=request.action,
            before_id=request.before_id,
            limit=request.limit,
        )
        return access_pb2.ListAuditEventsResponse(
            events=[to_pb(access_pb2.AuditEvent, e) for e in events]
        )

    # MetadataService's deprecated CreateApiKey and Authenticate (access.interface).

    async def CreateApiKey(
        self, request: metadata_pb2.CreateApiKeyRequest, context: Context
    ) -> metadata_pb2.CreateApiKeyResponse:
        caller().require_admin()
        issued = await self._service.create_key(
            _legacy_key_from_pb(request), audit=None, check_feeds=False
        )
        return metadata_pb2.CreateApiKeyResponse(
            key=issued.key, prefix=issued.info.prefix, created=issued.created
        )

    async def Authenticate(
        self, request: access_pb2.AuthenticateRequest, context: Context
    ) -> access_pb2.AuthenticateResponse:
        # The client address is the gateway's word for it (callers.py): failed logins are
        # counted per address and identity.
        principal = await self._service.authenticate(
            request.username, request.password, caller().address
        )
        granted = principal_to_pb(principal)
        return access_pb2.AuthenticateResponse(
            principal=granted, principal_token=self._principals.token_for(granted)
        )

    # Web UI sessions. Only the gateway may call these (common/rpc_access.py); a directory
    # identity is its word, as a password check is ours.

    def _granted(self, principal: Principal) -> tuple[common_pb2.Principal, str]:
        granted = principal_to_pb(principal)
        return granted, self._principals.token_for(granted)

    async def StartSession(
        self, request: access_pb2.StartSessionRequest, context: Context
    ) -> access_pb2.StartSessionResponse:
        lifetimes = Lifetimes(request.idle_seconds, request.absolute_seconds)
        audit = caller().audit()
        if request.HasField("directory"):
            if not caller().is_gateway:
                raise PermissionDenied("Only the gateway vouches for directory sign-ins.")
            found = request.directory
            identity = DirectoryIdentity(
                found.source, found.name, tuple(found.groups), found.is_admin
            )
            started = await self._sessions.start_directory(
                identity, lifetimes, address=caller().address, audit=audit
            )
        else:
            started = await self._sessions.start_local(
                request.username,
                request.password,
                lifetimes,
                address=caller().address,
                audit=audit,
            )
        granted, token = self._granted(started.principal)
        return access_pb2.StartSessionResponse(
            session=started.token, principal=granted, principal_token=token
        )

    async def ResolveSession(
        self, request: access_pb2.ResolveSessionRequest, context: Context
    ) -> access_pb2.ResolveSessionResponse:
        granted, token = self._granted(await self._sessions.resolve(request.session))
        return access_pb2.ResolveSessionResponse(principal=granted, principal_token=token)

    async def EndSession(
        self, request: access_pb2.EndSessionRequest, context: Context
    ) -> access_pb2.EndSessionResponse:
        await self._sessions.end(request.session)
        return access_pb2.EndSessionResponse()
