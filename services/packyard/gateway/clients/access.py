"""AccessService (in the metadata process): users, API keys, permissions, the audit log."""

from __future__ import annotations

from packyard_rpc.v1 import access_pb2 as pb
from packyard_rpc.v1 import access_pb2_grpc

from packyard.gateway.clients.calls import Client, Unary


class AccessClient(Client, stub=access_pb2_grpc.AccessServiceStub):
    """The Authenticator's credential checks; the admin API's users, keys, permissions and
    audit log."""

    sends_principal = True

    authenticate = Unary[pb.AuthenticateRequest, pb.AuthenticateResponse]()
    list_users = Unary[pb.ListUsersRequest, pb.ListUsersResponse]()
    create_user = Unary[pb.CreateUserRequest, pb.CreateUserResponse]()
    get_user = Unary[pb.GetUserRequest, pb.GetUserResponse]()
    update_user = Unary[pb.UpdateUserRequest, pb.UpdateUserResponse]()
    delete_user = Unary[pb.DeleteUserRequest, pb.DeleteUserResponse]()
    create_key = Unary[pb.CreateKeyRequest, pb.CreateKeyResponse]()
    list_keys = Unary[pb.ListKeysRequest, pb.ListKeysResponse]()
    revoke_key = Unary[pb.RevokeKeyRequest, pb.RevokeKeyResponse]()
    list_permissions = Unary[pb.ListPermissionsRequest, pb.ListPermissionsResponse]()
    set_permission = Unary[pb.SetPermissionRequest, pb.SetPermissionResponse]()
    delete_permission = Unary[pb.DeletePermissionRequest, pb.DeletePermissionResponse]()
    list_audit_events = Unary[pb.ListAuditEventsRequest, pb.ListAuditEventsResponse]()
    start_session = Unary[pb.StartSessionRequest, pb.StartSessionResponse]()
    resolve_session = Unary[pb.ResolveSessionRequest, pb.ResolveSessionResponse]()
    end_session = Unary[pb.EndSessionRequest, pb.EndSessionResponse]()
