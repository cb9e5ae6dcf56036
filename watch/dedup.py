"""Identity of items: stable ids, canonical URLs and content hashes."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader, never select the content.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|igshid|_hsenc|_hsmi|ref|ref_src|"
    r"source|spm|at_medium|at_campaign|xtor|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
                             if not _TRACKING.match(k)))
    # http and https name the same document; identity should not depend on it.
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path, query, ""))


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
