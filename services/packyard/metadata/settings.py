"""Settings of the metadata service (``PACKYARD_*`` environment variables)."""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr, ValidationError

from packyard.common.events import StreamSettings
from packyard.common.logging import setup_logging
from packyard.common.settings import GrpcServiceSettings, NatsClientSettings


class MetadataSettings(GrpcServiceSettings, NatsClientSettings):
    # PACKYARD_DATABASE_URL: postgresql://user:password@host:5432/db (a secret: log it only
    # through redact_url).
    database_url: SecretStr
    # PACKYARD_ADMIN_KEY: an API key ("pky_<12 chars>_<secret>", e.g. from `packyard genkey`)
    # made a global administrator on start (idempotent): how a compose or Kubernetes deployment
    # gets its first administrator.
    admin_key: SecretStr | None = None
    # PACKYARD_SECRET_KEY: Fernet keys, comma-separated, newest first (`packyard secrets
    # genkey`): encrypt connector credentials at rest and sign principal tokens. Replicas must
    # share it. Unset: credentials cannot be stored, and tokens are signed with a random key of
    # this process (one replica only). `packyard up` generates DATA_DIR/secret-key.
    secret_key: SecretStr | None = None
    # PACKYARD_AUTH_FAILURE_LIMIT / PACKYARD_AUTH_FAILURE_WINDOW: failed logins from one client
    # address for one user or API key within the window (seconds) before that user or key is
    # refused from that address with 429 until the window ends (0 = no limit). Counted in
    # PostgreSQL, so shared by every gateway (access/login_failures.py).
    auth_failure_limit: int = Field(default=10, ge=0)
    auth_failure_window: float = Field(default=60.0, gt=0)
    # PACKYARD_BLOB_ADDR: the BlobService, through which the garbage collector and the
    # scrubber list, delete and re-hash objects; "" turns both off in this process.
    blob_addr: str = ""
    # PACKYARD_GC_INTERVAL: seconds between garbage-collection runs (0 = never; `packyard gc`
    # runs one on demand). One replica at a time runs it (an advisory lock).
    gc_interval: float = Field(default=6 * 3600.0, ge=0)
    # PACKYARD_GC_GRACE: seconds an unreferenced object is kept after it was last written, so
    # an upload in flight (stored, not yet registered) is never collected.
    gc_grace: float = Field(default=24 * 3600.0, ge=0)
    # PACKYARD_GC_DELETED_RETENTION: seconds a deleted file's bytes are kept before the
    # collector may remove them (the filename stays reserved forever).
    gc_deleted_retention: float = Field(default=7 * 24 * 3600.0, ge=0)
    # PACKYARD_RETENTION_INTERVAL: seconds between passes that run every feed's retention rules
    # (0 = never; `packyard retention run FEED` runs them on demand).
    retention_interval: float = Field(default=3600.0, ge=0)
    # PACKYARD_SCRUB_INTERVAL: seconds between scrub passes that re-hash every stored object
    # (0 = never).
    scrub_interval: float = Field(default=24 * 3600.0, ge=0)
    # PACKYARD_SCRUB_BYTES_PER_SECOND / PACKYARD_SCRUB_OBJECTS_PER_MINUTE: the scrubber's pace
    # (0 = no limit of that kind); it waits as long as the stricter of the two requires.
    scrub_bytes_per_second: float = Field(default=20 * 1024 * 1024, ge=0)
    scrub_objects_per_minute: float = Field(default=0, ge=0)
    # PACKYARD_DB_POOL_MIN_SIZE: connections opened at start and kept open.
    db_pool_min_size: int = Field(default=1, ge=0)
    # PACKYARD_DB_POOL_MAX_SIZE: upper bound of connections per replica.
    db_pool_max_size: int = Field(default=10, ge=1)
    # PACKYARD_DB_CONNECT_TIMEOUT: seconds to open one connection before answering UNAVAILABLE.
    db_connect_timeout: float = Field(default=5.0, gt=0)
    # PACKYARD_DB_COMMAND_TIMEOUT: seconds one statement may run.
    db_command_timeout: float = Field(default=30.0, gt=0)
    # PACKYARD_NATS_URL: where committed changes are announced (gateways drop cached pages and
    # authentications). The service serves without it; events wait in the outbox table.
    nats_url: str = "nats://127.0.0.1:4222"
    # PACKYARD_OUTBOX_POLL_INTERVAL: seconds between the relay's looks at the outbox table when
    # it is empty (one indexed query per replica).
    outbox_poll_interval: float = Field(default=0.2, gt=0)
    # PACKYARD_WEBHOOK_ALLOW_PRIVATE: webhooks may post to loopback and private addresses
    # (a receiver on this machine or the internal network); link-local never.
    webhook_allow_private: bool = False
    # PACKYARD_NATS_STREAM_REPLICAS: copies of the PACKYARD stream (1 for one NATS server, 3 for
    # a three-node cluster); applied to an existing stream on start.
    nats_stream_replicas: int = Field(default=1, ge=1, le=5)
    # PACKYARD_NATS_DUPLICATE_WINDOW: seconds the stream remembers message ids. It must cover
    # the relay's retry horizon: how long a replica that died after a publish and before the
    # outbox commit takes to come back (another replica takes over the row at once).
    nats_duplicate_window: float = Field(default=600.0, gt=0)

    def stream_settings(self) -> StreamSettings:
        return StreamSettings(self.nats_stream_replicas, self.nats_duplicate_window)


def settings_errors(exc: ValidationError) -> str:
    """Which settings are wrong, without echoing their values (they may be secrets)."""
    return "; ".join(
        f"PACKYARD_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
        for error in exc.errors()
    )


def load_settings(process: str, log: logging.Logger) -> MetadataSettings | None:
    """The settings from the environment, with logging set up as they say; None when they are
    wrong (logged as ``<process>.bad_settings``). ``packyard metadata`` and ``packyard migrate``
    both read these: one settings class per process."""
    try:
        settings = MetadataSettings()  # type: ignore[call-arg]
    except ValidationError as exc:
        setup_logging(process)
        log.error(f"{process}.bad_settings", extra={"error": settings_errors(exc)})
        return None
    setup_logging(process, settings.log_level, settings.log_format)
    return settings
