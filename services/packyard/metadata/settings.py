"""Settings of the metadata service (``PACKYARD_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError

from packyard.common.settings import GrpcServiceSettings, NatsClientSettings


class MetadataSettings(GrpcServiceSettings, NatsClientSettings):
    # PACKYARD_DATABASE_URL: postgresql://user:password@host:5432/db (a secret: log it only
    # through redact_url).
    database_url: SecretStr
    # PACKYARD_ADMIN_KEY: an API key ("pky_<12 chars>_<secret>", e.g. from `packyard genkey`)
    # made a global administrator on start (idempotent): how a compose or Kubernetes deployment
    # gets its first administrator.
    admin_key: SecretStr | None = None
    # PACKYARD_DB_POOL_MIN_SIZE: connections opened at start and kept open.
    db_pool_min_size: int = Field(default=1, ge=0)
    # PACKYARD_DB_POOL_MAX_SIZE: upper bound of connections per replica.
    db_pool_max_size: int = Field(default=10, ge=1)
    # PACKYARD_DB_CONNECT_TIMEOUT: seconds to open one connection before answering UNAVAILABLE.
    db_connect_timeout: float = Field(default=5.0, gt=0)
    # PACKYARD_DB_COMMAND_TIMEOUT: seconds one statement may run.
    db_command_timeout: float = Field(default=30.0, gt=0)
    # PACKYARD_NATS_URL: JetStream, whose upstream events fill the upstream cache. The service
    # serves without it and catches up from its durable consumer when NATS is back.
    nats_url: str = "nats://127.0.0.1:4222"
    # PACKYARD_CONSUME_EVENTS: run the event consumer in this process.
    consume_events: bool = True
    # PACKYARD_CONSUMER_NAME: the durable consumer's name; replicas of one deployment share it
    # (each event is applied once), separate deployments on one NATS need their own.
    consumer_name: str = "metadata"


def settings_errors(exc: ValidationError) -> str:
    """Which settings are wrong, without echoing their values (they may be secrets)."""
    return "; ".join(
        f"PACKYARD_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
        for error in exc.errors()
    )
