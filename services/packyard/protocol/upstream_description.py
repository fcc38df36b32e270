"""What a feed says about a project it serves from upstream: summary, description, license,
Requires-Python, dependencies and project URLs.

Taken from the upstream's PyPI-style JSON API (``/pypi/NAME/json``: PyPI, devpi, another
Packyard) when it has one, otherwise from the core metadata (PEP 658 ``METADATA``) of a wheel
the feed cached or backfilled. Pure: bytes and dicts in, one frozen value out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.metadata import parse_email

from packyard.protocol.json_api import latest_version

FROM_JSON = "json"
FROM_METADATA = "metadata"

# Bounds on what is kept of an upstream's text: a page shows it, nothing depends on more.
MAX_DESCRIPTION = 512 * 1024
MAX_FIELD = 4096
MAX_ITEMS = 500


@dataclass(frozen=True, slots=True)
class UpstreamDescription:
    display_name: str = ""
    version: str = ""
    summary: str = ""
    description: str = ""
    description_content_type: str = ""
    license: str = ""
    requires_python: str = ""
    requires_dist: tuple[str, ...] = ()
    project_urls: tuple[tuple[str, str], ...] = ()  # (label, URL)
    source: str = ""  # FROM_JSON or FROM_METADATA


def _text(value: Any, limit: int = MAX_FIELD) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(_text(v) for v in values[:MAX_ITEMS] if isinstance(v, str))


def _urls(values: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(values, Mapping):
        return ()
    pairs = [(_text(k, 200), _text(v)) for k, v in list(values.items())[:MAX_ITEMS]]
    return tuple((label, url) for label, url in pairs if label and url)


def description_from_json(body: bytes) -> UpstreamDescription | None:
    """The ``info`` block of a PyPI JSON API answer; None when the body is not one."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    info = document.get("info") if isinstance(document, dict) else None
    if not isinstance(info, dict):
        return None
    license_text = _text(info.get("license_expression")) or _text(info.get("license"))
    return UpstreamDescription(
        display_name=_text(info.get("name"), 200),
        version=_text(info.get("version"), 200),
        summary=_text(info.get("summary"), 512),
        description=_text(info.get("description"), MAX_DESCRIPTION),
        description_content_type=_text(info.get("description_content_type"), 200),
        license=license_text,
        requires_python=_text(info.get("requires_python"), 200),
        requires_dist=_strings(info.get("requires_dist")),
        project_urls=_urls(info.get("project_urls")),
        source=FROM_JSON,
    )


def description_from_metadata(raw: bytes) -> UpstreamDescription:
    """Core metadata (a wheel's ``METADATA``), read leniently: an upstream's file need not
    pass the checks an upload does, and a page shows what it can."""
    fields, _ = parse_email(raw)
    body = fields.get("description") or ""
    urls = []
    for entry in fields.get("project_urls", {}).items():
        urls.append((entry[0][:200], entry[1][:MAX_FIELD]))
    license_text = fields.get("license_expression") or fields.get("license") or ""
    return UpstreamDescription(
        display_name=fields.get("name", "")[:200],
        version=fields.get("version", "")[:200],
        summary=fields.get("summary", "")[:512],
        description=str(body)[:MAX_DESCRIPTION],
        description_content_type=fields.get("description_content_type", "")[:200],
        license=license_text[:MAX_FIELD],
        requires_python=fields.get("requires_python", "")[:200],
        requires_dist=tuple(d[:MAX_FIELD] for d in fields.get("requires_dist", [])[:MAX_ITEMS]),
        project_urls=tuple(urls[:MAX_ITEMS]),
        source=FROM_METADATA,
    )


def described_versions(versions: Sequence[str], described: str) -> list[str]:
    """The releases a description is shown for: the one it was read from and the latest (the
    JSON API's ``info``; a wheel's METADATA may come from an older release, and the upstream
    JSON API describes only its latest). Other releases stay undescribed rather than wrong."""
    if not versions:
        return []
    shown = [described] if described in versions else []
    latest = latest_version(versions)
    return shown if latest in shown else [*shown, latest]
