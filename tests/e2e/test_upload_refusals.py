"""Bad uploads get a clear status and one-line reason, and leave nothing behind.

These send the legacy upload form the way twine does, with one thing wrong each time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.fixtures.dists import build_sdist, build_wheel


def _form(name: str, version: str, path: Path, **overrides: str) -> dict[str, str]:
    data = path.read_bytes()
    fields = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.1",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if path.name.endswith(".whl") else "sdist",
        "pyversion": "py3" if path.name.endswith(".whl") else "source",
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
    }
    fields.update(overrides)
    return fields


def _post(
    stack: Stack, fields: dict[str, str], path: Path, filename: str | None = None
) -> httpx.Response:
    return httpx.post(
        stack.upload_url(),
        data=fields,
        files={"content": (filename or path.name, path.read_bytes(), "application/octet-stream")},
        auth=("api", str(stack.admin_key)),
        timeout=60,
    )


def _nothing_stored(stack: Stack, project: str, filename: str) -> None:
    page = httpx.get(stack.index_url() + normalize(project) + "/")
    assert page.status_code == 404 or filename not in page.text
    file = httpx.get(f"{stack.base_url}/pypi/main/packages/{normalize(project)}/{filename}")
    assert file.status_code == 404


def test_a_wrong_digest_is_refused(stack: Stack, project_name: str, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    reply = _post(stack, _form(project_name, "1.0", wheel, sha256_digest="0" * 64), wheel)
    assert reply.status_code == 400
    assert reply.text.startswith(
        "The digest supplied does not match a digest calculated from the uploaded file."
    )
    _nothing_stored(stack, project_name, wheel.name)


def test_a_filename_for_another_version_is_refused(
    stack: Stack, project_name: str, tmp_path: Path
) -> None:
    sdist = build_sdist(tmp_path, project_name, "1.0")
    reply = _post(stack, _form(project_name, "2.0", sdist), sdist)
    assert reply.status_code == 400
    assert "version" in reply.text.lower()
    assert "\n" not in reply.text.strip()
    _nothing_stored(stack, project_name, sdist.name)


def test_a_filename_for_another_project_is_refused(
    stack: Stack, project_name: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    reply = _post(stack, _form("someone-else", "1.0", wheel), wheel)
    assert reply.status_code == 400
    assert reply.text.strip()
    _nothing_stored(stack, project_name, wheel.name)
    _nothing_stored(stack, "someone-else", wheel.name)


def test_an_oversize_file_is_refused_while_streaming(
    stack: Stack, project_name: str, tmp_path: Path
) -> None:
    # The e2e stack runs with PACKYARD_MAX_UPLOAD_SIZE=2 MB.
    wheel = build_wheel(
        tmp_path, project_name, "1.0", payload="# " + _noise(3_000_000).hex() + "\n"
    )
    reply = _post(stack, _form(project_name, "1.0", wheel), wheel)
    assert reply.status_code == 400
    assert reply.text.startswith("File too large.")
    _nothing_stored(stack, project_name, wheel.name)


@pytest.mark.parametrize("filename", ["x/../../evil-1.0.tar.gz", "evil-1.0.exe"])
def test_bad_filenames_are_refused(
    stack: Stack, project_name: str, tmp_path: Path, filename: str
) -> None:
    sdist = build_sdist(tmp_path, project_name, "1.0")
    reply = _post(stack, _form(project_name, "1.0", sdist), sdist, filename=filename)
    assert reply.status_code == 400
    assert reply.text.strip()
    _nothing_stored(stack, project_name, sdist.name)


def test_json_clients_get_a_json_error(stack: Stack, project_name: str, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, project_name, "1.0")
    reply = httpx.post(
        stack.upload_url(),
        data=_form(project_name, "1.0", wheel, protocol_version="2"),
        files={"content": (wheel.name, wheel.read_bytes(), "application/octet-stream")},
        auth=("api", str(stack.admin_key)),
        headers={"Accept": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["message"] == "Unknown protocol version."


def _noise(size: int) -> bytes:
    # Incompressible, so the wheel really is larger than the limit.
    out = bytearray()
    seed = b"packyard"
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])
