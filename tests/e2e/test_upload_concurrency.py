"""Uploads racing for one filename (RELIABILITY.md §5 D 48-49): one file, never a 500."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_wheel
from tests.fixtures.uploads import upload_fields

RACERS = 20


async def _race(
    stack: Stack, bodies: list[tuple[Path, dict[str, str | list[str]]]]
) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=120, auth=("api", str(stack.admin_key))) as client:
        return await asyncio.gather(
            *(
                client.post(
                    stack.upload_url(),
                    data=fields,
                    files={"content": (path.name, path.read_bytes(), "application/octet-stream")},
                )
                for path, fields in bodies
            )
        )


def _listed(stack: Stack, project: str) -> list[dict[str, object]]:
    page = httpx.get(
        stack.index_url() + normalize(project) + "/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    assert page.status_code == 200
    files: list[dict[str, object]] = page.json()["files"]
    return files


def test_identical_uploads_at_once_store_one_file(stack: Stack, tmp_path: Path) -> None:
    name = f"racer-{uuid.uuid4().hex[:8]}"
    wheel = build_wheel(tmp_path, name, "1.0")
    fields = upload_fields(wheel, name, "1.0")
    replies = asyncio.run(_race(stack, [(wheel, fields)] * RACERS))
    assert [r.status_code for r in replies] == [200] * RACERS, [r.text for r in replies]
    files = _listed(stack, name)
    assert [f["filename"] for f in files] == [wheel.name]


def test_different_bytes_at_once_let_exactly_one_win(stack: Stack, tmp_path: Path) -> None:
    name = f"racer-{uuid.uuid4().hex[:8]}"
    bodies = []
    for i in range(RACERS):
        wheel = build_wheel(tmp_path / str(i), name, "1.0", payload=f"RACER = {i}\n")
        bodies.append((wheel, upload_fields(wheel, name, "1.0")))
    replies = asyncio.run(_race(stack, bodies))
    statuses = [r.status_code for r in replies]
    assert statuses.count(200) == 1, [(r.status_code, r.text) for r in replies]
    losers = [r for r in replies if r.status_code != 200]
    assert all(r.status_code == 400 for r in losers), [(r.status_code, r.text) for r in losers]
    assert all(r.text.startswith("File already exists") for r in losers), [r.text for r in losers]
    winner = bodies[statuses.index(200)][0]
    files = _listed(stack, name)
    assert len(files) == 1
    served = httpx.get(f"{stack.base_url}/pypi/main/packages/{normalize(name)}/{winner.name}")
    assert served.content == winner.read_bytes()
