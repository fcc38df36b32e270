"""RSS 2.0 documents of new releases, shaped like PyPI's (/rss/updates.xml and
/rss/project/NAME/releases.xml). ElementTree escapes every value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree


@dataclass(frozen=True)
class RssItem:
    title: str
    link: str
    description: str
    published: datetime | None
    author: str = ""


def render_rss(title: str, link: str, description: str, items: list[RssItem]) -> bytes:
    rss = ElementTree.Element("rss", version="2.0")
    channel = ElementTree.SubElement(rss, "channel")
    for tag, text in (("title", title), ("link", link), ("description", description)):
        ElementTree.SubElement(channel, tag).text = text
    ElementTree.SubElement(channel, "language").text = "en"
    for item in items:
        entry = ElementTree.SubElement(channel, "item")
        ElementTree.SubElement(entry, "title").text = item.title
        ElementTree.SubElement(entry, "link").text = item.link
        ElementTree.SubElement(entry, "guid", isPermaLink="true").text = item.link
        ElementTree.SubElement(entry, "description").text = item.description
        if item.author:
            ElementTree.SubElement(entry, "author").text = item.author
        if item.published is not None:
            ElementTree.SubElement(entry, "pubDate").text = format_datetime(
                item.published, usegmt=True
            )
    body: bytes = ElementTree.tostring(rss, encoding="utf-8", xml_declaration=True)
    return body
