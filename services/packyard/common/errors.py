"""The one error table: domain errors, their gRPC status codes, and their HTTP statuses.

Domain code raises a ``PackyardError`` subclass; one gRPC interceptor turns it into a status
(servicers never call ``abort``), and the gateway maps any ``AioRpcError`` back to HTTP with
``http_status_for``. Messages are one line, safe to show to a user.
"""

from __future__ import annotations

import grpc


class PackyardError(Exception):
    """Base class: ``message`` is a one-line reason shown to the user."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    # An HTTP status with no gRPC equivalent (410 Gone); None = derive it from ``code``.
    http_status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = one_line(message)


class InvalidArgument(PackyardError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(PackyardError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(PackyardError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(PackyardError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(PackyardError):
    code = grpc.StatusCode.UNAUTHENTICATED


class FailedPrecondition(PackyardError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(PackyardError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(PackyardError):
    """A backing service (database, store, upstream) cannot be reached."""

    code = grpc.StatusCode.UNAVAILABLE


class UpstreamUnavailable(Unavailable):
    pass


class BadGateway(PackyardError):
    """An upstream answered something that must not be served (the connector's DATA_LOSS)."""

    code = grpc.StatusCode.DATA_LOSS
    http_status = 502


# google/rpc/code.proto -> HTTP, as the house style fixes it. ALREADY_EXISTS is 400 rather
# than 409 because twine, poetry and pdm recognise "400 File already exists" (Warehouse's
# contract); FAILED_PRECONDITION is 400 as in Warehouse's "filename previously used".
_HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.ALREADY_EXISTS: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    # Stored bytes that failed their integrity check (quarantined), or an upstream answer that
    # must not be served: the server behind the gateway has no good copy.
    grpc.StatusCode.DATA_LOSS: 502,
    grpc.StatusCode.CANCELLED: 499,
}


def http_status_for(code: grpc.StatusCode) -> int:
    return _HTTP_STATUS.get(code, 500)


def error_for_status(code: grpc.StatusCode, message: str) -> PackyardError:
    """The domain error a gRPC status stands for (used by clients of another service)."""
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        Unauthenticated,
        FailedPrecondition,
        ResourceExhausted,
        Unavailable,
    ):
        if cls.code == code:
            return cls(message)
    err = PackyardError(message)
    err.code = code
    return err


def one_line(message: str) -> str:
    """Collapse a message to one printable line (it may end up in a header or log line)."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in message)
    return " ".join(cleaned.split())
