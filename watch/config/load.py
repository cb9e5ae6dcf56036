"""The techwatch schema: read feeds.yaml once, validate all of it, and return the frozen `Config` passed down.

The sections, sources and tags are checked over the generic validator (validate.py); durations follow
the one grammar of durations.py. This package is the only code that reads YAML (house rule 6). Every
problem found is reported with the file, the line and the field, and all problems are reported together
in one `ConfigError`, so a user fixes the file in one go.

Environment (the only variable read, and only here; `load_config(..., environ=)` lets tests pass one):
    TECHWATCH_DATABASE  if set and non-empty, replaces `settings.database`; a relative value is taken
                        against the current directory (it comes from the shell, not from the file).

Relative `settings.database` and `settings.digest.directory` paths in the file are resolved against the
directory that holds the file, so the pipeline behaves the same whatever directory it is started from.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from watch.dedup import canonical_url
from watch.http.egress import origin_of
from watch.http.loopback import is_loopback_host
from watch.records import (
    Config,
    DigestSettings,
    EmailSettings,
    FetchSettings,
    PageRules,
    RetentionSettings,
    Settings,
    Source,
    SummarizerSettings,
    Tag,
    TagExample,
    TaggerSettings,
)

from ..durations import parse_interval, parse_retention
from ..sources.kinds import KINDS, RELEASE_KINDS, SOURCE_KINDS, SourceKind
from ..sources.selectors import selector_problem
from .fields import (
    _EMAIL_RE,
    WEEKDAYS,
    clock_time,
    digest_formats,
    recipients,
    relevance_floor,
    tag_names,
)
from .profiles import digest_profiles, source_names
from .server import SERVER_KEYS, server_options
from .stack import stack_packages, stack_sources, with_advisories
from .validate import (
    MISSING,
    Block,
    Problems,
    describe,
    is_bool,
    is_int,
    mapping_entries,
    node_line,
    parse_yaml,
    read_text,
)

DATABASE_ENV = "TECHWATCH_DATABASE"

# Allowed values live in one place each, so adding a renderer or a source kind is a one-line change.
RELEASE_FILTERS: tuple[str, ...] = ("all", "minor", "major")  # all | skip patch releases | only majors
EMAIL_SECURITY: tuple[str, ...] = ("starttls", "tls", "none")
SUMMARIZER_BACKENDS: tuple[str, ...] = ("extractive", "generative", "server")

TOP_LEVEL_KEYS = ("settings", "interests", "tags", "sources", "stack", "digests")
STACK_KEYS = ("manifests",)
REGISTRY_KEYS = ("pypi_api", "npm_registry", "crates_api", "osv_api")  # settings.fetch: where `feeds stack` asks
SETTINGS_KEYS = ("database", "digest", "summarizer", "tagger", "fetch", "email", "retention")
EMAIL_KEYS = ("host", "port", "security", "user", "password_env", "from", "to", "subject", "timeout",
              "allow_plaintext_auth")
RETENTION_KEYS = ("items", "pages")
DIGEST_KEYS = ("day", "time", "max_items", "formats", "directory", "templates", "max_also", "per_source",
               "relevance_floor", "public_url")
SUMMARIZER_KEYS = ("backend", "sentences", "max_chars", "model", "time_budget", *SERVER_KEYS)
TAGGER_KEYS = ("model", "threshold", "max_tags")
FETCH_KEYS = ("timeout", "connect_timeout", "total_timeout", "max_bytes", "max_redirects", "user_agent", "github_api",
              "github_token_env", *REGISTRY_KEYS,
              "concurrency", "per_host", "default_interval", "stale_factor", "allow_networks")
TAG_KEYS = ("name", "description", "keywords", "examples")
PAGE_KEYS = ("item", "title", "link", "date", "include", "exclude")
SOURCE_KEYS = ("name", "url", "kind", "tags", "enabled", "interval", "extract", "weight", "repo", "package", "author",
               "project", "prereleases", "releases", "render", "manifest", "dependency", *PAGE_KEYS)
RENDERERS = ("chromium",)  # `render:` of a page or watch source: the headless browser that builds the page
EXTRACT_MODES = ("auto", "always", "never")
LISTING_KINDS = tuple(name for name, kind in KINDS.items() if kind.listing_rules)
RENDERING_KINDS = tuple(name for name, kind in KINDS.items() if kind.renders)

# A source's `dependency:` (feeds stack): a package URL without version, of the ecosystems stack manifests name.
DEPENDENCY_RE = re.compile(r"^pkg:(pypi|npm|golang|cargo)/[^\s@]?[^\s]*[^\s/]$")

# The weekly digest reads the last complete week and compares it with the week before: up to 21 days back.
MIN_ITEM_RETENTION_DAYS = 30
MIN_PAGE_RETENTION_DAYS = 1

TAG_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


# --------------------------------------------------------------------------------------------------
# Loading


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate feeds.yaml once; raise one ConfigError listing every problem found."""
    shown = str(path)
    file = _absolute(Path(path).expanduser())
    document = parse_yaml(read_text(file, shown), shown)
    problems = Problems(shown=shown)
    config = _build_config(document, file, problems, os.environ if environ is None else environ)
    if problems:
        raise problems.to_error(shown)
    return config


