"""The embedded engines let in only those who hold their credentials.

PostgreSQL wants the password (and its socket is out of other users' reach); NATS refuses a
client without credentials, and a service's user may publish only its own subjects.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
import nats
import pytest
from nats.errors import Error as NatsError
from packyard.common.events import connect

from tests.fixtures.engines import Engines

_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def _embedded_postgres(engines: Engines) -> str:
    url = engines.database_url
    if "host=/" not in url:
        pytest.skip("PostgreSQL is external")
    return url


def _embedded_nats(engines: Engines) -> dict[str, str]:
    if not engines.nats_service_urls:
        pytest.skip("NATS is external")
    return engines.nats_service_urls


async def test_postgres_refuses_a_connection_without_the_password(engines: Engines) -> None:
    parts = urlsplit(_embedded_postgres(engines))
    assert parts.password, "the embedded server's URL carries its password"
    without = urlunsplit(parts._replace(netloc=f"{parts.username}@"))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(without)
    wrong = urlunsplit(parts._replace(netloc=f"{parts.username}:not-the-password@"))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)
    conn = await asyncpg.connect(engines.database_url)
    await conn.close()


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root")
def test_postgres_socket_is_out_of_another_users_reach(engines: Engines) -> None:
    socket_dir = parse_qs(urlsplit(_embedded_postgres(engines)).query)["host"][0]
    probe = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n    s.connect(sys.argv[1]); print('connected')\n"
        "except OSError as exc:\n    print(type(exc).__name__)\n"
    )
    result = subprocess.run(
        [*_NOBODY, "/usr/bin/python3", "-c", probe, f"{socket_dir}/.s.PGSQL.5432"],
        capture_output=True, text=True, timeout=30, cwd="/", check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "PermissionError"


async def test_nats_refuses_a_client_without_credentials(engines: Engines) -> None:
    _embedded_nats(engines)
    bare = urlsplit(engines.nats_url)
    anonymous = urlunsplit(bare._replace(netloc=bare.netloc.rsplit("@", 1)[-1]))
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(anonymous, allow_reconnect=False, connect_timeout=2)
    # A known user with a wrong password fares no better.
    wrong = urlunsplit(bare._replace(netloc=f"gateway:wrong@{bare.hostname}:{bare.port}"))
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(wrong, allow_reconnect=False, connect_timeout=2)


async def test_the_gateways_user_cannot_publish_a_change_event(engines: Engines) -> None:
    urls = _embedded_nats(engines)
    subject = "packyard.index.changed.closed-test"
    watcher = await connect(engines.nats_url, "test-watcher")
    gateway = await connect(urls["gateway"], "test-gateway")
    metadata = await connect(urls["metadata"], "test-metadata")
    try:
        received: list[bytes] = []

        async def seen(msg: nats.aio.msg.Msg) -> None:
            received.append(msg.data)

        await watcher.subscribe(subject, cb=seen)
        await watcher.flush()
        await gateway.publish(subject, b"forged")
        await gateway.flush()
        # The same event from the metadata service's user arrives: the forged one was refused.
        await metadata.publish(subject, b"genuine")
        await metadata.flush()
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert received == [b"genuine"]
        assert "permissions violation for publish" in str(gateway.last_error)
    finally:
        for client in (gateway, metadata, watcher):
            await client.close()
