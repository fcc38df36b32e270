"""What the other metadata domains may use of the access domain."""

from __future__ import annotations

from typing import Protocol

import grpc
from packyard_rpc.v1 import access_pb2, metadata_pb2

from packyard.metadata.access.repository import delete_feed_permissions


class DeprecatedKeyRpcs(Protocol):
    """MetadataService's CreateApiKey and Authenticate (deprecated: AccessService has both),
    answered by the access domain until they are removed."""

    async def CreateApiKey(
        self, request: metadata_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> metadata_pb2.CreateApiKeyResponse: ...

    async def Authenticate(
        self, request: access_pb2.AuthenticateRequest, context: grpc.aio.ServicerContext
    ) -> access_pb2.AuthenticateResponse: ...


__all__ = ["DeprecatedKeyRpcs", "delete_feed_permissions"]
