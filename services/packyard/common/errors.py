"""The one error table: domain errors, their gRPC status codes, and their HTTP statuses.

Domain code raises a ``PackyardError`` subclass; one gRPC interceptor turns it into a status
(servicers never call ``abort``), and the gateway maps any ``AioRpcError`` back to HTTP with
``http_status_for``. Messages are one line, safe to show to a user.

A code is the *name* of a gRPC status (``"NOT_FOUND"``, as in google/rpc/code.proto), not
grpc's enum: the protocol modules raise these errors and must not import gRPC. common/grpc.py
turns the name into ``grpc.StatusCode`` at the one place a status is sent; the functions here
take either spelling.
"""

from __future__ import annotations


class PackyardError(Exception):
    """Base class: ``message`` is a one-line reason shown to the user."""

    code: str = "INTERNAL"
    # An HTTP status with no gRPC equivalent (410 Gone); None = derive it from ``code``.
    http_status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = one_line(message)


class InvalidArgument(PackyardError):
    code = "INVALID_ARGUMENT"


class NotFound(PackyardError):
    code = "NOT_FOUND"


class AlreadyExists(PackyardError):
    code = "ALREADY_EXISTS"


class PermissionDenied(PackyardError):
    code = "PERMISSION_DENIED"


class Unauthenticated(PackyardError):
    code = "UNAUTHENTICATED"


class FailedPrecondition(PackyardError):
    code = "FAILED_PRECONDITION"


class ResourceExhausted(PackyardError):
    code = "RESOURCE_EXHAUSTED"


class Unavailable(PackyardError):
    """A backing service (database, store, upstream) cannot be reached."""

    code = "UNAVAILABLE"


class UpstreamUnavailable(Unavailable):
    pass


class BadGateway(PackyardError):
    """An upstream answered something that must not be served (the connector's DATA_LOSS)."""

    code = "DATA_LOSS"
    http_status = 502


# google/rpc/code.proto -> HTTP, as the house style fixes it. ALREADY_EXISTS is 400 rather
# than 409 because twine, poetry and pdm recognise "400 File already exists" (Warehouse's
# contract); FAILED_PRECONDITION is 400 as in Warehouse's "filename previously used".
_HTTP_STATUS: dict[str, int] = {
    "OK": 200,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "ALREADY_EXISTS": 400,
    "NOT_FOUND": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "ABORTED": 409,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    # Stored bytes that failed their integrity check (quarantined), or an upstream answer that
    # must not be served: the server behind the gateway has no good copy.
    "DATA_LOSS": 502,
    "CANCELLED": 499,
}


def status_name(code: object) -> str:
    """A status name from a name or from grpc's ``StatusCode`` (its enum member's name)."""
    return code if isinstance(code, str) else str(getattr(code, "name", code))


def http_status_for(code: object) -> int:
    return _HTTP_STATUS.get(status_name(code), 500)


def error_for_status(code: object, message: str) -> PackyardError:
    """The domain error a gRPC status (name or ``grpc.StatusCode``) stands for (used by
    clients of another service)."""
    name = status_name(code)
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
        if cls.code == name:
            return cls(message)
    err = PackyardError(message)
    err.code = name
    return err


def one_line(message: str) -> str:
    """Collapse a message to one printable line (it may end up in a header or log line)."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in message)
    return " ".join(cleaned.split())
