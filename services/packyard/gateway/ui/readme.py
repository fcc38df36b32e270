"""A release's long description as safe HTML, the way PyPI shows it (readme_renderer).

readme_renderer already sanitizes with nh3; the result goes through nh3 once more with our
own rules so nothing executable reaches the page whatever the renderer version does: no
script or style elements, no event-handler attributes, only http, https and mailto links.
The page's CSP (no inline script) is the second line of defence.
"""

from __future__ import annotations

import nh3
from markupsafe import Markup
from readme_renderer import clean as rr_clean
from readme_renderer import txt

from packyard.protocol.description import render_description

_URL_SCHEMES = {"http", "https", "mailto"}
_TAGS = set(rr_clean.ALLOWED_TAGS)
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in rr_clean.ALLOWED_ATTRIBUTES.items()}


def render_readme(raw: str, description_content_type: str = "") -> Markup:
    """Sanitized HTML for the description; plain escaped text when it does not render."""
    if not raw.strip():
        return Markup("")
    html = render_description(raw, description_content_type)
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
