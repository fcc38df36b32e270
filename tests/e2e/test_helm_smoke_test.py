"""The chart's `helm test` script (helm/packyard/files/smoke_test.py) passes against a stack.

The script runs in the cluster with nothing but the image's Python; here it runs with this
interpreter against the e2e stack, with and without an administrator's key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from packyard.up import Stack

SCRIPT = Path(__file__).resolve().parents[2] / "helm" / "packyard" / "files" / "smoke_test.py"


def smoke(stack: Stack, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HELM_TEST_GATEWAY_URL": stack.base_url, "HELM_TEST_FEED": "helm-smoke"}
    if key is not None:
        env["HELM_TEST_API_KEY"] = key
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )


def test_smoke_test_uploads_and_downloads_with_an_admin_key_twice(stack: Stack) -> None:
    for _ in range(2):  # the second run finds the feed it created
        result = smoke(stack, str(stack.admin_key))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "sha256 matches" in result.stdout


def test_smoke_test_checks_readiness_only_without_a_key(stack: Stack) -> None:
    result = smoke(stack, None)
    assert result.returncode == 0, result.stderr
    assert "GET /readyz: 200" in result.stdout and "uploaded" not in result.stdout


def test_smoke_test_fails_on_a_wrong_key(stack: Stack) -> None:
    result = smoke(stack, "pky_not-a-key")
    assert result.returncode != 0
