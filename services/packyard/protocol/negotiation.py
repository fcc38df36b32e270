"""PEP 691 content negotiation for the simple API: ``Accept`` (and ``?format=``) -> format.

Rules (SPEC "Version + Format Selection"): order in ``Accept`` is meaningless, q-values
(0-1, default 1) set priority, q=0 means "not acceptable", no header means ``*/*``, and the
``latest`` meta-version maps to the concrete ``v1`` type. Each offer takes the q-value of the
most specific range that matches it (RFC 9110 §12.5.1).

Ties at equal q: an offer named explicitly beats one only reached through a wildcard; among
explicit offers JSON wins (it carries PEP 700 ``upload-time``/``size`` that HTML cannot), and
among wildcard matches HTML wins, so ``*/*`` and a missing header keep Warehouse's
``text/html`` default (hatch scrapes HTML and sends no ``Accept``).
"""

from __future__ import annotations

from enum import Enum


class SimpleFormat(Enum):
    HTML = "text/html"
    HTML_V1 = "application/vnd.pypi.simple.v1+html"
    JSON_V1 = "application/vnd.pypi.simple.v1+json"

    @property
    def content_type(self) -> str:
        return self.value

    @property
    def is_json(self) -> bool:
        return self is SimpleFormat.JSON_V1


# Specificity ranks of a matching media range (higher wins).
_EXACT = 3
_LATEST = 2
_TYPE_WILDCARD = 1
_FULL_WILDCARD = 0

_LATEST_ALIASES = {
    "application/vnd.pypi.simple.latest+json": SimpleFormat.JSON_V1,
    "application/vnd.pypi.simple.latest+html": SimpleFormat.HTML_V1,
}
# Tie-break preferences (lower is preferred).
_EXPLICIT_PREFERENCE = {SimpleFormat.JSON_V1: 0, SimpleFormat.HTML_V1: 1, SimpleFormat.HTML: 2}
_WILDCARD_PREFERENCE = {SimpleFormat.HTML: 0, SimpleFormat.HTML_V1: 1, SimpleFormat.JSON_V1: 2}


def _parse_q(params: list[str]) -> float | None:
    """The q parameter (default 1); None when it is malformed or out of range."""
    for param in params:
        key, sep, value = param.partition("=")
        if sep and key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


def _parse_accept(header: str) -> list[tuple[str, float]]:
    """``(media-range, q)`` pairs; malformed members are skipped, as lenient servers do."""
    ranges: list[tuple[str, float]] = []
    for member in header.split(","):
        media, *params = member.split(";")
        media = media.strip().lower()
        if media.count("/") != 1 or media.startswith("/") or media.endswith("/"):
            continue
        q = _parse_q(params)
        if q is not None:
            ranges.append((media, q))
    return ranges


def _match(media: str, fmt: SimpleFormat) -> int | None:
    if media == fmt.value:
        return _EXACT
    if _LATEST_ALIASES.get(media) is fmt:
        return _LATEST
    if media == "*/*":
        return _FULL_WILDCARD
    major, _, minor = media.partition("/")
    if minor == "*" and fmt.value.startswith(major + "/"):
        return _TYPE_WILDCARD
    return None


def _format_from_param(value: str) -> SimpleFormat | None:
    media = value.split(";", 1)[0].strip().lower()
    for fmt in SimpleFormat:
        if fmt.value == media:
            return fmt
    return _LATEST_ALIASES.get(media)


def select_simple_format(
    accept: str | None, format_param: str | None = None
) -> SimpleFormat | None:
    """The format to answer with, or None when nothing offered is acceptable (answer 406)."""
    if format_param:
        return _format_from_param(format_param)
    if accept is None or not accept.strip():
        return SimpleFormat.HTML
    ranges = _parse_accept(accept)
    if not ranges:
        # A header we cannot read at all is treated as absent (WebOb does the same).
        return SimpleFormat.HTML

    best: tuple[float, int, int] | None = None
    chosen: SimpleFormat | None = None
    for fmt in SimpleFormat:
        rank = -1
        q = 0.0
        for media, media_q in ranges:
            specificity = _match(media, fmt)
            # The most specific range decides; among equally specific ones, the highest q.
            if specificity is not None and (
                specificity > rank or (specificity == rank and media_q > q)
            ):
                rank, q = specificity, media_q
        if rank < 0 or q <= 0.0:
            continue
        explicit = rank >= _LATEST
        preference = (_EXPLICIT_PREFERENCE if explicit else _WILDCARD_PREFERENCE)[fmt]
        key = (q, 1 if explicit else 0, -preference)
        if best is None or key > best:
            best, chosen = key, fmt
    return chosen
