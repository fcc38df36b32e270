"""A few exception classes for the status codes a caller handles differently.

Each is also a ``grpc.RpcError`` with ``code()`` and ``details()``, so code written against
plain grpcio keeps working.
"""

from __future__ import annotations

import grpc


class PackyardRpcError(grpc.RpcError):
    """A call failed; ``code`` is the gRPC status, ``message`` the server's explanation."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.status = code
        self.message = message

    def code(self) -> grpc.StatusCode:
        return self.status

    def details(self) -> str:
        return self.message


class NotFound(PackyardRpcError):
    """NOT_FOUND: no such feed, project, release or file (or the key may not see it)."""


class PermissionDenied(PackyardRpcError):
    """PERMISSION_DENIED: the key lacks the right, or the certificate may not call the method."""


class Unauthenticated(PackyardRpcError):
    """UNAUTHENTICATED: the API key is unknown, revoked or malformed."""


class InvalidArgument(PackyardRpcError):
    """INVALID_ARGUMENT or OUT_OF_RANGE: the request itself is wrong; do not retry it."""


class Conflict(PackyardRpcError):
    """ALREADY_EXISTS, FAILED_PRECONDITION or ABORTED: the state forbids it (a filename
    already used, a deleted name still reserved)."""


class Unavailable(PackyardRpcError):
    """UNAVAILABLE or DEADLINE_EXCEEDED after the channel's retries: try again later."""


_BY_CODE: dict[grpc.StatusCode, type[PackyardRpcError]] = {
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.ALREADY_EXISTS: Conflict,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
    grpc.StatusCode.ABORTED: Conflict,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
}


def from_status(code: grpc.StatusCode, message: str) -> PackyardRpcError:
    """The exception for a failed call's status (PackyardRpcError for the other codes)."""
    return _BY_CODE.get(code, PackyardRpcError)(code, message)


def from_rpc_error(error: grpc.RpcError) -> PackyardRpcError:
    """Translate a grpcio error (a grpc.Call or grpc.aio.AioRpcError) into ours."""
    code = getattr(error, "code", None)
    details = getattr(error, "details", None)
    status = code() if callable(code) else grpc.StatusCode.UNKNOWN
    return from_status(status, (details() if callable(details) else None) or "")
