"""An upstream index as a connector reaches it: the fields both its owner and its user read.

The metadata service stores connectors (with their credentials and creation time); the
connector service fetches from them (with the credentials it was given). Each extends this
record with what only it holds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UpstreamIndex:
    id: str
    feed: str
    url: str
    simple_path: str = "/simple"
    priority: int = 100  # lower is consulted first
    ttl_seconds: int = 1800  # how long a project listing stays fresh
    include: tuple[str, ...] = ()  # fnmatch patterns on normalized names; none: every name
    exclude: tuple[str, ...] = ()
    file_hosts: tuple[str, ...] = ()  # hosts besides the index's own that may serve files
    name_list: bool = False  # keep the upstream's whole project-name list for search
    # Keep only files for these Python versions ("3.12") / platform tag patterns (file_filters).
    python_versions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
