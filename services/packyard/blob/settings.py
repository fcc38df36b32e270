"""Settings of the blob service."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from packyard.common.settings import GrpcServiceSettings

# Default secrets of S3 servers, published in their documentation: anyone may try them.
WELL_KNOWN_SECRETS = frozenset({"minioadmin", "minio123"})


class BlobSettings(GrpcServiceSettings):
    # PACKYARD_LISTEN_ADDR: where the BlobService listens.
    listen_addr: str = "127.0.0.1:50052"
    # PACKYARD_S3_ENDPOINT: the S3 server as "host:port" (no scheme; see s3_secure).
    s3_endpoint: str = "127.0.0.1:9000"
    # PACKYARD_S3_ACCESS_KEY / PACKYARD_S3_SECRET_KEY: credentials of the service's S3 user.
    # Required; MinIO's well-known default secret is refused (`packyard up` generates keys for
    # its embedded S3, compose's are generated secret files).
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    # PACKYARD_S3_SECURE: talk HTTPS to the S3 server.
    s3_secure: bool = False
    # PACKYARD_S3_BUCKET: the bucket the service owns; created at startup when missing.
    s3_bucket: str = "packyard"
    # PACKYARD_S3_REGION: only needed for servers that insist on one (AWS).
    s3_region: str | None = None
    # PACKYARD_S3_CONNECT_TIMEOUT / PACKYARD_S3_READ_TIMEOUT: seconds before a storage call
    # gives up and the RPC answers UNAVAILABLE.
    s3_connect_timeout: float = 5.0
    s3_read_timeout: float = 60.0
    # PACKYARD_S3_PART_SIZE: multipart part size in bytes; also the most memory one upload
    # holds at a time (S3 requires at least 5 MiB).
    s3_part_size: int = 16 * 1024 * 1024
    # PACKYARD_IO_THREADS: worker threads for S3 calls and hashing; bounds concurrent transfers.
    io_threads: int = 64
    # PACKYARD_SPOOL_DIR: where in-flight uploads are written while they are hashed ("" = the
    # system temporary directory, as the gateway's). Needs room for the largest concurrent
    # uploads.
    spool_dir: str = ""
    # PACKYARD_KEY_PREFIX: prefix of every object key (tests use it to share a bucket).
    key_prefix: str = ""

    @model_validator(mode="after")
    def _credentials_of_its_own(self) -> BlobSettings:
        if not self.s3_access_key or not self.s3_secret_key.get_secret_value():
            raise ValueError("PACKYARD_S3_ACCESS_KEY and PACKYARD_S3_SECRET_KEY must be set")
        if self.s3_secret_key.get_secret_value() in WELL_KNOWN_SECRETS:
            raise ValueError(
                "PACKYARD_S3_SECRET_KEY is a well-known default secret: set one of your own"
            )
        return self
