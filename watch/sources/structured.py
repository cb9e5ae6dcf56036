"""Articles a listing page states as data: JSON-LD, schema.org microdata, h-entry microformats, Next.js, Nuxt."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from .listed import ListedArticle, parse_date

ARTICLE_TYPES = {"article", "blogposting", "newsarticle", "techarticle", "report", "scholarlyarticle",
                 "posting", "socialmediaposting", "listitem"}
TITLE_KEYS = ("title", "headline", "name")
URL_KEYS = ("url", "href", "permalink", "link", "path", "slug")
DATE_KEYS = ("datePublished", "publishedAt", "published_at", "publishDate", "publishedDate", "date", "createdAt",
             "created_at", "pubDate")
# Nuxt 3 serialises its state with devalue: a flat array whose members point at each other by index.
NUXT_SPECIAL = {-1: None, -2: None, -3: None, -4: None, -5: None, -6: 0}
NUXT_ASSIGNMENT = re.compile(r"^\s*window\.__NUXT__\s*=\s*")
MAX_DEPTH = 200


def json_ld_articles(root: Any, base: str) -> Iterator[ListedArticle]:
    """The articles the page's JSON-LD blocks describe (BlogPosting, NewsArticle, ItemList members...)."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower().strip() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
            continue
        yield from _ld_articles(data, base, 0)


def _ld_articles(node: Any, base: str, depth: int) -> Iterator[ListedArticle]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from _ld_articles(item, base, depth + 1)
        return
    if not isinstance(node, dict):
        return
    types = node.get("@type")
    types = {str(t).lower() for t in (types if isinstance(types, list) else [types]) if t}
    if types & ARTICLE_TYPES:
        item = node.get("item") if isinstance(node.get("item"), dict) else node
        url = item.get("url") or item.get("@id") or node.get("url")
        title = item.get("headline") or item.get("name") or node.get("name")
        if isinstance(url, str) and isinstance(title, str):
            published = item.get("datePublished") or item.get("dateCreated")
            yield ListedArticle(urljoin(base, url.strip()), " ".join(title.split()),
                                parse_date(published) if isinstance(published, str) else None)
    for key, value in node.items():
        if key != "item" and isinstance(value, (list, dict)):
            yield from _ld_articles(value, base, depth + 1)


# --- microdata and microformats ---------------------------------------------------------------------------

def microdata_articles(root: Any, base: str) -> Iterator[ListedArticle]:
    """The schema.org items of an article type marked up with itemscope/itemprop (not a breadcrumb's steps)."""
    for element in root.xpath("//*[@itemscope][@itemtype]"):
        if not _schema_types(element) & ARTICLE_TYPES or _in_breadcrumb(element):
            continue
        props = _item_props(element)
        url = _prop_value(_first_of(props, "url", "mainentityofpage"), "url") \
            or (element.get("href") if element.tag == "a" else None)
        title = _prop_value(_first_of(props, "headline", "name"), "text")
        if not url or not title:
            continue
        when = _prop_value(_first_of(props, "datepublished", "datecreated"), "date")
        yield ListedArticle(urljoin(base, url.strip()), title, parse_date(when) if when else None)


def _schema_types(element: Any) -> set[str]:
    return {t.rstrip("/").rsplit("/", 1)[-1].lower() for t in (element.get("itemtype") or "").split()}


def _in_breadcrumb(element: Any) -> bool:
    return any(a.get("itemscope") is not None and "breadcrumblist" in _schema_types(a)
               for a in element.iterancestors())


def _item_props(item: Any) -> dict[str, Any]:
    """An item's own properties: the first element naming each, not those of items nested in it."""
    props: dict[str, Any] = {}
    stack = list(item)
    while stack:
        element = stack.pop(0)
        if not isinstance(element.tag, str):
            continue
        for name in (element.get("itemprop") or "").lower().split():
            props.setdefault(name, element)
        if element.get("itemscope") is None:
            stack[:0] = list(element)
    return props


def _first_of(props: dict[str, Any], *names: str) -> Any:
    return next((props[name] for name in names if name in props), None)


def _prop_value(element: Any, kind: str) -> str | None:
    """A property's value: its content, else the attribute its kind is held in (href, datetime), else its text."""
    if element is None:
        return None
    attributes = {"url": ("content", "href", "src"), "date": ("content", "datetime")}.get(kind, ("content",))
    for name in attributes:
        value = element.get(name)
        if value and value.strip():
            return " ".join(value.split())
    if kind == "url":
        link = next(iter(element.iter("a")), None)
        return link.get("href") if link is not None and link.get("href") else None
    return " ".join(element.text_content().split()) or None