# --------------------------------------------------------------------------------------------------
# Sections


def _build_config(document: Any, file: Path, problems: Problems, environ: Mapping[str, str]) -> Config:
    """Validate the whole document; every section is checked even when another one is broken."""
    if not isinstance(document, CommentedMap):
        found = "the file is empty" if document is None else f"the file holds {describe(document)}"
        problems.add(node_line(document), "", f"top level: {found}; it must be a mapping with at least "
                                          "a 'sources:' list")
        return Config(path=file, settings=Settings(), tags=(), sources=())
    top = Block(document, "", "top level", problems)
    top.check_keys(TOP_LEVEL_KEYS)
    settings = _settings(top.child("settings"), file.parent, environ)
    interests = top.text("interests", "", one_line=False, nullable=True) or ""
    tags, known_tags = _tags(top)
    sources = _sources(top, known_tags)
    manifests = _stack_manifests(top.child("stack"), file.parent)
    derived, stack_problems = stack_sources(manifests, sources, known_tags)
    for line, text in stack_problems:
        problems.add(line, "stack.manifests", text)
    sources = (*sources, *derived)
    packages = stack_packages([path for path, _ in manifests], sources, file.parent)
    sources = with_advisories(sources, packages, settings.fetch.osv_api, known_tags, bool(manifests),
                              settings.fetch.github_api if settings.fetch.github_token else None)
    settings = _trusting(settings, sources)
    raw_settings = top.get("settings")
    smtp = isinstance(raw_settings, CommentedMap) and raw_settings.get("email") is not None
    digests = digest_profiles(top, settings, interests, known_tags, source_names(document), smtp=smtp)
    return Config(path=file, settings=settings, tags=tags, sources=sources, interests=interests, digests=digests,
                  stack_manifests=tuple(path for path, _ in manifests))


def _stack_manifests(block: Block, base: Path) -> list[tuple[Path, int]]:
    """`stack.manifests`: existing manifests (or folders of them), relative to feeds.yaml, with their lines."""
    block.check_keys(STACK_KEYS)
    found = []
    for raw, line in block.text_list("manifests", "manifest paths (pyproject.toml, package.json, go.mod...)") or ():
        path = _resolve(raw, base)
        if not path.exists():
            block.problems.add(line, "stack.manifests", f"stack.manifests: manifest {raw!r} not found ({path})")
        else:
            found.append((path, line))
    return found


def _trusting(settings: Settings, sources: tuple[Source, ...]) -> Settings:
    """Settings whose egress policy trusts the origins the user wrote: sources' addresses and the GitHub API."""
    urls = [s.url for s in sources] + [settings.fetch.github_api]
    urls += [getattr(settings.fetch, key) for key in REGISTRY_KEYS]
    origins = frozenset(o for o in map(origin_of, urls) if o is not None)
    return dataclasses.replace(settings, fetch=dataclasses.replace(settings.fetch, trusted_origins=origins))


def _absolute(path: Path) -> Path:
    """Absolute and normalised ('a/../b' -> 'b') without following symlinks, like os.path.abspath."""
    return Path(os.path.abspath(path))


def _resolve(raw: str, base: Path) -> Path:
    """A path from the file: `~` expanded, relative ones taken against the file's directory."""
    return _absolute(base / Path(raw).expanduser())


