"""`summarizer: {backend: server}` settings: the inference server's address, kept on this machine or network.

Articles are sent to `base_url`, so a host that resolves to a public address is refused unless
`allow_remote: true` says the user means it; the address classification is the egress policy's
(watch/http/egress.py). The API key is read from the environment variable named by `api_key_env`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpcore

from watch.http.egress import address_kind, describe, is_address_literal, resolve

from .validate import MISSING, Block

SERVER_KEYS = ("base_url", "concurrency", "allow_remote", "api_key_env", "why_it_matters")
MAX_CONCURRENCY = 64
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def server_options(block: Block, backend: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The server keys of `settings.summarizer` as SummarizerSettings fields; problems go to `block`."""
    concurrency = block.integer("concurrency", 4, 1, MAX_CONCURRENCY)
    allow_remote = block.boolean("allow_remote", False)
    base_url = block.text("base_url", nullable=True)
    key_env = block.text("api_key_env", nullable=True)
    if key_env is not None and not _ENV_NAME.fullmatch(key_env):
        block.report("api_key_env", f"api_key_env {key_env!r} is not an environment variable name")
        key_env = None
    why = block.boolean("why_it_matters", False)
    if why and backend != "server":
        block.report("why_it_matters", "why_it_matters needs backend 'server': the line is written by the inference "
                                       "server's model (a local model on CPU takes 12-19 s a story)")
    if backend != "server":
        return {}  # checked above, but kept out of the settings: switching backends back and forth is fine
    if block.get("base_url") in (MISSING, None):
        block.report("backend", "backend 'server' needs 'base_url', the server's OpenAI-compatible API "
                                "(e.g. http://gpu-box:8000/v1)")
    elif base_url is not None:
        base_url = _checked_url(block, base_url.rstrip("/"), allow_remote)
    api_key = (environ.get(key_env) or "").strip() or None if key_env else None
    return {"base_url": base_url, "concurrency": concurrency, "allow_remote": allow_remote, "api_key": api_key,
            "why_it_matters": why}


def _checked_url(block: Block, url: str, allow_remote: bool) -> str | None:
    """`url` when it is http(s) with a host on this machine or a private network (any host with
    `allow_remote`); else None, and the problem reported at the line of base_url."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        block.report("base_url", f"base_url {url!r} is not a valid address: {exc}")
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        block.report("base_url", f"base_url {url!r} must be an http(s) address with a host, e.g. http://gpu-box:8000/v1")
        return None
    if parts.query or parts.fragment:
        block.report("base_url", f"base_url {url!r} must not have a query or fragment (write the API root, e.g. "
                                 "http://gpu-box:8000/v1)")
        return None
    if allow_remote:
        return url
    host = parts.hostname
    public = public_addresses(host, port or (443 if parts.scheme.lower() == "https" else 80))
    if public is None:
        # Not resolvable now (the GPU box is off, the VPN is down): that is an outage, not a bad config, and must
        # not stop every command. Every connection is checked again (egress.PrivateBackend), so a name that later
        # resolves to a public address is still refused.
        return url
    if public:
        where = f"{host} is" if is_address_literal(host) else f"{host} resolves to {', '.join(public)},"
        block.report("base_url", f"{where} a public address: the summarizer server "
                                 "would receive the articles outside this machine and its private networks; run it "
                                 "locally or on the LAN, or set 'allow_remote: true' if sending them there is intended")
        return None
    return url


def public_addresses(host: str, port: int) -> list[str] | None:
    """The public addresses `host` resolves to (empty: all are loopback or private), None if it does not resolve."""
    try:
        addresses = resolve(host.strip("[]"), port)
    except httpcore.ConnectError:
        return None
    found = [ipaddress.ip_address(sockaddr[0].split("%")[0]) for _family, sockaddr in addresses]
    return [describe(ip) for ip in found if address_kind(ip) is None] if found else None
