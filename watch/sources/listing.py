"""Article-list detection on a listing page: an advertised feed, structured data, or the page's repeated links."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from ..errors import ParseError
from ..records import PageRules
from .listed import ListedArticle, parse_date, url_date
from .selectors import selector_problem, to_xpath
from .structured import h_entry_articles, json_ld_articles, microdata_articles, next_data_articles, nuxt_articles

NO_ARTICLES = "no article links found in the HTML (the page may be rendered by JavaScript)"

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# Ancestors whose links are the site's furniture, not its articles.
NAV_TAGS = {"nav", "header", "footer", "aside", "menu"}
NAV_WORDS = {"nav", "navbar", "navigation", "menu", "megamenu", "sidebar", "widget", "footer", "header", "breadcrumb",
             "breadcrumbs", "pagination", "pager", "share", "social", "related", "popular", "trending", "tags",
             "tagcloud", "categories", "comments", "drawer", "offcanvas", "flyout", "dropdown", "skip", "cookie",
             "banner", "subscribe", "newsletter", "archive", "archives", "blogroll", "meistgelesen", "toc",
             "masthead", "topbar"}
# A container named after the main content is not furniture, whatever else it says ("content with-sidebar").
CONTENT_WORDS = {"content", "main", "primary"}
# Classes a CMS gives each post after its category, tags or format: they tell posts apart, not layouts.
PER_ITEM_CLASS = re.compile(r"^(?:category|tag|post|format|status|type|author|has|is|lang|term|label)-")
# Taxonomy pages list posts (/tag/llm, /topics/ai/): a post filed below its topic (/topics/ai/a-post) is an
# article, and so is a tag that names a version (/releases/tag/v2.10.1). An archive is a list of lists
# (/archive/, /archives/2019/08/), but Movable Type keeps its posts below it.
NAV_URL = re.compile(r"/(?:topics?|authors?|category|categories|labels?)(?:/[^/?]+)?/?(?:$|\?)|"
                     r"/tags?(?:/(?!v?\d+(?:\.\d+)+)[^/?]+)?/?(?:$|\?)|"
                     r"/(?:search|page|users?|login|signin|signup|register|feed|rss|wp-login\.php|cart|account)"
                     r"(?:/|$|\?)|"
                     r"/archives?(?:/\d{4}(?:/\d{1,2}){0,2})?/?(?:$|\?)|"
                     r"[?&](?:page|p|paged|tag|cat|s|q)=|/page/\d+|\.(?:xml|rss|pdf|zip|png|jpe?g|gif|svg)$",
                     re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
TITLE_CLASS = re.compile(r"title|headline|heading", re.I)
DATE_HINT = re.compile(r"date|time|posted|published|meta|byline|when", re.I)


# Listing.method, said for a person (`feeds check`).
METHOD_NAMES = {
    "rules": "the source's selector overrides (CSS or XPath)",
    "json-ld": "JSON-LD structured data",
    "microdata": "schema.org microdata (itemscope, itemprop)",
    "h-entry": "microformats (h-entry)",
    "next-data": "the Next.js page data (__NEXT_DATA__)",
    "nuxt-data": "the Nuxt page state (__NUXT_DATA__, window.__NUXT__)",
    "structure": "repeated structure (the page's repeated article links)",
}


# Structured data is tried in this order, before the page's repeated structure.
STRUCTURED = (("json-ld", json_ld_articles), ("microdata", microdata_articles), ("h-entry", h_entry_articles),
              ("next-data", next_data_articles), ("nuxt-data", nuxt_articles))
__all__ = ["METHOD_NAMES", "ListedArticle", "Listing", "advertised_feed", "detect_listing", "parse_date",
           "selector_problem", "url_date"]


@dataclass(frozen=True)
class Listing:
    """What detection found on a page: the articles, the method that found them, a feed the page advertises."""

    articles: tuple[ListedArticle, ...]
    method: str  # a key of METHOD_NAMES
    feed_url: str | None = None


def detect_listing(html: str, base_url: str, rules: PageRules | None = None) -> Listing:
    """The articles of a listing page, found without selectors unless `rules` give them; ParseError when none."""
    root = _parse(html)
    if root is None:
        raise ParseError(NO_ARTICLES)
    base = _base_url(root, base_url)
    feed_url = advertised_feed(root, base)
    lang = (root.get("lang") or "").lower()[:2]
    wanted = _url_filter(rules)
    if rules is not None and rules.item:
        found = _distinct(a for a in _by_rules(root, base, lang, rules) if _followable(a.url, base) and wanted(a.url))
        if not found:
            raise ParseError(f"the item selector {rules.item!r} found no article links")
        return Listing(tuple(found), "rules", feed_url)
    for method, finder in STRUCTURED:
        found = _distinct(a for a in finder(root, base) if _followable(a.url, base) and wanted(a.url))
        if len(found) >= 3:
            return Listing(tuple(found), method, feed_url)
    found = _structure(root, base, lang, wanted)
    if not found:
        raise ParseError(NO_ARTICLES)
    return Listing(tuple(found), "structure", feed_url)


def _url_filter(rules: PageRules | None) -> Any:
    include = [re.compile(p) for p in rules.include] if rules else []
    exclude = [re.compile(p) for p in rules.exclude] if rules else []

    def wanted(url: str) -> bool:
        return (not include or any(p.search(url) for p in include)) and not any(p.search(url) for p in exclude)
    return wanted


def _by_rules(root: Any, base: str, lang: str, rules: PageRules) -> Iterator[ListedArticle]:
    """The articles the source's own selectors name: each item, its link, title and date."""
    for item in _xpath(root, rules.item or "", relative=False):
        if not isinstance(item, etree._Element):
            continue
        link = _first(item, rules.link) if rules.link else None
        anchor = item if item.tag == "a" else next(iter(item.iter("a")), None)
        href = link if isinstance(link, str) else (link.get("href") if link is not None else None)
        if href is None and anchor is not None:
            href = anchor.get("href")
        if not href:
            continue
        title = _first(item, rules.title) if rules.title else None
        title_text = title if isinstance(title, str) else _text(title) if title is not None else ""
        if not title_text:
            heading = next(iter(item.iter(*HEADINGS)), None)
            title_text = _text(heading) if heading is not None else _text(anchor) if anchor is not None else ""
        when = _first(item, rules.date) if rules.date else None
        if isinstance(when, str):
            published = parse_date(when, lang)
        elif when is not None:
            published = parse_date(when.get("datetime") or "", lang) or parse_date(_text(when), lang)
        else:
            published = _date(item, _Link(anchor if anchor is not None else item, href, "", "", False), lang)
        yield ListedArticle(urljoin(base, href.strip()).split("#")[0], " ".join(title_text.split()), published)


