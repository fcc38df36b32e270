"""Settings shared by every service; each service subclasses ``ServiceSettings``.

Every value comes from a ``PACKYARD_*`` environment variable (OpenTelemetry keeps its own
``OTEL_*`` variables). Settings are built once in the entry point and passed down.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from packyard.common.events import url_with_credentials
from packyard.common.tls_files import TlsError, TlsFiles


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACKYARD_", extra="ignore")

    # PACKYARD_LOG_LEVEL: DEBUG, INFO, WARNING, ...
    log_level: str = "INFO"
    # PACKYARD_LOG_FORMAT: "text" for people, "json" for log collectors.
    log_format: str = "text"
    # PACKYARD_SHUTDOWN_GRACE: seconds in-flight requests get to finish on SIGTERM.
    shutdown_grace: float = 10.0
    # PACKYARD_TLS_CA, PACKYARD_TLS_CERT, PACKYARD_TLS_KEY: this process's mutual-TLS files
    # for gRPC (the CA bundle it trusts, its certificate naming its identity, its key).
    # Required: no service talks gRPC in plaintext. `packyard up` and compose set them.
    tls_ca: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    def tls(self) -> TlsFiles:
        missing = [
            f"PACKYARD_TLS_{name.upper()}"
            for name in ("ca", "cert", "key")
            if not getattr(self, f"tls_{name}")
        ]
        if missing:
            raise TlsError(f"gRPC needs mutual TLS: set {', '.join(missing)}")
        return TlsFiles(Path(self.tls_ca), Path(self.tls_cert), Path(self.tls_key))


class GrpcServiceSettings(ServiceSettings):
    # Address the service's gRPC server binds, e.g. 127.0.0.1:50051.
    listen_addr: str = "127.0.0.1:50051"


class NatsClientSettings(BaseSettings):
    """The NATS user a service connects as (see common/nats_access.py for what each may do)."""

    model_config = SettingsConfigDict(env_prefix="PACKYARD_", extra="ignore")

    # PACKYARD_NATS_USER / PACKYARD_NATS_PASSWORD: this service's NATS credentials ("" = connect
    # without; a server with users refuses that). `packyard up` generates them.
    nats_user: str = ""
    nats_password: SecretStr = SecretStr("")
    # Each service documents its own PACKYARD_NATS_URL.
    nats_url: str = "nats://127.0.0.1:4222"

    @property
    def nats_connect_url(self) -> str:
        """PACKYARD_NATS_URL with this service's credentials, as `events.connect` takes it."""
        return url_with_credentials(
            self.nats_url, self.nats_user, self.nats_password.get_secret_value()
        )


def redact_url(url: str) -> str:
    """Hide userinfo in a URL before it is logged: scheme://REDACTED:REDACTED@host/..."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if not sep or "@" not in authority:
        return url
    host = authority.rsplit("@", 1)[1]
    return f"{scheme}://REDACTED:REDACTED@{host}{slash}{tail}"


__all__ = [
    "GrpcServiceSettings",
    "NatsClientSettings",
    "SecretStr",
    "ServiceSettings",
    "redact_url",
]
