"""On whose behalf the gateway calls the metadata service during one HTTP request.

The Authenticator records the principal token Authenticate answered (and the client's
address) here; the clients of the metadata process's services send both as call metadata, so
the metadata service decides permissions and audit rows from them (metadata/callers.py). A
request that never authenticated calls as the anonymous principal.
"""

from __future__ import annotations

from contextvars import ContextVar

PRINCIPAL_HEADER = "x-packyard-principal"
ADDRESS_HEADER = "x-packyard-client-address"

_ACTING_FOR: ContextVar[tuple[tuple[str, str], ...]] = ContextVar(
    "packyard_gateway_acting_for", default=()
)


def act_for(token: str, address: str) -> None:
    """The rest of this request's calls are made for the principal of ``token``."""
    _ACTING_FOR.set(((PRINCIPAL_HEADER, token), (ADDRESS_HEADER, address)))


def call_metadata() -> tuple[tuple[str, str], ...]:
    """The gRPC metadata of a call made now ("" : anonymous)."""
    return _ACTING_FOR.get()