def _xpath(node: Any, expression: str, *, relative: bool) -> list[Any]:
    try:
        result = node.xpath(to_xpath(expression, relative=relative))
    except etree.XPathError as exc:
        raise ParseError(f"selector {expression!r} failed on this page: {exc}") from exc
    return result if isinstance(result, list) else [result]


def _first(item: Any, expression: str) -> Any:
    """The first node or string an item-relative selector gives, or None."""
    for value in _xpath(item, expression, relative=True):
        if isinstance(value, str):
            return value.strip() or None
        return value
    return None


def advertised_feed(root: Any, base: str) -> str | None:
    """The address of the first RSS/Atom/JSON feed the page's <link rel=alternate> advertises, or None."""
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and (link.get("type") or "").lower().strip() in FEED_TYPES and link.get("href"):
            return urljoin(base, link.get("href").strip())
    return None


def _parse(html: str) -> Any:
    if not html.strip():
        return None
    # lxml refuses a str that still declares its encoding (an XHTML page's <?xml ... encoding="UTF-8"?>).
    html = XML_DECLARATION.sub("", html, count=1)
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _base_url(root: Any, base_url: str) -> str:
    for base in root.iter("base"):
        if base.get("href"):
            return urljoin(base_url, base.get("href").strip())
    return base_url


