"""API hygiene: the protos pass `buf lint` (STANDARD) and `buf breaking` against the released
v1 (protos/released/v1.json); a breaking change makes the step fail."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


@pytest.fixture(scope="module")
def buf() -> str:
    found = os.environ.get("PACKYARD_BUF") or shutil.which("buf")
    if found:
        return found
    if os.environ.get("PACKYARD_CI"):
        pytest.fail("buf is missing: .ci/run installs it (npm package @bufbuild/buf-linux-x64)")
    pytest.skip("buf is not installed (set PACKYARD_BUF or put buf on PATH)")


def _run(buf: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [buf, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_buf_lint_passes(buf: str) -> None:
    result = _run(buf, PROTOS, "lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_buf_breaking_passes_against_the_released_v1(buf: str) -> None:
    result = _run(buf, PROTOS, "breaking", "--against", "released/v1.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_renamed_field_fails_the_breaking_check(buf: str, tmp_path: Path) -> None:
    copy = tmp_path / "protos"
    shutil.copytree(PROTOS, copy)
    metadata = copy / "packyard" / "rpc" / "v1" / "metadata.proto"
    text = metadata.read_text()
    # The first request field named feed (a v1 caller sets it by that name) is renamed.
    renamed = text.replace("string feed = 1;", "string feed_name = 1;", 1)
    assert renamed != text
    metadata.write_text(renamed)
    result = _run(buf, copy, "breaking", "--against", "released/v1.json")
    assert result.returncode != 0
    assert 'changed name from "feed" to "feed_name"' in result.stdout
