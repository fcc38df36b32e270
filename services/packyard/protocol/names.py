"""Project names: PEP 503 normalization, Warehouse's validity rule, and the wheel filename form."""

from __future__ import annotations

import re

from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["NormalizedName", "is_valid_project_name", "normalize", "wheel_name"]

# Warehouse's PROJECT_NAME_RE (forklift): ASCII letters/digits, separators only inside.
_PROJECT_NAME_RE = re.compile(
    r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE | re.ASCII
)


def normalize(name: str) -> NormalizedName:
    """PEP 503 form: runs of ``-_.`` become one ``-``, lowercased."""
    return canonicalize_name(name)


def is_valid_project_name(name: str) -> bool:
    return _PROJECT_NAME_RE.match(name) is not None


def wheel_name(name: str) -> str:
    """The name component of PEP 427/625 filenames: normalized, with ``_`` for ``-``."""
    return normalize(name).replace("-", "_")
