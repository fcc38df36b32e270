"""The committed gRPC stubs of the client distribution (clients/python, packyard_rpc.v1) are
exactly what scripts/gen_protos.py makes from protos/."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "clients" / "python" / "src" / "packyard_rpc" / "v1"


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "scripts" / "gen_protos.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_protos(tmp_path: Path) -> None:
    _load_generator().generate(tmp_path)
    fresh_files = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    committed_files = sorted(
        p.name for p in COMMITTED.iterdir() if p.is_file() and p.suffix in {".py", ".pyi"}
    )
    assert fresh_files == committed_files, "run: python scripts/gen_protos.py"
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, COMMITTED, fresh_files, shallow=False)
    assert not mismatch and not errors, f"stale stubs {mismatch}: run python scripts/gen_protos.py"


def test_every_proto_has_stubs() -> None:
    protos = sorted(p.stem for p in (ROOT / "protos" / "packyard" / "rpc" / "v1").glob("*.proto"))
    for stem in protos:
        assert (COMMITTED / f"{stem}_pb2.py").exists()
        assert (COMMITTED / f"{stem}_pb2_grpc.py").exists()


def test_generated_modules_import_each_other_from_the_client_package() -> None:
    for path in COMMITTED.glob("*.py*"):
        assert "from packyard.rpc" not in path.read_text(), path.name