def _settings(block: Block, base: Path, environ: Mapping[str, str]) -> Settings:
    """The `settings:` block, with defaults, resolved paths and the environment override."""
    block.check_keys(SETTINGS_KEYS)
    database = _resolve(block.text("database") or str(Settings().database), base)
    override = environ.get(DATABASE_ENV, "").strip()
    if override:
        # The environment wins over the file (one database per deployment); relative to the shell's cwd.
        database = _absolute(Path(override).expanduser())
    return Settings(database=database, digest=_digest(block.child("digest"), base),
                    summarizer=_summarizer(block.child("summarizer"), environ), tagger=_tagger(block.child("tagger")),
                    fetch=_fetch(block.child("fetch"), environ),
                    email=_email(block.child("email")) if block.get("email") not in (MISSING, None) else None,
                    retention=_retention(block))


def _digest(block: Block, base: Path) -> DigestSettings:
    """`settings.digest`: when the weekly digest is built and in which formats."""
    defaults = DigestSettings()
    block.check_keys(DIGEST_KEYS)
    return DigestSettings(
        day=block.choice("day", defaults.day, WEEKDAYS),
        time=clock_time(block, defaults.time),
        max_items=block.integer("max_items", defaults.max_items, 1, 500),
        max_also=block.integer("max_also", defaults.max_also, 0, 1000),
        per_source=block.integer("per_source", defaults.per_source, 1, 500),
        relevance_floor=relevance_floor(block),
        formats=digest_formats(block, defaults.formats),
        directory=_resolve(block.text("directory") or str(defaults.directory), base),
        templates=_templates(block, base),
        public_url=_public_url(block),
    )


def _public_url(block: Block) -> str | None:
    """`digest.public_url`: the http(s) address the digest directory is served at, for links from chat."""
    raw = block.text("public_url", nullable=True)
    if raw is None:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in raw.strip()):
        block.report("public_url", f"public_url must be an http(s) address such as https://watch.example.org/digests/,"
                                   f" got {raw!r}")
        return None
    return raw.strip()


def _templates(block: Block, base: Path) -> Path | None:
    """`digest.templates`: an existing folder of digest.<format>.j2 files that replace the built-in ones."""
    raw = block.text("templates", nullable=True)
    if raw is None:
        return None
    path = _resolve(raw, base)
    if not path.is_dir():
        block.report("templates", f"templates folder {raw!r} does not exist ({path})")
        return None
    return path


def _email(block: Block) -> EmailSettings | None:
    """`settings.email`: SMTP delivery of the digest; the password is read from an environment variable."""
    block.check_keys(EMAIL_KEYS)
    host = block.text("host", required=True)
    sender = block.text("from", required=True)
    security = block.choice("security", "starttls", EMAIL_SECURITY)
    port = block.integer("port", 465 if security == "tls" else 587 if security == "starttls" else 25, 1, 65535)
    to = recipients(block, "to") or ()
    if block.get("to") is MISSING:
        block.report("to", "missing required key 'to': a list of recipient addresses")
    if sender is not None and not _EMAIL_RE.match(sender.rsplit("<", 1)[-1].rstrip(">").strip()):
        block.report("from", f"{sender!r} is not an e-mail address (write name@example.org or Name <name@example.org>)")
        sender = None
    subject = block.text("subject", EmailSettings.subject) or EmailSettings.subject
    if "{" in subject.replace("{label}", ""):
        block.report("subject", "subject may only use the placeholder {label}")
    password_env = block.text("password_env", EmailSettings.password_env) or EmailSettings.password_env
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        block.report("password_env", f"password_env {password_env!r} is not an environment variable name")
    user = block.text("user", nullable=True)
    allow_plaintext = block.boolean("allow_plaintext_auth", False)
    if security == "none" and user and host is not None and not is_loopback_host(host) and not allow_plaintext:
        # Without TLS the login (AUTH PLAIN/LOGIN) carries the password as base64: readable on the wire.
        block.report("security", f"security 'none' with a user would send the SMTP password in clear text to "
                                 f"{host}, readable by anyone on the network path; use 'starttls' or 'tls', or, "
                                 "if that network is trusted, set 'allow_plaintext_auth: true'")
    if host is None or sender is None or not to:
        return None
    return EmailSettings(host=host, sender=sender, recipients=to, port=port, security=security,
                         user=user, password_env=password_env, subject=subject,
                         timeout_seconds=block.positive_number("timeout", EmailSettings.timeout_seconds),
                         allow_plaintext_auth=allow_plaintext)


