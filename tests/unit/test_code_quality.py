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


def test_common_hides_no_import_inside_a_function() -> None:
    """An import inside a function is how a cycle hides (telemetry <-> metrics <-> grpc_tracing
    did): every packyard import of common/ is at module level, so a cycle fails at import."""
    for path in (PACKAGE / "common").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                        "packyard."
                    ):
                        raise AssertionError(f"{path}:{inner.lineno} imports {inner.module}")


def test_protocol_modules_load_no_grpc() -> None:
    """Protocol code is pure: importing every module of it (and what it imports, such as the
    error table) loads neither gRPC nor the generated stubs."""
    modules = sorted(p.stem for p in (PACKAGE / "protocol").glob("*.py") if p.stem != "__init__")
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('packyard.protocol.' + name)\n"
        "print(sorted(m for m in sys.modules if m == 'grpc' or m.startswith(('grpc.', "
        "'packyard_rpc'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]", loaded


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_services_talk_to_each_other_only_through_stubs(service: str) -> None:
    others = SERVICES - {service}
    for path in (PACKAGE / service).rglob("*.py"):
        for module in _imported_packyard_modules(path):
            assert module.split(".")[1] not in others, f"{path} imports {module}"


METADATA = PACKAGE / "metadata"
METADATA_DOMAINS = sorted(p.name for p in METADATA.iterdir() if (p / "__init__.py").exists())
# What every domain shares; like a domain, it sees the others only through their interfaces.
METADATA_SHARED = ("audit.py", "db.py", "pb_common.py", "settings.py")


def _imported_names(path: Path) -> set[str]:
    """Every packyard name a module imports, as a dotted path (``from a.b import c`` is a.b.c)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("packyard."):
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("packyard."))
    return found


def _reaches_past_interface(name: str, own_domain: str | None) -> bool:
    parts = name.split(".")
    if parts[:2] != ["packyard", "metadata"] or len(parts) < 4:
        return False
    domain = parts[2]
    return domain in METADATA_DOMAINS and domain != own_domain and parts[3] != "interface"


def test_the_metadata_domains_are_the_four_folders() -> None:
    assert METADATA_DOMAINS == [
        "access", "advisories", "catalog", "gc", "index", "outbox", "promotion", "provenance",
        "retention", "upstream", "webhooks",
    ]  # fmt: skip


@pytest.mark.parametrize("domain", METADATA_DOMAINS)
def test_metadata_domains_import_each_other_only_through_their_interface(domain: str) -> None:
    for path in (METADATA / domain).rglob("*.py"):
        for name in _imported_names(path):
            assert not _reaches_past_interface(name, domain), f"{path} imports {name}"


def test_metadata_shared_modules_import_domains_only_through_their_interface() -> None:
    for filename in METADATA_SHARED:
        for name in _imported_names(METADATA / filename):
            assert not _reaches_past_interface(name, None), f"{filename} imports {name}"


def test_the_interface_check_catches_a_reach_past_it() -> None:
    assert _reaches_past_interface("packyard.metadata.index.repository.get_feed", "access")
    assert _reaches_past_interface("packyard.metadata.access.models", "index")
    assert not _reaches_past_interface("packyard.metadata.index.interface.feed_exists", "access")
    assert not _reaches_past_interface("packyard.metadata.access.interface", "index")
    assert not _reaches_past_interface("packyard.metadata.index.models.Feed", "index")
    assert not _reaches_past_interface("packyard.metadata.db.connection", "index")


GATEWAY = PACKAGE / "gateway"
# The gateway's areas, and which other areas each may import: the web UI shows what a feed
# offers (pypi/offer.py, pypi/pages.py) and its admin pages call the admin API's own routes
# (the same rights and audit); pip's protocol and the admin API need nothing of the UI or of
# each other.
GATEWAY_AREAS: dict[str, set[str]] = {"pypi": set(), "admin": set(), "ui": {"pypi", "admin"}}


def test_grpc_errors_are_handled_only_in_the_gateways_client_layer() -> None:
    for path in GATEWAY.rglob("*.py"):
        if path.parent.name == "clients":
            continue
        text = path.read_text()
        for word in ("AioRpcError", "StatusCode"):
            assert word not in text, f"{path} handles gRPC statuses ({word}): use gateway/clients/"


@pytest.mark.parametrize("area", sorted(GATEWAY_AREAS))
def test_gateway_areas_import_each_other_only_where_allowed(area: str) -> None:
    forbidden = set(GATEWAY_AREAS) - GATEWAY_AREAS[area] - {area}
    for path in (GATEWAY / area).rglob("*.py"):
        for module in _imported_packyard_modules(path):
            parts = module.split(".")
            if parts[1] == "gateway" and len(parts) > 2:
                assert parts[2] not in forbidden, f"{path} imports {module}"


def test_gateway_shared_modules_import_no_area() -> None:
    """Only the app wires the areas in; the shared pieces (clients, auth, page cache, downloads
    …) serve every area and so depend on none."""
    for path in GATEWAY.rglob("*.py"):
        relative = path.relative_to(GATEWAY)
        if relative.parts[0] in GATEWAY_AREAS or relative == Path("app.py"):
            continue
        for module in _imported_packyard_modules(path):
            parts = module.split(".")
            if parts[1] == "gateway" and len(parts) > 2:
                assert parts[2] not in GATEWAY_AREAS, f"{path} imports {module}"
