"""The stack's gateway runs several workers, and is one server to its users: a change made
through it shows at once on every connection, whichever worker answers each (the workers share
their drops, gateway/sibling_drops.py; change events alone take milliseconds).

Connections to the stack's gateway are spread over its workers by the kernel: a dozen
keep-alive connections, each with the page and a file cached on its worker, cover them all.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import httpx
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.uploads import post_file, upload_fields

JSON_V1 = "application/vnd.pypi.simple.v1+json"
CONNECTIONS = 12


def test_a_change_shows_at_once_on_every_connection(stack: Stack, tmp_path: Path) -> None:
    name = f"workers-{uuid.uuid4().hex[:8]}"
    project = normalize(name)
    first = build_wheel(tmp_path, name, "1.0")
    assert post_file(stack, first, upload_fields(first, name, "1.0")).status_code == 200
    page = f"{stack.base_url}/pypi/main/simple/{project}/"
    file = f"{stack.base_url}/pypi/main/packages/{project}/{first.name}"
    auth = ("api", str(stack.admin_key))
    clients = [httpx.Client(auth=auth, timeout=30) for _ in range(CONNECTIONS)]
    try:
        for client in clients:
            for _ in range(2):  # the second one from the page cache of that worker
                assert client.get(page, headers={"Accept": JSON_V1}).json()["versions"] == ["1.0"]
                assert hashlib.sha256(client.get(file).content).hexdigest()
        second = build_wheel(tmp_path, name, "1.1")
        assert post_file(stack, second, upload_fields(second, name, "1.1")).status_code == 200
        seen = [c.get(page, headers={"Accept": JSON_V1}).json()["versions"] for c in clients]
        assert seen == [["1.0", "1.1"]] * CONNECTIONS

        with httpx.Client(auth=auth, timeout=30) as admin:
            deleted = admin.delete(f"{stack.base_url}/api/v1/feeds/main/files/{first.name}")
            assert deleted.status_code == 200, deleted.text
        assert [c.get(file).status_code for c in clients] == [404] * CONNECTIONS
        listed = [
            [f["filename"] for f in c.get(page, headers={"Accept": JSON_V1}).json()["files"]]
            for c in clients
        ]
        assert listed == [[second.name]] * CONNECTIONS
    finally:
        for client in clients:
            client.close()
