"""Resolving the principal a metadata call acts for (see metadata/callers.py for the rules).

The gateway presents a principal token (access/principal_token.py) it got from Authenticate;
an internal client (``client:NAME`` certificate) presents its API key as ``authorization:
Bearer <key>``, checked here exactly as a Basic ``api:<key>`` login is.
"""

from __future__ import annotations

from collections.abc import Mapping

from packyard_rpc.v1 import common_pb2

from packyard.common.errors import Unauthenticated
from packyard.common.pb_fields import to_pb
from packyard.common.rpc_access import CLIENT_PREFIX, CONNECTOR, GATEWAY, METADATA, OPERATOR
from packyard.metadata.access import principal_token
from packyard.metadata.access.models import Principal
from packyard.metadata.access.service import AccessService
from packyard.metadata.callers import Caller, FeedVisibility
from packyard.metadata.secret_keys import SecretKeys

PRINCIPAL_HEADER = "x-packyard-principal"
ADDRESS_HEADER = "x-packyard-client-address"
AUTHORIZATION_HEADER = "authorization"

# Services acting for themselves; the identity table keeps each to the methods it needs.
_SERVICES = frozenset({CONNECTOR, METADATA})
_OPERATOR = common_pb2.Principal(name=OPERATOR, is_admin=True)


def principal_to_pb(principal: Principal) -> common_pb2.Principal:
    return to_pb(common_pb2.Principal, principal)


class PrincipalResolver:
    def __init__(
        self, service: AccessService, keys: SecretKeys, visibility: FeedVisibility
    ) -> None:
        self._service = service
        self._keys = keys
        self._visibility = visibility

    def token_for(self, principal: common_pb2.Principal) -> str:
        return principal_token.sign(principal, self._keys.signing_keys[0])

    async def resolve(self, identity: str | None, metadata: Mapping[str, str]) -> Caller:
        """The caller of one RPC; Unauthenticated for a forged or expired token or a bad key."""
        principal: common_pb2.Principal | None = None
        address = ""
        if identity == GATEWAY:
            token = metadata.get(PRINCIPAL_HEADER)
            if token:
                principal = principal_token.verify(token, self._keys.signing_keys)
            address = metadata.get(ADDRESS_HEADER, "")
        elif identity is not None and identity.startswith(CLIENT_PREFIX):
            principal = await self._bearer(metadata.get(AUTHORIZATION_HEADER, ""))
        elif identity == OPERATOR:
            principal = _OPERATOR
        return Caller(
            identity=identity,
            principal=principal,
            address=address,
            service=identity in _SERVICES,
            visibility=self._visibility,
        )

    async def _bearer(self, header: str) -> common_pb2.Principal | None:
        if not header:
            return None
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("authorization metadata must be 'Bearer <API key>'.")
        return principal_to_pb(await self._service.authenticate("api", key.strip()))
