"""Credentials in URLs masked for output: `https://user:…@host/feed?token=…&page=2`.

A feed URL may carry a password or an API key (private feeds, paid newsletters, signed links).
Fetching uses the real URL; everything shown (logs, listings, error messages, OPML) goes through here.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

__all__ = ["MASK", "is_secret_parameter", "redact_text", "redact_url"]

MASK = "…"
_AUTHORITY = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)")
# A URL inside a message: up to whitespace or a quote (messages quote URLs with ' or ").
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>`]+")
# Parameter names that carry a secret, as a whole word of the name (api_key, X-Amz-Signature, sid)...
_SECRET_WORDS = frozenset({"key", "sig", "signature", "auth", "authorization", "pass", "pwd", "password", "passwd",
                           "secret", "token", "hmac", "jwt", "session", "sid", "credential", "credentials"})
# ... or anywhere in it (access_token, authToken, client_secret, apiKey, X-Amz-Credential).
_SECRET_PARTS = ("token", "secret", "passw", "signature", "credential", "apikey", "accesskey", "privatekey")


def is_secret_parameter(name: str) -> bool:
    """True when a query parameter of this name probably carries a credential (compared ignoring case)."""
    name = unquote_plus(name).strip().lower()
    if not name:
        return False
    words = set(re.split(r"[^a-z0-9]+", name))
    return bool(words & _SECRET_WORDS) or any(part in name for part in _SECRET_PARTS) or name.endswith("key")


def redact_url(url: str) -> str:
    """The URL with its password (or a lone user name, often a token) and secret parameters replaced by MASK."""
    if not url:
        return url
    head, rest = "", url
    match = _AUTHORITY.match(url)
    if match:
        scheme, authority = match.groups()
        if "@" in authority:
            userinfo, host = authority.rsplit("@", 1)
            user, colon, _password = userinfo.partition(":")
            authority = f"{user}:{MASK}@{host}" if colon and user else f"{MASK}@{host}"
        head, rest = scheme + authority, url[match.end():]
    path, hash_mark, fragment = rest.partition("#")
    path, question, query = path.partition("?")
    if question:
        path += "?" + _mask_parameters(query)
    if hash_mark:
        # OAuth puts tokens in the fragment too (#access_token=...).
        path += "#" + (_mask_parameters(fragment) if "=" in fragment else fragment)
    return head + path


def redact_text(text: str) -> str:
    """A message with every URL in it passed through redact_url."""
    if not text or "://" not in text:
        return text
    return _URL_IN_TEXT.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    found = match.group()
    url = found.rstrip(".,:;!?)]}")  # punctuation of the sentence, not of the URL
    return redact_url(url) + found[len(url):]


def _mask_parameters(query: str) -> str:
    out = []
    for parameter in query.split("&"):
        name, equals, value = parameter.partition("=")
        out.append(f"{name}={MASK}" if equals and value and is_secret_parameter(name) else parameter)
    return "&".join(out)
