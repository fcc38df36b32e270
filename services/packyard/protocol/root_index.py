"""The project names of an index's root page (``/simple/``): PEP 691 JSON
(``{"projects": [{"name": ...}]}``) or PEP 503 HTML (one anchor per project).

Pure and lenient: a name that is not a valid project name is skipped, every other one is
returned normalized, each once. PyPI's root page lists ~600,000 names (tens of MB of HTML),
so the HTML is read with a regular expression over anchors, not a DOM.
"""

from __future__ import annotations

import html
import json
import re

from packaging.utils import canonicalize_name

from packyard.protocol.upstream_parse import UpstreamParseError, is_json

# A valid project name (PEP 508), before normalization.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_ANCHOR_TEXT = re.compile(r"<a\b[^>]*>([^<]*)</a\s*>", re.IGNORECASE)


def _valid(names: list[str]) -> list[str]:
    found = {canonicalize_name(n) for n in (n.strip() for n in names) if _NAME.match(n)}
    return sorted(found)


def parse_root_index(body: bytes, content_type: str) -> list[str]:
    """Normalized project names of a root index page, sorted; raises UpstreamParseError when
    the page is neither form."""
    if is_json(content_type):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise UpstreamParseError(f"invalid JSON root index: {exc}") from None
        projects = document.get("projects") if isinstance(document, dict) else None
        if not isinstance(projects, list):
            raise UpstreamParseError("a JSON root index needs a 'projects' list")
        return _valid(
            [p["name"] for p in projects if isinstance(p, dict) and isinstance(p.get("name"), str)]
        )
    text = body.decode("utf-8", errors="replace")
    return _valid([html.unescape(m) for m in _ANCHOR_TEXT.findall(text)])