def _retention(settings: Block) -> RetentionSettings:
    """`settings.retention`: `{items: 2y, pages: 90d}`, or a single duration, short for `{items: ...}`."""
    defaults = RetentionSettings()
    value = settings.get("retention")
    if value is MISSING or value is None:
        return defaults
    if not isinstance(value, CommentedMap):
        days = _retention_value(settings, "retention", defaults.items_days, MIN_ITEM_RETENTION_DAYS, "items")
        return RetentionSettings(items_days=days, pages_days=defaults.pages_days)
    block = settings.child("retention")
    block.check_keys(RETENTION_KEYS)
    return RetentionSettings(
        items_days=_retention_value(block, "items", defaults.items_days, MIN_ITEM_RETENTION_DAYS, "items"),
        pages_days=_retention_value(block, "pages", defaults.pages_days, MIN_PAGE_RETENTION_DAYS, "cached pages"))


def _retention_value(block: Block, key: str, default: int | None, minimum: int, what: str) -> int | None:
    """A retention duration in days (None: forever), at least `minimum` days, or `default` when absent or invalid."""
    value = block.get(key)
    if value is MISSING or value is None:
        return default
    if is_int(value):
        block.report(key, f"{key} {value} has no unit: write e.g. {value}d (days), or 'forever'")
        return default
    try:
        days = parse_retention(value)
    except ValueError as exc:
        block.report(key, f"invalid retention: {exc}")
        return default
    if days is not None and days < minimum:
        why = " (the weekly digest compares a week with the one before)" if what == "items" else ""
        block.report(key, f"keeping {what} {days} days is too short: the minimum is {minimum} days{why}; "
                          "write 'forever' to keep everything")
        return default
    return days


def _summarizer(block: Block, environ: Mapping[str, str]) -> SummarizerSettings:
    """`settings.summarizer`: extractive (default, bundled model), generative (needs `model`) or server
    (needs `base_url` and `model`; see server.py)."""
    defaults = SummarizerSettings()
    block.check_keys(SUMMARIZER_KEYS)
    backend = block.choice("backend", defaults.backend, SUMMARIZER_BACKENDS)
    sentences = block.integer("sentences", defaults.sentences, 1, 10)
    max_chars = block.integer("max_chars", defaults.max_chars, 80, 4000)
    model = block.text("model", defaults.model, nullable=True)
    if backend == "generative" and block.get("model") in (MISSING, None):
        # No generative model ships with techwatch (DESIGN.md): the user must name one.
        block.report("backend", "backend 'generative' needs 'model' (a Hugging Face model id or a local path)")
    if backend == "server" and block.get("model") in (MISSING, None):
        block.report("backend", "backend 'server' needs 'model', the model name the server serves")
    server = server_options(block, backend, environ)
    budget = _interval(block, "time_budget") or defaults.time_budget_seconds
    return SummarizerSettings(backend=backend, sentences=sentences, max_chars=max_chars, model=model,
                              time_budget_seconds=budget, **server)


def _tagger(block: Block | None) -> TaggerSettings:
    """`settings.tagger`: the document embedding model, threshold and number of tags per item."""
    defaults = TaggerSettings()
    block.check_keys(TAGGER_KEYS)
    threshold = block.get("threshold")
    if threshold in (MISSING, None):
        threshold = None
    elif not isinstance(threshold, (int, float)) or is_bool(threshold) or not 0 < threshold < 1:
        block.report("threshold", f"threshold must be a number between 0 and 1, got {describe(threshold)}")
        threshold = None
    return TaggerSettings(model=block.text("model", defaults.model, nullable=True),
                          threshold=None if threshold is None else float(threshold),
                          max_tags=block.integer("max_tags", defaults.max_tags, 1, 10))


