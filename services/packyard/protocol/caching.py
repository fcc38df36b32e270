"""Strong ETags for rendered pages and the ``If-None-Match`` check that yields a 304."""

from __future__ import annotations

import hashlib
import re

_ETAG_RE = re.compile(r'(?:W/)?"([^"]*)"')
_ETAG_HEX_CHARS = 32


def etag_for(*parts: object) -> str:
    """A quoted strong ETag derived from ``parts`` (e.g. project, serial, format, version).

    Each part is length-prefixed so ``("ab", "c")`` and ``("a", "bc")`` differ.
    """
    digest = hashlib.sha256()
    for part in parts:
        encoded = str(part).encode("utf-8", "surrogatepass")
        digest.update(f"{len(encoded)}:".encode())
        digest.update(encoded)
    return f'"{digest.hexdigest()[:_ETAG_HEX_CHARS]}"'


def _opaque(tag: str) -> str | None:
    match = _ETAG_RE.fullmatch(tag.strip())
    return match.group(1) if match else None


def if_none_match_matches(header: str | None, etag: str) -> bool:
    """True when ``If-None-Match`` names ``etag`` (or is ``*``): answer 304.

    RFC 9110 §13.1.2 uses weak comparison here, so ``W/`` prefixes on either side are ignored.
    """
    if not header:
        return False
    if header.strip() == "*":
        return True
    mine = _opaque(etag)
    if mine is None:
        return False
    return any(opaque == mine for opaque in _ETAG_RE.findall(header))