def _followable(url: str, base: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url.split("#")[0] != base.split("#")[0]


def _distinct(articles: Iterator[ListedArticle] | list[ListedArticle]) -> list[ListedArticle]:
    seen: set[str] = set()
    kept = []
    for article in articles:
        key = article.url.split("#")[0].rstrip("/")
        if key not in seen and article.title:
            seen.add(key)
            kept.append(article)
    return kept


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _spaced_text(element: Any) -> str:
    """The element's text with its elements' texts kept apart ("evaluations" and "Nov 27" do not run together)."""
    return " ".join(" ".join(element.itertext()).split())


# --- the page's repeated structure ----------------------------------------------------------------------

@dataclass
class _Link:
    element: Any
    url: str
    text: str
    path: str
    nav: bool


def _structure(root: Any, base: str, lang: str, wanted: Any) -> list[ListedArticle]:
    for bad in root.xpath("//script|//style|//noscript|//template|//svg"):
        bad.drop_tree() if bad.getparent() is not None else None
    host = _host(base)
    page = _Page(root)
    links = [link for link in (_link(a, base, page) for a in root.iter("a")) if link is not None and wanted(link.url)]
    groups: dict[tuple[str, str], list[_Link]] = defaultdict(list)
    for link in links:
        groups[(link.path, _url_shape(link.url))].append(link)
    scored = []
    for order, (key, members) in enumerate(groups.items()):
        score = _score(members, host, lang)
        if score > 0:
            scored.append((score, order, key))
    if not scored:
        return []
    top = max(score for score, _, _ in scored)
    # Of groups alike (an item's abstract, PDF and formats links), the one each item shows first is its article.
    best_key = min((order, key) for score, order, key in scored if score >= 0.98 * top)[1]
    best = groups[best_key]
    position = {id(link): index for index, link in enumerate(links)}
    best = sorted([*best, *_companions(groups, best_key, lang)], key=lambda link: position[id(link)])
    urls = {link.url for link in best}
    all_links: dict[str, list[_Link]] = defaultdict(list)
    for link in links:
        if link.url in urls:
            all_links[link.url].append(link)
    cards = _cards(best)
    holders = {id(link.element) for link in best}
    articles = []
    for link in _first_per_url(best):
        card = cards[link.url]
        rest = _rest_of_item(card, holders)
        title = _title(link, card, all_links[link.url])
        if not _in_heading(link.element) and len(title.split()) < 2:
            # The link names the item by an identifier ("arXiv:2111.05049"); its title is told next to it.
            title = _named_title([card, *rest], link.element) or title
        published = _date(card, link, lang) or _date_after(rest, lang) or _section_date(card, lang)
        articles.append(ListedArticle(link.url, title, published))
    return _distinct(articles)


def _companions(groups: dict[tuple[str, str], list[_Link]], best_key: tuple[str, str], lang: str) -> list[_Link]:
    """Links laid out apart from the list but like its items (a featured post above it): the same URL shape, or
    the same layout as such a link and the same site; titled, dated when the list is, outside the list's cards
    and navigation, in the same part of the page."""
    best = groups[best_key]
    cards = set(_cards(best).values())
    urls = {link.url for link in best}
    dated = sum(_dated_near(link, lang) for link in _first_per_url(best)) >= 0.5 * len(urls)
    region = set(best[0].element.iterancestors())

    def alike(link: _Link) -> bool:
        if link.nav or link.url in urls or NAV_URL.search(link.url) \
                or not (len(link.text.split()) >= 3 or _in_heading(link.element)) \
                or any(ancestor in cards for ancestor in link.element.iterancestors()) \
                or (dated and not _dated_near(link, lang)):
            return False
        common = next((a for a in link.element.iterancestors() if a in region), None)
        return common is not None and common.tag not in ("body", "html")

    found = [link for key, members in groups.items() if key != best_key and key[1] == best_key[1]
             for link in members if alike(link)]
    layouts = {best_key[0]} | {link.path for link in found}
    site = best_key[1].split("|")[0]
    found += [link for key, members in groups.items() if key[1] != best_key[1] and key[0] in layouts
              and key[1].split("|")[0] == site for link in members if alike(link)]
    return found


def _rest_of_item(card: Any, holders: set[int]) -> list[Any]:
    """The siblings after a card up to the next card: an item split over elements (<dt> and <dd>)."""
    rest = []
    for sibling in card.itersiblings():
        if not isinstance(sibling.tag, str) or sibling.tag in HEADINGS \
                or any(id(a) in holders for a in sibling.iter("a")):
            break
        rest.append(sibling)
        if len(rest) >= 3:
            break
    return rest


def _named_title(parts: list[Any], after: Any) -> str | None:
    """The text of the first element after the link whose class names it a title, without its label."""
    for part in parts:
        for element in part.iter():
            if isinstance(element.tag, str) and TITLE_CLASS.search(element.get("class") or "") \
                    and not _inside(element, after) and (not _inside(after, part) or _precedes(part, after, element)):
                text = _text(element)
                label = element[0] if len(element) and not (element.text or "").strip() else None
                if label is not None and isinstance(label.tag, str) and _text(label).endswith(":") \
                        and len(_text(label).split()) <= 2:  # "Title: Ideal approach to ..."
                    text = text[len(_text(label)):].strip()
                if text:
                    return text
    return None


def _date_after(parts: list[Any], lang: str) -> date | None:
    for part in parts:
        for element in part.xpath(".//time|.//*[@datetime]"):
            found = parse_date(element.get("datetime") or "", lang) or parse_date(_text(element), lang)
            if found:
                return found
    return None


def _section_date(card: Any, lang: str) -> date | None:
    """The date of the day heading the item's list sits under (a listing grouped by day)."""
    node = card
    for _ in range(3):
        for sibling in node.itersiblings(preceding=True):
            if isinstance(sibling.tag, str) and sibling.tag in HEADINGS:
                return parse_date(_text(sibling), lang)
        node = node.getparent()
        if node is None:
            return None
    return None


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _link(a: Any, base: str, page: _Page | None = None) -> _Link | None:
    href = (a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    url = urljoin(base, href).split("#")[0]
    if not _followable(url, base):
        return None
    label = " ".join((a.get("aria-label") or a.get("title") or "").split())
    text = _link_text(a)
    if not text or (len(label.split()) >= 2 and label in text):
        # A card link's label names the article; its text also holds the byline, reading time...
        text = label or text
    ancestors = [e for e in a.iterancestors() if isinstance(e.tag, str) and e.tag not in ("body", "html")]
    steps = [_step(ancestor) for ancestor in ancestors]
    nav = False
    for index, ancestor in enumerate(ancestors):
        tokens = _classes(ancestor)
        words = {part for token in [*tokens, (ancestor.get("id") or "").lower()] for part in re.split(r"[-_]", token)}
        role = (ancestor.get("role") or "").lower()
        if ancestor.tag in NAV_TAGS or role in ("navigation", "banner", "contentinfo", "complementary") \
                or (words & NAV_WORDS and not words & CONTENT_WORDS and not (page and page.holds_content(ancestor))):
            # A post's own header or footer (inside an article or the main part, or one of many alike) is not
            # the site's: a site has one header, a list of posts one per post.
            outer = {e.tag for e in ancestors[index + 1:]} | {(e.get("role") or "") for e in ancestors[index + 1:]}
            own = ancestor.tag in ("header", "footer") or bool(words & {"header", "footer"})
            per_item = page is not None and page.paths["/".join(reversed(steps[index:]))] >= 2
            if not (own and (outer & {"article", "main"} or per_item)) or words & (NAV_WORDS - {"header", "footer"}):
                nav = True
    return _Link(a, url, text, "/".join(reversed(steps)), nav)


def _step(element: Any) -> str:
    return ".".join([element.tag, *_classes(element)])


class _Page:
    """What a link's place is judged against: how often each layout path repeats, how much text a part holds."""

    def __init__(self, root: Any) -> None:
        self.paths: Counter[str] = Counter()
        stack: list[tuple[Any, str]] = [(root, "")]
        while stack:
            element, prefix = stack.pop()
            for child in element:
                if not isinstance(child.tag, str):
                    continue
                step = _step(child)
                path = prefix if child.tag in ("body", "html") else f"{prefix}/{step}" if prefix else step
                self.paths[path] += 1
                stack.append((child, path))
        body = root.find("body")
        self.text = len(_text(body if body is not None else root))
        self._holds: dict[Any, bool] = {}

    def holds_content(self, element: Any) -> bool:
        """Whether a part named like furniture ("repo-nav", "with-sidebar") is the page's main text."""
        if element not in self._holds:
            text = len(_text(element))
            linked = sum(len(_text(a)) for a in element.iter("a"))
            self._holds[element] = text >= 0.4 * self.text and linked < 0.5 * text
        return self._holds[element]


def _link_text(a: Any) -> str:
    """The text of a link without the date it may show inside (a card link holding date and title)."""
    parts = []
    for node in a.iter():
        if not isinstance(node.tag, str):
            continue
        dated = node.tag == "time" or any(isinstance(e.tag, str) and (e.tag == "time" or DATE_HINT.search(
            e.get("class") or "")) for e in [node, *_up_to(node, a)])
        if not dated and node.text:
            parts.append(node.text)
        if node is not a and node.tail and not any(e.tag == "time" or DATE_HINT.search(e.get("class") or "")
                                                   for e in _up_to(node.getparent(), a) if isinstance(e.tag, str)):
            parts.append(node.tail)
    text = " ".join(" ".join(parts).split())
    return text or _text(a)


def _up_to(node: Any, top: Any) -> list[Any]:
    """`node` and its ancestors below `top`."""
    chain = []
    while node is not None and node is not top:
        chain.append(node)
        node = node.getparent()
    return chain


def _classes(element: Any) -> list[str]:
    """The classes that describe an element's place in the layout, not the one post (category-ai, post-123)."""
    return sorted(c for c in (element.get("class") or "").lower().split()
                  if not re.search(r"\d", c) and not PER_ITEM_CLASS.match(c))


def _url_shape(url: str) -> str:
    """The pattern of an address: host, number of path segments and the first segment when there are more."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    first = segments[0] if len(segments) > 1 else ""
    return f"{_host(url)}|{len(segments)}|{first}"


def _score(members: list[_Link], host: str, lang: str) -> float:
    urls = {link.url for link in members}
    n = len(urls)
    if n < 2:
        return 0.0
    same_site = sum(_host(u) == host or _host(u).endswith("." + host) for u in urls) / n
    nav = sum(link.nav for link in members) / len(members)
    bad_urls = sum(bool(NAV_URL.search(u)) for u in urls) / n
    titled = sum(len(link.text.split()) >= 3 or _in_heading(link.element) for link in members) / len(members)
    cards = _cards(members)
    dated = sum(_dated_near(link, lang) and _date(cards[link.url], link, lang) is not None
                for link in _first_per_url(members)) / n
    if (nav >= 0.5 and dated < 0.5) or bad_urls >= 0.5:
        # Furniture and tag/author/pagination links; a dated list inside a "widget" (Blogger's posts) stays.
        return 0.0
    deep = sum(len([s for s in urlsplit(u).path.split("/") if s]) >= 1 for u in urls) / n
    return (n ** 0.5) * (0.1 + titled) * (0.3 + dated) * (1 - 0.9 * nav) ** 2 * (1 - bad_urls) ** 2 \
        * (0.3 + same_site) * deep


def _first_per_url(members: list[_Link]) -> list[_Link]:
    seen: dict[str, _Link] = {}
    for link in members:
        seen.setdefault(link.url, link)
    return list(seen.values())


def _in_heading(element: Any) -> bool:
    return any(isinstance(e.tag, str) and e.tag in HEADINGS for e in element.iterancestors()) or \
        any(isinstance(e.tag, str) and e.tag in HEADINGS for e in element.iterdescendants())


def _dated_near(link: _Link, lang: str) -> bool:
    if url_date(link.url):
        return True
    node = link.element
    for _ in range(4):
        parent = node.getparent()
        if parent is None:
            break
        node = parent
        if node.xpath(".//time|.//*[@datetime]"):
            return True
        text = _text(node)
        if len(text) > 600:
            break
        if parse_date(text, lang):
            return True
    return False


def _cards(members: list[_Link]) -> dict[str, Any]:
    """Each article's card: the largest ancestor of its link that holds no other article of the group."""
    below: dict[Any, set[str]] = defaultdict(set)
    for link in members:
        for ancestor in link.element.iterancestors():
            below[ancestor].add(link.url)
    cards = {}
    for link in _first_per_url(members):
        card = link.element
        for ancestor in link.element.iterancestors():
            if below[ancestor] != {link.url}:
                break
            card = ancestor
        cards[link.url] = card
    return cards


def _title(link: _Link, card: Any, same_url: list[_Link]) -> str:
    for other in same_url:
        if _inside(other.element, card):
            named = [e for e in other.element.iter() if isinstance(e.tag, str) and e is not other.element
                     and TITLE_CLASS.search(e.get("class") or "") and _text(e)]
            if named and not _in_heading(other.element):
                return _text(named[0])
    # The list's own link first: the same address may be quoted under another heading in a post's body.
    in_heading = [other for other in sorted(same_url, key=lambda o: o is not link)
                  if _in_heading(other.element) and other.text]
    if in_heading:
        heading = [h for h in in_heading[0].element.iterdescendants() if isinstance(h.tag, str) and h.tag in HEADINGS]
        return _text(heading[0]) if heading and _text(heading[0]) else in_heading[0].text
    in_card = [other for other in same_url if other.text and _inside(other.element, card)]
    headings = [h for h in card.iter(*HEADINGS) if _text(h)] if card is not link.element else []
    if in_card:
        # A heading below a link that has words of its own belongs to the item's body (release notes).
        headings = [h for h in headings if _precedes(card, h, link.element)]
    if headings and (not in_card or len(max(in_card, key=lambda o: len(o.text)).text.split()) < 3):
        return _text(headings[0])
    if in_card:
        return max(in_card, key=lambda o: len(o.text)).text
    return link.text


def _precedes(card: Any, first: Any, second: Any) -> bool:
    """Whether `first` starts before `second` inside `card`."""
    for element in card.iter():
        if element is first:
            return True
        if element is second:
            return False
    return False


def _inside(element: Any, card: Any) -> bool:
    return element is card or any(ancestor is card for ancestor in element.iterancestors())


def _date(card: Any, link: _Link, lang: str) -> date | None:
    for time_element in card.xpath(".//time|.//*[@datetime]"):
        found = parse_date(time_element.get("datetime") or "", lang) or parse_date(_text(time_element), lang)
        if found:
            return found
    for element in card.iter():
        if isinstance(element.tag, str) and DATE_HINT.search(element.get("class") or ""):
            found = parse_date(_text(element), lang)
            if found:
                return found
    for element in card.iter():
        # A short element of its own that is a date ("Nov 27, 2026" under a card's heading), even inside a link.
        if isinstance(element.tag, str) and element is not card and element.tag not in HEADINGS \
                and len(own := _text(element)) <= 40:
            found = parse_date(own, lang)
            if found:
                return found
    text = _spaced_text(card)
    found = parse_date(text[:400], lang) if card is not link.element else None
    return found or url_date(link.url) or (_date_near(link, lang) if card is link.element else None)


def _date_near(link: _Link, lang: str) -> date | None:
    node = link.element
    for _ in range(3):
        parent = node.getparent()
        if parent is None:
            return None
        node = parent
        text = _spaced_text(node)
        if len(text) > 400:
            return None
        found = parse_date(text, lang)
        if found:
            return found
    return None
