"""`packyard advisories import --url` (issue 17): the archive is fetched with the ETag of the
last import (an unchanged archive is not downloaded or sent again), read a record at a time
and sent in batches, the last one carrying the new ETag."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx
from packyard.cli_admin import Api
from packyard.cli_supply import import_advisories

ARCHIVE_URL = "https://osv.example/PyPI/all.zip"


def _archive(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for i in range(count):
            record = {
                "id": f"PYSEC-1-{i}",
                "affected": [
                    {"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}
                ],
            }
            zf.writestr(f"PYSEC-1-{i}.json", json.dumps(record))
        zf.writestr("broken.json", b"{not json")
    return buffer.getvalue()  # fmt: skip


class FakePackyard:
    """The admin API's two import routes, remembering what they were sent."""

    def __init__(self) -> None:
        self.etag = ""
        self.batches: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/advisories/source":
            assert request.url.params["source"] == ARCHIVE_URL
            return httpx.Response(200, json={"source": ARCHIVE_URL, "etag": self.etag})
        body = json.loads(request.content)
        self.batches.append(body)
        if body["last"]:
            self.etag = body["etag"]
        return httpx.Response(200, json={"stored": len(body["records"]), "skipped": 0})


def _origin(archive: bytes, seen: list[str | None]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=archive, headers={"ETag": '"v1"'})

    return httpx.MockTransport(handle)


def test_conditional_download_and_batches() -> None:
    packyard = FakePackyard()
    seen: list[str | None] = []
    origin = _origin(_archive(12), seen)

    def api() -> Api:
        return Api("http://packyard", "key", httpx.MockTransport(packyard.handle))

    first = import_advisories(api(), url=ARCHIVE_URL, path=None, batch=5, transport=origin)
    assert (first["records"], first["stored"], first["not_modified"]) == (12, 12, False)
    assert [len(b["records"]) for b in packyard.batches] == [5, 5, 2]
    assert [b["last"] for b in packyard.batches] == [False, False, True]
    assert [b["etag"] for b in packyard.batches] == ["", "", '"v1"']

    again = import_advisories(api(), url=ARCHIVE_URL, path=None, batch=5, transport=origin)
    assert again["not_modified"] is True
    assert seen == [None, '"v1"']
    assert len(packyard.batches) == 3  # nothing sent the second time
