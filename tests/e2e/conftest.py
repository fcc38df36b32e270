"""The whole stack on loopback for end-to-end tests, on the session's engines.

One stack serves the whole e2e layer (starting four services takes seconds); tests isolate
themselves by project names of their own, made unique per test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from packyard.up import Stack

from tests.fixtures.engines import Engines, isolated_stack_env

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A client installed next to the test interpreter (pip, twine, uv)."""
    found = BIN / name
    if found.exists():
        return str(found)
    on_path = shutil.which(name)
    if on_path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return on_path


@pytest.fixture(scope="session")
def stack(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        **isolated_stack_env(engines, "e2e"),
        "PACKYARD_MAX_UPLOAD_SIZE": str(2 * 1000 * 1000),
        # Webhook receivers of the tests listen on loopback.
        "PACKYARD_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    running = Stack(tmp_path_factory.mktemp("stack"), env=env, durable=False)
    running.start_sync()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def project_name() -> str:
    """A project name no other test uses, in a non-normalized spelling."""
    return f"Demo_Pkg.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client_env(tmp_path: Path) -> dict[str, str]:
    """Environment for pip/uv/twine: no user config, no cache shared between tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "TWINE_"))}
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
            "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
            "UV_NO_CONFIG": "1",
            "HOME": str(tmp_path / "home"),
        }
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
