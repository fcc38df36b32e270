"""Rendering a release's long description, and Warehouse's rule that it must render.

PyPI refuses an upload whose reStructuredText description does not render (its page would show
raw markup); Packyard keeps the same contract. Markdown and plain text always render.
"""

from __future__ import annotations

import warnings

from readme_renderer import markdown, rst, txt

from packyard.common.errors import InvalidArgument

RST = "text/x-rst"


def parse_content_type(description_content_type: str) -> tuple[str, str]:
    """(media type, markdown variant) from a Description-Content-Type value."""
    media, _, params = description_content_type.partition(";")
    variant = "GFM"
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "variant" and value.strip():
            variant = value.strip()
    return media.strip().lower(), variant


def render_description(raw: str, description_content_type: str = "") -> str | None:
    """HTML (as readme_renderer makes it), or None when the description does not render."""
    media, variant = parse_content_type(description_content_type)
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


def check_description_renders(raw: str | None, description_content_type: str | None) -> None:
    if not raw or not raw.strip():
        return
    if render_description(raw, description_content_type or "") is None:
        media = parse_content_type(description_content_type or "")[0] or RST
        raise InvalidArgument(
            f"The description failed to render for '{media}'. "
            "See https://pypi.org/help/#description-content-type for more information."
        )