def _fetch(block: Block | None, environ: Mapping[str, str]) -> FetchSettings:
    """`settings.fetch`: HTTP client limits and polling policy shared by every source, the GitHub token."""
    defaults = FetchSettings()
    block.check_keys(FETCH_KEYS)
    token_env = block.text("github_token_env", "GITHUB_TOKEN") or "GITHUB_TOKEN"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        block.report("github_token_env", f"github_token_env {token_env!r} is not an environment variable name")
    github_api = (block.text("github_api", defaults.github_api) or defaults.github_api).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", github_api):
        block.report("github_api", f"github_api {github_api!r} must be an http(s) address")
    registries = {key: _api_address(block, key, getattr(defaults, key)) for key in REGISTRY_KEYS}
    return FetchSettings(
        **registries,
        github_api=github_api, github_token=(environ.get(token_env) or "").strip() or None,
        timeout_seconds=block.positive_number("timeout", defaults.timeout_seconds),
        connect_timeout_seconds=block.positive_number("connect_timeout", defaults.connect_timeout_seconds),
        total_timeout_seconds=block.positive_number("total_timeout", defaults.total_timeout_seconds),
        max_bytes=block.integer("max_bytes", defaults.max_bytes, 1),
        max_redirects=block.integer("max_redirects", defaults.max_redirects, 0, 20),
        user_agent=block.text("user_agent", defaults.user_agent) or defaults.user_agent,
        concurrency=block.integer("concurrency", defaults.concurrency, 1, 256),
        per_host=block.integer("per_host", defaults.per_host, 1, 32),
        default_interval_seconds=_interval(block, "default_interval") or defaults.default_interval_seconds,
        stale_factor=block.positive_number("stale_factor", defaults.stale_factor),
        allow_networks=_networks(block, "allow_networks"),
    )


def _api_address(block: Block, key: str, default: str) -> str:
    """An http(s) base address of an API (a registry, OSV), without its trailing slash."""
    address = (block.text(key, default) or default).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", address):
        block.report(key, f"{key} {address!r} must be an http(s) address")
        return default
    return address


