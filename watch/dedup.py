"""Identity of items: stable ids, canonical URLs and content hashes; the clean link a reader is shown."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

# Query parameters that exist only to track who clicked: the link shown to a reader loses them.
_TRACKERS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_\w+|yclid|igshid|_hsenc|_hsmi|at_medium|at_campaign|"
    r"xtor|wt_mc|wt_zmc|__twitter_impression|oly_enc_id|oly_anon_id|vero_id|mkt_tok)$",
    re.IGNORECASE,
)
# Identity also drops these referrer markers; the link shown keeps them (some sites select content with them).
_REFERRERS = frozenset({"ref", "ref_src", "source", "spm"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def clean_link(url: str) -> str:
    """The link as published, minus tracking parameters only: scheme, host, path, order and fragment kept."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing to clean, show it as published
        return url
    if not parts.query:
        return url
    # Split by hand, not parse_qsl/urlencode: the pairs that stay keep their exact spelling and order.
    pairs = parts.query.split("&")
    kept = [pair for pair in pairs if not _TRACKERS.match(unquote_plus(pair.split("=", 1)[0]))]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def link_fields(published: str) -> dict[str, str | None]:
    """An entry's three links from the one its feed published: shown (url), as written (feed_link), identity."""
    shown = clean_link(published)
    return {"url": shown, "feed_link": published if shown != published else None,
            "canonical_url": canonical_url(published)}


def canonical_url(url: str) -> str:
    """Normalise a URL for identity: lower-case host, no default port, fragment or tracking params."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port if parts.port and parts.port != _DEFAULT_PORTS.get(scheme) else None
    netloc = f"{host}:{port}" if port else host
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKERS.match(k) and k.lower() not in _REFERRERS))
    # http and https name the same document; identity should not depend on it.
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path, query, ""))


# Titles that say nothing about the item: a feed's empty title, techwatch's own stand-in, common stand-ins.
PLACEHOLDER_TITLES = frozenset({"", "(untitled)", "untitled", "no title", "(no title)", "[no title]", "[untitled]",
                                "title", "(none)", "none", "-", "—", "…", "...", "null", "undefined"})


def is_placeholder_title(title: str | None) -> bool:
    """True for a title that names nothing: empty, "(untitled)", "No title" and the like."""
    return " ".join((title or "").split()).casefold() in PLACEHOLDER_TITLES


def entry_id(source_name: str, key: str) -> str:
    """Stable id of an entry: the source plus the entry's own identity (guid, link or title)."""
    return hashlib.sha256(f"{source_name}\x1f{key}".encode()).hexdigest()[:20]


def content_hash(*parts: str | None) -> str:
    """Hash of the text that, when it changes, means an item must be processed again."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]
