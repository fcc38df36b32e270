"""A release's long description as safe HTML, the way PyPI shows it (readme_renderer).

readme_renderer already sanitizes with nh3; the result goes through nh3 once more with our
own rules so nothing executable reaches the page whatever the renderer version does: no
script or style elements, no event-handler attributes, only http, https and mailto links.
The page's CSP (no inline script) is the second line of defence.
"""

from __future__ import annotations

import warnings

import nh3
from markupsafe import Markup
from readme_renderer import clean as rr_clean
from readme_renderer import markdown, rst, txt

_URL_SCHEMES = {"http", "https", "mailto"}
_TAGS = set(rr_clean.ALLOWED_TAGS)
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in rr_clean.ALLOWED_ATTRIBUTES.items()}


def _content_type(description_content_type: str) -> tuple[str, str]:
    """(media type, markdown variant) from a Description-Content-Type header value."""
    media, _, params = description_content_type.partition(";")
    variant = "GFM"
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "variant" and value.strip():
            variant = value.strip()
    return media.strip().lower(), variant


def _render(raw: str, description_content_type: str) -> str | None:
    media, variant = _content_type(description_content_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if media == "text/markdown":
            return markdown.render(
                raw, variant=variant if variant in ("GFM", "CommonMark") else "GFM"
            )
        if media == "text/plain":
            return txt.render(raw)
        # PyPI's default when no type is given is reStructuredText.
        return rst.render(raw)


def render_readme(raw: str, description_content_type: str = "") -> Markup:
    """Sanitized HTML for the description; plain escaped text when it does not render."""
    if not raw.strip():
        return Markup("")
    html = _render(raw, description_content_type)
    if html is None:
        html = txt.render(raw) or ""
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(cleaned)