def _networks(block: Block, key: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A list of CIDR networks (10.0.0.0/8, fd00::/8; a bare address is one host)."""
    networks = []
    for value, line in block.text_list(key, "networks in CIDR notation, e.g. 10.0.0.0/8") or ():
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            block.report(key, f"{value!r} is not a network in CIDR notation (e.g. 10.0.0.0/8, 192.168.1.0/24, "
                              "fd00::/8)", line)
    return tuple(networks)


def _tags(top: Block) -> tuple[tuple[Tag, ...], set[str]]:
    """The taxonomy (unique slug names, one-line description for the tagger, keywords) and its names.

    The names are returned apart so that a tag with a broken description does not also make every
    source that uses it fail with 'unknown tag'.
    """
    tags: list[Tag] = []
    seen: dict[str, int] = {}
    for block, line, _index in mapping_entries(top, "tags", "tags (name, description, keywords)"):
        block.check_keys(TAG_KEYS)
        name = block.text("name", required=True)
        description = block.text("description", required=True)
        keywords = block.text_list("keywords", "keywords")
        # Titles or URLs of archived items: whether they match one is known only with the archive (feeds check, run).
        examples = block.text_list("examples", "titles or URLs of archived items")
        if name is not None and not TAG_NAME_RE.match(name):
            block.report("name", f"tag name {name!r} must be lower-case letters, digits and '-' "
                                 "(e.g. cloud-ai)")
            name = None
        if name is not None and name in seen:
            block.report("name", f"duplicate tag name {name!r} (first defined at line {seen[name]})")
            name = None
        if name is None:
            continue
        seen[name] = line
        if description is not None:
            tags.append(Tag(name=name, description=description,
                            keywords=tuple(word for word, _ in keywords or ()),
                            examples=tuple(TagExample(text, at) for text, at in examples or ())))
    return tuple(tags), set(seen)


def _sources(top: Block, known_tags: set[str]) -> tuple[Source, ...]:
    """The sources list; names are unique ignoring case, since they key the archive and the digest."""
    raw = top.get("sources")
    if raw is MISSING:
        top.report("sources", "missing required key 'sources': list at least one source (name and url)")
        return ()
    if raw is None or (isinstance(raw, CommentedSeq) and not raw):
        top.report("sources", "sources is empty: list at least one source (name and url)")
        return ()
    entries = mapping_entries(top, "sources", "sources (name, url, ...)")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    followed: dict[tuple[str, str], tuple[str, int]] = {}  # what a source polls -> (its name, line)
    for block, line, _index in entries:
        block.check_keys(SOURCE_KEYS)
        name = block.text("name", required=True)
        if name is not None and name.casefold() in seen:
            block.report("name", f"duplicate source name {name!r}: already used at line "
                                 f"{seen[name.casefold()]} (names are compared ignoring case)")
            name = None
        elif name is not None:
            seen[name.casefold()] = line
        kind = KINDS[block.choice("kind", "feed", SOURCE_KINDS)]
        url, project, repo = _release_target(block, kind) if kind.releases else (_source_url(block), None, None)
        tags = tag_names(block, "tags", known_tags)
        enabled = block.boolean("enabled", True)
        interval = _source_interval(block)
        # Release notes are in the feed or the page itself: fetching each release's web page adds nothing.
        extract = block.choice("extract", kind.default_extract, EXTRACT_MODES)
        weight = _weight(block)
        prereleases = block.boolean("prereleases", False)
        releases = block.choice("releases", "all", RELEASE_FILTERS)
        if not kind.releases:
            for key in ("repo", "package", "author", "project", "prereleases", "releases"):
                if block.get(key) is not MISSING:
                    block.report(key, f"{key!r} is only for release sources (kind: {', '.join(RELEASE_KINDS)})")
        page = _page_rules(block) if kind.listing_rules else None
        if not kind.listing_rules:
            for key in PAGE_KEYS:
                if block.get(key) is not MISSING:
                    block.report(key, f"{key!r} is only for web page sources (kind: {', '.join(LISTING_KINDS)})")
        render = _render(block, kind)
        manifest, dependency = _stack_origin(block)
        target = block.get(kind.target) if kind.releases and kind.target else None
        if name is not None and url is not None and not (enabled and _same_feed(block, name, kind, url, followed)):
            sources.append(Source(name=name, url=url, kind=kind.name, tags=tags, enabled=enabled,
                                  interval_seconds=interval, extract=extract, weight=weight, line=line,
                                  repo=repo, project=project or (name if kind.releases else None),
                                  prereleases=prereleases, releases=releases, page=page, render=render,
                                  target=target.strip() if isinstance(target, str) and target.strip() else None,
                                  manifest=manifest, dependency=dependency))
    return tuple(sources)


def _stack_origin(block: Block) -> tuple[str | None, str | None]:
    """A source's `manifest` (the file that brought it in) and `dependency` (pkg:pypi/httpx), as `feeds stack`
    writes them."""
    manifest = block.text("manifest")
    dependency = block.text("dependency")
    if dependency is not None and not DEPENDENCY_RE.match(dependency):
        block.report("dependency", f"dependency {dependency!r} must be a package URL without version: "
                                   "pkg:pypi/NAME, pkg:npm/NAME, pkg:golang/MODULE or pkg:cargo/NAME")
        dependency = None
    return manifest, dependency


def _render(block: Block, kind: SourceKind) -> str | None:
    """`render: chromium` on a page or watch source; reported on any other kind or value."""
    if block.get("render") is MISSING or block.get("render") is None:
        return None
    if not kind.renders:
        block.report("render", f"'render' is only for web page sources (kind: {', '.join(RENDERING_KINDS)})")
        return None
    value = block.text("render")
    if value is None:
        return None
    if value.strip().lower() not in RENDERERS:
        block.report("render", f"render {value!r} is not one of: {', '.join(RENDERERS)} (headless Debian chromium; "
                               "leave it out to read the HTML as served)")
        return None
    return value.strip().lower()


def _page_rules(block: Block) -> PageRules | None:
    """The overrides of a page source's article detection: CSS selectors or XPath, and URL patterns, each checked."""
    values: dict[str, str | None] = {}
    for key in ("item", "title", "link", "date"):
        value = block.text(key)
        problem = selector_problem(value, relative=key != "item") if value is not None else None
        if problem:
            block.report(key, f"{key}: {problem}")
            value = None
        values[key] = value
    patterns: dict[str, tuple[str, ...]] = {}
    for key in ("include", "exclude"):
        raw = block.get(key)
        entries = ((raw.strip(), block.line_of(key)),) if isinstance(raw, str) and raw.strip() else \
            block.text_list(key, "URL patterns (regular expressions)") or ()
        kept = []
        for pattern, line in entries:
            try:
                re.compile(pattern)
            except re.error as exc:
                block.report(key, f"{key} pattern {pattern!r} is not a valid regular expression: {exc}", line)
                continue
            kept.append(pattern)
        patterns[key] = tuple(kept)
    if (values["title"] or values["link"] or values["date"]) and not values["item"] and \
            block.get("item") is MISSING:
        block.report("title" if values["title"] else "link" if values["link"] else "date",
                     "title, link and date are read inside each item: give 'item' too (e.g. article.post, //article)")
    if not any(values.values()) and not any(patterns.values()):
        return None
    return PageRules(item=values["item"], title=values["title"], link=values["link"], date=values["date"],
                     include=patterns["include"], exclude=patterns["exclude"])


def _same_feed(block: Block, name: str, kind: SourceKind, url: str,
               followed: dict[tuple[str, str], tuple[str, int]]) -> bool:
    """Report an enabled source that polls what an earlier enabled one polls (its items would be stored twice);
    record it otherwise. A disabled source polls nothing: it may keep the url of the source that replaced it.

    URLs are compared as `feeds add` compares them (dedup.canonical_url: scheme, www., host case, default
    port, trailing slash and tracking parameters aside); release sources also by their repo, package or author.
    """
    keys: list[tuple[tuple[str, str], str, str]] = []  # (identity, the key it comes from, as shown)
    target = kind.target
    value = block.get(target) if target else MISSING
    if target and isinstance(value, str) and value.strip():
        keys.append(((kind.name, kind.identity(value)), target, f"{target} {value.strip()}"))
    keys.append((("url", canonical_url(url)), "url" if block.get("url") is not MISSING or not target else target,
                 f"url {url}"))
    for identity, key, shown in keys:
        if identity in followed:
            first, first_line = followed[identity]
            block.report(key, f"{shown} is already polled by source {first!r} at {block.problems.shown}:{first_line}; "
                              "remove one of the two (under two names every item would be fetched and stored twice)")
            return True
    for identity, key, _shown in keys:
        followed[identity] = (name, block.line_of(key))
    return False


def _release_target(block: Block, kind: SourceKind) -> tuple[str | None, str | None, str | None]:
    """(url, project, repo) of a release source: from its kind's target key (repo, package, author), or an
    explicit url (a changelog, a mirror)."""
    project = block.text("project")
    key = kind.target
    if key is None:
        return _source_url(block), project, None
    value = block.text(key)
    has_url = block.get("url") is not MISSING
    if value is None and not has_url:
        block.report(key, f"kind {kind.name} needs {key!r} (e.g. {key}: {kind.example})")
        return None, None, None
    if value is not None and not kind.target_form.match(value):
        block.report(key, f"{key} {value!r} must be {kind.target_form_text}")
        return None, None, None
    url = _source_url(block) if has_url else kind.target_url(value or "")
    default_project = kind.default_project(value) if value else None
    return url, project or default_project, value if key == "repo" else None



def _weight(block: Block) -> float:
    """A source's weight in the digest's ranking: a number from 0 to 10, 1 by default."""
    value = block.get("weight")
    if value is MISSING or value is None:
        return 1.0
    if is_bool(value) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
        block.report("weight", f"weight must be a number from 0 to 10 (1 = normal), got {describe(value)}")
        return 1.0
    return float(value)


def _source_url(block: Block) -> str | None:
    """An absolute http(s) URL with a host: anything else cannot be fetched."""
    url = block.text("url", required=True)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        block.report("url", f"url {url!r} is not a valid address: {exc}")
        return None
    if parts.scheme.lower() not in ("http", "https"):
        block.report("url", f"url {url!r} must start with http:// or https://")
        return None
    if any(ch.isspace() for ch in url):
        block.report("url", f"url {url!r} contains spaces (write them as %20)")
        return None
    try:
        host = parts.hostname
        _ = parts.port  # a non-numeric port raises here, not at fetch time
    except ValueError as exc:
        block.report("url", f"url {url!r} is not a valid address: {exc}")
        return None
    if not host:
        block.report("url", f"url {url!r} has no host name")
        return None
    return url


def _source_interval(block: Block) -> int | None:
    """Polling interval in seconds, or None for the default (settings.fetch.default_interval)."""
    return _interval(block, "interval")


def _interval(block: Block, key: str) -> int | None:
    """An interval field (`30m`, `6h`, `1h30m`) in seconds, or None when absent; a bare number has no unit."""
    value = block.get(key)
    if value is MISSING or value is None:
        return None
    if is_int(value):
        value = str(int(value))  # 90 or "90": minutes or seconds? parse_interval asks for the unit
    try:
        return parse_interval(value)
    except ValueError as exc:
        block.report(key, f"invalid interval: {exc}")
        return None
