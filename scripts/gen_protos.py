#!/usr/bin/env python3
"""Regenerate the gRPC stubs in services/packyard/rpc/v1/ from protos/.

Because the .proto files live under protos/packyard/rpc/v1/, the generated imports come out
as ``from packyard.rpc.v1 import common_pb2`` with no rewriting.

Usage: python scripts/gen_protos.py [OUT_DIR]   (OUT_DIR defaults to services/)
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"


def generate(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = str(resources.files("grpc_tools") / "_proto")
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    args = [
        "protoc",
        f"-I{PROTOS}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    init = out_dir / "packyard" / "rpc" / "v1" / "__init__.py"
    init.write_text('"""Generated gRPC stubs (scripts/gen_protos.py). Do not edit."""\n')


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "services")
