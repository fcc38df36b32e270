"""Where a process finds its mutual-TLS material, and the identities it may name.

What every service needs at start: the file paths (``TlsFiles``), reading them as grpc takes
them, and the identity a verified peer's certificate names. Making and checking certificates
(tls.py) needs the ``cryptography`` library, about 9 MB of each process that imports it;
only ``packyard up``, ``packyard certs`` and the backup tool do, so the services import this
module instead (issue 13).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SERVICE_IDENTITIES = ("gateway", "metadata", "blob", "connector")
# The operator's tooling that talks gRPC directly: `packyard up`'s first-start bootstrap.
OPERATOR = "operator"
STACK_IDENTITIES = (*SERVICE_IDENTITIES, OPERATOR)
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
_IDENTITY = re.compile(
    r"^(gateway|metadata|blob|connector|operator|client:[a-z0-9][a-z0-9._-]{0,62})$"
)


class TlsError(ValueError):
    """Material missing, unreadable or not what was asked for."""


@dataclass(frozen=True)
class TlsMaterial:
    """PEM bytes as grpc's credential constructors take them."""

    ca: bytes
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class TlsFiles:
    """Where one process finds its trust bundle, certificate and key."""

    ca: Path
    cert: Path
    key: Path

    def read(self) -> TlsMaterial:
        try:
            return TlsMaterial(self.ca.read_bytes(), self.cert.read_bytes(), self.key.read_bytes())
        except OSError as exc:
            raise TlsError(f"cannot read TLS material: {exc}") from exc

    def env(self) -> dict[str, str]:
        """The PACKYARD_TLS_* settings that point a child process at these files."""
        return {
            "PACKYARD_TLS_CA": str(self.ca),
            "PACKYARD_TLS_CERT": str(self.cert),
            "PACKYARD_TLS_KEY": str(self.key),
        }


def check_identity(identity: str) -> str:
    if not _IDENTITY.match(identity):
        raise TlsError(
            f"not an identity: {identity!r} (one of {', '.join(STACK_IDENTITIES)} or client:NAME)"
        )
    return identity


def files_for(directory: Path, identity: str) -> TlsFiles:
    stem = check_identity(identity).replace(":", "_")
    return TlsFiles(directory / CA_FILE, directory / f"{stem}.pem", directory / f"{stem}.key")


def peer_identity(common_names: Iterable[bytes]) -> str | None:
    """The identity a verified peer certificate names (its subject common name)."""
    for name in common_names:
        identity = name.decode("utf-8", "replace")
        return identity if _IDENTITY.match(identity) else None
    return None
