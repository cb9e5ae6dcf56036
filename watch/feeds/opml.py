"""OPML subscription lists: read with listparser, write OPML 2.0 that feed readers import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from xml.etree import ElementTree

import listparser
from lxml import etree

from ..errors import ParseError
from ..records import Source
from ..text.textsafe import one_line

__all__ = ["OpmlFeed", "read_opml", "write_opml"]


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of an OPML file."""

    title: str
    url: str
    html_url: str = ""
    categories: tuple[str, ...] = ()  # "Folder/Subfolder" paths and `category` attribute values, in order


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Feeds listed in an OPML document; ParseError when it is not OPML or lists no feed."""
    tree, well_formed = _xml_tree(data)
    # A broken file goes to listparser as is: its own recovery keeps more (a bare '&', say).
    result = listparser.parse(_as_utf8(tree) if well_formed and tree is not None else data)
    if not result.get("version", "").startswith("opml"):
        raise ParseError("not an OPML file (no <opml> root element); export the subscriptions of a feed "
                         "reader as OPML and try again")
    html_urls = _html_urls(tree)
    feeds = [OpmlFeed(title=one_line(feed.get("title")), url=feed["url"],
                      html_url=html_urls.get(feed["url"], ""),
                      categories=_categories(feed.get("categories", [])))
             for feed in result.get("feeds", [])]
    if not feeds:
        raise ParseError("the OPML file lists no feeds (no <outline> with an xmlUrl attribute)")
    return feeds


def write_opml(sources: Sequence[Source], title: str) -> str:
    """An OPML 2.0 document listing the sources; each source's tags become its `category` attribute."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = formatdate(usegmt=True)  # OPML wants RFC 822
    body = ElementTree.SubElement(root, "body")
    for source in sources:
        attributes = {"type": "rss", "text": source.name, "title": source.name, "xmlUrl": source.url}
        if source.tags:
            attributes["category"] = ",".join(source.tags)
        ElementTree.SubElement(body, "outline", attributes)
    ElementTree.indent(root)
    # ElementTree escapes &, <, > and quotes in attributes, and newlines as &#10;.
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _xml_tree(data: bytes) -> tuple[etree._Element | None, bool]:
    """The document parsed as XML (forgiving, or None when not even that works), and whether it was well formed."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None, False
    return tree, not parser.error_log.filter_from_errors()


def _categories(paths: list[list[str]]) -> tuple[str, ...]:
    # An outline nested under a feed outline gets an empty path level from listparser: drop it.
    joined = ("/".join(part for part in path if part) for path in paths)
    return tuple(category for category in joined if category)


def _as_utf8(tree: etree._Element) -> bytes:
    """The document as UTF-8 with a declaration saying so.

    listparser reads through lxml's HTML parser, which decodes by the XML declaration only when it
    says UTF-8: a Latin-1 file, or a UTF-8 one without a declaration (the XML default), would lose
    its accents. The XML parser honours the declaration, so its re-serialisation is what listparser gets.
    """
    return etree.tostring(tree.getroottree(), encoding="UTF-8", xml_declaration=True)


def _html_urls(tree: etree._Element | None) -> dict[str, str]:
    """xmlUrl -> htmlUrl: listparser keeps htmlUrl only for outlines that have no xmlUrl."""
    found: dict[str, str] = {}
    if tree is None:
        return found
    for outline in tree.iter(etree.Element):
        if etree.QName(outline).localname.lower() != "outline":
            continue
        attributes = {str(key).lower(): value for key, value in outline.attrib.items()}
        url, html = attributes.get("xmlurl", "").strip(), attributes.get("htmlurl", "").strip()
        if url and html:
            found.setdefault(url, html)
    return found
