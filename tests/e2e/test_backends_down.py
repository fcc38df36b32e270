"""When PostgreSQL or S3 goes away, the gateway answers 503 (try again later), not 500.

A metadata (or blob) service process of the test's own reaches PostgreSQL (or S3) through a
relay; a gateway of the test's own, with no caches, uses that service. Stopping the relay
takes the store away under a running stack.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.relay import Relay, relay_to, unix_relay_to
from tests.fixtures.services import service_process

JSON = {"Accept": "application/vnd.pypi.simple.v1+json, application/json"}
# Every answer below must come from the backends: no kept pages or authentications, and no
# local file copies (a gateway serves a file it keeps on disk whatever S3's state; its workers
# share those copies, so the poll below would never meet a worker without one).
NO_CACHES = {
    "PACKYARD_PAGE_CACHE_TTL": "0",
    "PACKYARD_AUTH_CACHE_TTL": "0",
    "PACKYARD_BLOB_CACHE_MAX_BYTES": "0",
}


def _upload(base: str, auth: tuple[str, str], tmp_path: Path, project: str) -> httpx.Response:
    wheel = build_wheel(tmp_path, project, "1.0")
    data = wheel.read_bytes()
    return httpx.post(
        f"{base}/pypi/main/legacy/",
        auth=auth,
        timeout=60,
        data={":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": project, "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(data).hexdigest()},
        files={"content": (wheel.name, data)},
    )  # fmt: skip


@pytest.fixture
def database_relay(stack: Stack) -> Iterator[tuple[Relay, str]]:
    """A relay to the stack's PostgreSQL, and the database URL that goes through it (a TCP
    URL, or libpq's ``?host=SOCKET_DIR`` form that the embedded server uses)."""
    url = urlsplit(stack.env["PACKYARD_DATABASE_URL"])
    query = parse_qs(url.query)
    if url.hostname:
        with relay_to(f"{url.hostname}:{url.port or 5432}") as relay:
            host, _, port = relay.addr.rpartition(":")
            user = url.netloc.rsplit("@", 1)[0] + "@" if "@" in url.netloc else ""
            yield relay, urlunsplit(url._replace(netloc=f"{user}{host}:{port}"))
        return
    socket_name = f".s.PGSQL.{query.get('port', ['5432'])[0]}"
    # A short directory: a Unix socket path may not be longer than about 100 bytes.
    relayed = Path(tempfile.mkdtemp(prefix="pg-"))
    with unix_relay_to(f"{query['host'][0]}/{socket_name}", str(relayed / socket_name)) as relay:
        query["host"] = [str(relayed)]
        yield relay, urlunsplit(url._replace(query=urlencode(query, doseq=True)))
    shutil.rmtree(relayed, ignore_errors=True)


def test_the_gateway_answers_503_while_postgresql_is_down(
    stack: Stack, database_relay: tuple[Relay, str]
) -> None:
    relay, database_url = database_relay
    env = {
        "PACKYARD_DATABASE_URL": database_url,
        "PACKYARD_CONSUMER_NAME": f"metadata-{uuid.uuid4().hex[:8]}",
    }
    with (
        service_process(stack, "metadata", env) as metadata,
        extra_gateway(stack, {"PACKYARD_METADATA_ADDR": metadata, **NO_CACHES}) as gateway,
    ):
        auth = ("api", str(stack.admin_key))
        urls = [f"{gateway}/pypi/main/simple/", f"{gateway}/api/v1/feeds"]
        assert [httpx.get(u, auth=auth, timeout=60).status_code for u in urls] == [200, 200]
        relay.stop()
        wait_until(lambda: httpx.get(urls[0], auth=auth, timeout=60).status_code == 503,
                   what="503 once PostgreSQL is gone")  # fmt: skip
        for url in urls:
            reply = httpx.get(url, auth=auth, timeout=60, headers=JSON)
            assert reply.status_code == 503, (url, reply.status_code, reply.text)
            assert reply.json()["code"] == 503


def test_the_gateway_answers_503_while_s3_is_down(stack: Stack, tmp_path: Path) -> None:
    with relay_to(stack.env["PACKYARD_S3_ENDPOINT"]) as relay:
        with (
            service_process(stack, "blob", {"PACKYARD_S3_ENDPOINT": relay.addr}) as blob,
            extra_gateway(stack, {"PACKYARD_BLOB_ADDR": blob, **NO_CACHES}) as gateway,
        ):
            auth = ("api", str(stack.admin_key))
            project = f"s3-down-{uuid.uuid4().hex[:8]}"
            assert _upload(gateway, auth, tmp_path / "a", project).status_code == 200
            wheel = f"{project.replace('-', '_')}-1.0-py3-none-any.whl"
            url = f"{gateway}/pypi/main/packages/{project}/{wheel}"
            assert httpx.get(url, timeout=60).status_code == 200
            relay.stop()
            wait_until(lambda: httpx.get(url, timeout=60).status_code == 503,
                       what="503 once S3 is gone")  # fmt: skip
            refused = _upload(gateway, auth, tmp_path / "b", f"{project}-two")
            assert refused.status_code == 503, refused.text
            # The index pages do not need S3 and stay up.
            assert httpx.get(f"{gateway}/pypi/main/simple/{project}/").status_code == 200
