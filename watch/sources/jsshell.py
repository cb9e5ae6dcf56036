"""Whether a page is a JavaScript shell: almost no text in its HTML, scripts, and an empty application root."""

from __future__ import annotations

from typing import Any

import lxml.html
from lxml import etree

# Elements single-page frameworks mount their application in (React, Vue, Next.js, Nuxt, Gatsby, Angular, Svelte).
APP_ROOT_IDS = {"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "application", "main-app", "react-root"}
APP_ROOT_TAGS = {"app-root"}
# Below this many characters of visible text (outside scripts and styles), a page with scripts shows nothing itself.
TINY_TEXT = 200


def javascript_shell(html: str) -> str | None:
    """What shows that the page is built by JavaScript ("an empty <div id="root">, 3 scripts, 40 characters
    of text"), or None when its HTML holds the content itself."""
    try:
        root = lxml.html.document_fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return None
    scripts = root.xpath("count(//script)")
    if not scripts:
        return None
    empty_root = next((element for element in root.iter("div", "main", "section", *APP_ROOT_TAGS)
                       if (element.get("id") in APP_ROOT_IDS or element.tag in APP_ROOT_TAGS
                           or element.get("data-reactroot") is not None)
                       and not _visible_text(element)), None)
    text = _visible_text(root)
    asks_for_js = any("javascript" in (n.text_content() or "").lower() for n in root.iter("noscript"))
    if empty_root is None and len(text) >= TINY_TEXT and not asks_for_js:
        return None
    if empty_root is None and len(text) >= TINY_TEXT * 5:
        return None  # a <noscript> notice on a page full of text: the text is there
    clues = []
    if empty_root is not None:
        name = f' id="{empty_root.get("id")}"' if empty_root.get("id") else ""
        clues.append(f"an empty <{empty_root.tag}{name}>")
    clues.append(f"{int(scripts)} script{'s' if scripts != 1 else ''}")
    clues.append(f"{len(text)} characters of text")
    if asks_for_js:
        clues.append("a <noscript> notice asking for JavaScript")
    return ", ".join(clues)


def _visible_text(element: Any) -> str:
    """The text a reader would see in `element`, scripts and styles left out, spaces collapsed."""
    parts = element.xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
                          " or ancestor::template or ancestor::head)]")
    return " ".join(" ".join(parts).split())
