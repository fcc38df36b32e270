"""gRPC AccessService: decode the request, make one domain call, encode the reply.

Errors are PackyardError raised by the domain; the ErrorInterceptor turns them into statuses.
"""

from __future__ import annotations

import grpc

from packyard.common.errors import InvalidArgument
from packyard.common.pb_fields import to_pb
from packyard.metadata.access.models import (
    ApiKeyInfo,
    NewKey,
    Permission,
    Right,
    User,
)
from packyard.metadata.access.service import AccessService
from packyard.metadata.pb_common import audit_from_pb, datetime_from_pb
from packyard.rpc.v1 import access_pb2, access_pb2_grpc, common_pb2, metadata_pb2

SERVICE_NAME = "packyard.rpc.v1.AccessService"

Context = grpc.aio.ServicerContext


def _right_from_pb(value: int) -> Right:
    try:
        return Right(value)
    except ValueError:
        raise InvalidArgument("A permission needs a right: read, publish, yank or admin.") from None


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
    def __init__(self, service: AccessService) -> None:
        self._service = service

    async def CreateUser(
        self, request: access_pb2.CreateUserRequest, context: Context
    ) -> access_pb2.CreateUserResponse:
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
        return access_pb2.GetUserResponse(
            user=_user_to_pb(await self._service.get_user(request.name))
        )

    async def ListUsers(
        self, request: access_pb2.ListUsersRequest, context: Context
    ) -> access_pb2.ListUsersResponse:
        users = await self._service.list_users()
        return access_pb2.ListUsersResponse(users=[_user_to_pb(u) for u in users])

    async def UpdateUser(
        self, request: access_pb2.UpdateUserRequest, context: Context
    ) -> access_pb2.UpdateUserResponse:
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
        await self._service.delete_user(request.name, audit=audit_from_pb(request.audit))
        return access_pb2.DeleteUserResponse()

    async def CreateKey(
        self, request: access_pb2.CreateKeyRequest, context: Context
    ) -> access_pb2.CreateKeyResponse:
        issued = await self._service.create_key(
            _new_key_from_pb(request), audit=audit_from_pb(request.audit)
        )
        return access_pb2.CreateKeyResponse(
            key=issued.key, info=_key_to_pb(issued.info), created=issued.created
        )

    async def ListKeys(
        self, request: access_pb2.ListKeysRequest, context: Context
    ) -> access_pb2.ListKeysResponse:
        found = await self._service.list_keys(
            owner=request.owner,
            standalone=request.standalone,
            include_revoked=request.include_revoked,
            prefix=request.prefix,
        )
        return access_pb2.ListKeysResponse(keys=[_key_to_pb(k) for k in found])

    async def RevokeKey(
        self, request: access_pb2.RevokeKeyRequest, context: Context
    ) -> access_pb2.RevokeKeyResponse:
        info = await self._service.revoke_key(request.prefix, audit=audit_from_pb(request.audit))
        return access_pb2.RevokeKeyResponse(key=_key_to_pb(info))

    async def SetPermission(
        self, request: access_pb2.SetPermissionRequest, context: Context
    ) -> access_pb2.SetPermissionResponse:
        permission = await self._service.set_permission(
            _permission_from_pb(request.permission), audit=audit_from_pb(request.audit)
        )
        return access_pb2.SetPermissionResponse(permission=_permission_to_pb(permission))

    async def DeletePermission(
        self, request: access_pb2.DeletePermissionRequest, context: Context
    ) -> access_pb2.DeletePermissionResponse:
        await self._service.delete_permission(
            request.subject, request.feed, audit=audit_from_pb(request.audit)
        )
        return access_pb2.DeletePermissionResponse()

    async def ListPermissions(
        self, request: access_pb2.ListPermissionsRequest, context: Context
    ) -> access_pb2.ListPermissionsResponse:
        found = await self._service.list_permissions(feed=request.feed, subject=request.subject)
        return access_pb2.ListPermissionsResponse(permissions=[_permission_to_pb(p) for p in found])

    async def ListAuditEvents(
        self, request: access_pb2.ListAuditEventsRequest, context: Context
    ) -> access_pb2.ListAuditEventsResponse:
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
        issued = await self._service.create_key(
            _legacy_key_from_pb(request), audit=None, check_feeds=False
        )
        return metadata_pb2.CreateApiKeyResponse(
            key=issued.key, prefix=issued.info.prefix, created=issued.created
        )

    async def Authenticate(
        self, request: access_pb2.AuthenticateRequest, context: Context
    ) -> access_pb2.AuthenticateResponse:
        principal = await self._service.authenticate(request.username, request.password)
        return access_pb2.AuthenticateResponse(principal=to_pb(common_pb2.Principal, principal))
