"""Embedded engines for `packyard up` and the tests: PostgreSQL, NATS JetStream and S3.

Each engine is a child process we start and stop ourselves, with its data and log in a
folder of its own. Production points the services at real engines through PACKYARD_* URLs.
"""

from packyard.engines.errors import EngineError
from packyard.engines.nats import NatsEngine
from packyard.engines.postgres import PostgresEngine, create_database, drop_database
from packyard.engines.s3 import S3Engine

__all__ = [
    "EngineError",
    "NatsEngine",
    "PostgresEngine",
    "S3Engine",
    "create_database",
    "drop_database",
]