def h_entry_articles(root: Any, base: str) -> Iterator[ListedArticle]:
    """The microformats2 h-entry posts: p-name, u-url and dt-published (with the implied name and url)."""
    for entry in root.xpath("//*[contains(concat(' ', normalize-space(@class), ' '), ' h-entry ')]"):
        name = _mf_first(entry, "p-name")
        link = _mf_first(entry, "u-url")
        url = (link.get("href") if link is not None else None) or next(
            (a.get("href") for a in entry.iter("a") if a.get("href")), None)
        if name is not None:
            title = " ".join(name.text_content().split())
        else:
            heading = next(iter(entry.iter("h1", "h2", "h3", "h4")), None)
            title = " ".join(heading.text_content().split()) if heading is not None else ""
        when = _mf_first(entry, "dt-published")
        published = None
        if when is not None:
            published = parse_date(when.get("datetime") or "") or parse_date(when.text_content())
        if url and title:
            yield ListedArticle(urljoin(base, url.strip()), title, published)


def _mf_first(entry: Any, name: str) -> Any:
    """The first element of `entry` with class `name` that is not inside an entry nested in it."""
    for element in entry.iterdescendants():
        if isinstance(element.tag, str) and name in (element.get("class") or "").split():
            nested = next((a for a in element.iterancestors()
                           if a is entry or {"h-entry", "h-cite"} & set((a.get("class") or "").split())), None)
            if nested is entry:
                return element
    return None


# --- application state ------------------------------------------------------------------------------------

def next_data_articles(root: Any, base: str) -> Iterator[ListedArticle]:
    """The longest list of posts in the Next.js page data (<script id="__NEXT_DATA__">)."""
    for script in root.iter("script"):
        if script.get("id") != "__NEXT_DATA__" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (ValueError, RecursionError):
            continue
        yield from _longest_list(data, base)


def nuxt_articles(root: Any, base: str) -> Iterator[ListedArticle]:
    """The longest list of posts in the Nuxt state: Nuxt 3's __NUXT_DATA__, or window.__NUXT__ when it is JSON."""
    for script in root.iter("script"):
        text = script.text or ""
        if script.get("id") == "__NUXT_DATA__":
            try:
                flat = json.loads(text)
            except (ValueError, RecursionError):
                continue
            yield from _longest_list(unflatten(flat) if isinstance(flat, list) else flat, base)
        elif NUXT_ASSIGNMENT.match(text):
            # Nuxt 2 writes a JavaScript function call here; only a plain JSON object literal is read.
            try:
                data = json.loads(NUXT_ASSIGNMENT.sub("", text, count=1).rstrip().rstrip(";"))
            except (ValueError, RecursionError):
                continue
            yield from _longest_list(data, base)


def unflatten(values: list[Any]) -> Any:
    """The value devalue's flat array stands for (references by index resolved; typed wrappers unwrapped)."""
    done: dict[int, Any] = {}

    def value_at(index: Any, depth: int) -> Any:
        if not isinstance(index, int) or isinstance(index, bool):
            return None
        if index < 0:
            return NUXT_SPECIAL.get(index)
        if index >= len(values) or depth > MAX_DEPTH:
            return None
        if index in done:
            return done[index]
        raw = values[index]
        done[index] = None  # a cycle reads as nothing
        if isinstance(raw, dict):
            result: Any = {key: value_at(ref, depth + 1) for key, ref in raw.items()}
        elif isinstance(raw, list) and raw and isinstance(raw[0], str):
            kind = raw[0]
            if kind in ("Date", "RegExp", "BigInt"):
                result = raw[1] if len(raw) > 1 else None
            elif kind in ("Set", "Map"):
                result = [value_at(ref, depth + 1) for ref in raw[1:]]
            elif kind == "null":
                result = {str(raw[i]): value_at(raw[i + 1], depth + 1) for i in range(1, len(raw) - 1, 2)}
            else:  # Reactive, ShallowReactive, Ref, ShallowRef, EmptyRef...: the wrapped value
                result = value_at(raw[1], depth + 1) if len(raw) > 1 else None
        elif isinstance(raw, list):
            result = [value_at(ref, depth + 1) for ref in raw]
        else:
            result = raw
        done[index] = result
        return result

    return value_at(0, 0) if values else None


def _longest_list(data: Any, base: str) -> Iterator[ListedArticle]:
    lists: list[list[ListedArticle]] = []
    _app_lists(data, base, lists, 0)
    if lists:
        yield from max(lists, key=len)


def _app_lists(node: Any, base: str, lists: list[list[ListedArticle]], depth: int) -> None:
    """Collect the lists of the app state whose members look like posts (a title, an address, maybe a date)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for value in node.values():
            _app_lists(value, base, lists, depth + 1)
    elif isinstance(node, list):
        posts = [post for post in (_app_post(item, base) for item in node) if post]
        if len(posts) >= 2:
            lists.append(posts)
        for item in node:
            _app_lists(item, base, lists, depth + 1)


def _app_post(item: Any, base: str) -> ListedArticle | None:
    if not isinstance(item, dict):
        return None
    title = next((item[k] for k in TITLE_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
    key = next((k for k in URL_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
    if title is None or key is None:
        return None
    value = item[key].strip()
    url = urljoin(base.rstrip("/") + "/", value) if key == "slug" and "/" not in value else urljoin(base, value)
    published = next((item[k] for k in DATE_KEYS if isinstance(item.get(k), str)), None)
    return ListedArticle(url, " ".join(title.split()), parse_date(published) if published else None)
