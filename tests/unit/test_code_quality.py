"""The house rules that tools can check: ruff and mypy stay clean, imports flow one way."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "services" / "packyard"
SERVICES = {"gateway", "metadata", "blob", "connector"}


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return which


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [_tool("mypy"), "--no-incremental"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_packyard_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("packyard."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("packyard."))
    return found


@pytest.mark.parametrize("layer", ["protocol", "common"])
def test_protocol_and_common_import_no_service(layer: str) -> None:
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in _imported_packyard_modules(path):
            assert module.split(".")[1] not in SERVICES, f"{path} imports {module}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_services_talk_to_each_other_only_through_stubs(service: str) -> None:
    others = SERVICES - {service}
    for path in (PACKAGE / service).rglob("*.py"):
        for module in _imported_packyard_modules(path):
            assert module.split(".")[1] not in others, f"{path} imports {module}"
