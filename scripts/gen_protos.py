#!/usr/bin/env python3
"""Regenerate the gRPC stubs of the client distribution (clients/python, import name
``packyard_rpc.v1``) from protos/.

The .proto files keep their path, packyard/rpc/v1/, so the wire names (``packyard.rpc.v1.*``)
and the descriptor pool's file names stay what v1 released; only the Python import of one
generated module by another is moved from ``packyard.rpc.v1`` to ``packyard_rpc.v1``, the
package the client distribution installs (the server distribution depends on it).

Usage: python scripts/gen_protos.py [OUT_DIR]
       (OUT_DIR, the v1 package folder, defaults to clients/python/src/packyard_rpc/v1/)
"""

from __future__ import annotations

import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
STUBS = ROOT / "clients" / "python" / "src" / "packyard_rpc" / "v1"
# A generated module imports its siblings as ``from packyard.rpc.v1 import x_pb2``.
_SIBLING_IMPORT = re.compile(r"^from packyard\.rpc\.v1 import ", re.M)


def generate(out_dir: Path = STUBS) -> None:
    """Write every proto's ``*_pb2.py``, ``*_pb2.pyi`` and ``*_pb2_grpc.py`` into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = str(resources.files("grpc_tools") / "_proto")
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.glob("packyard/**/*.proto"))
    with tempfile.TemporaryDirectory() as scratch:
        args = [
            "protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={scratch}",
            f"--pyi_out={scratch}",
            f"--grpc_python_out={scratch}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        for old in out_dir.glob("*_pb2*.py*"):
            old.unlink()
        for made in sorted((Path(scratch) / "packyard" / "rpc" / "v1").iterdir()):
            text = _SIBLING_IMPORT.sub("from packyard_rpc.v1 import ", made.read_text())
            (out_dir / made.name).write_text(text)
    (out_dir / "__init__.py").write_text(
        '"""Generated gRPC stubs (scripts/gen_protos.py). Do not edit."""\n'
    )


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else STUBS)
