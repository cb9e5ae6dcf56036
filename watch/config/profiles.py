"""`digests:` in feeds.yaml: one digest profile per team, each checked against the taxonomy, the sources and Apprise.

A profile leaves out what it keeps from settings.digest (max_items, formats, day, time...) and the
top-level `interests`; the profile named `default` is the digest for everyone and keeps its paths.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from watch.records import DEFAULT_PROFILE, DEFAULT_TITLE, DigestProfile, Settings

from .apprise_urls import ENV_NAME_RE, apprise_problem, shown_url
from .fields import WEEKDAYS, clock_time, digest_formats, recipients, relevance_floor, tag_names
from .validate import MISSING, Block, key_list, mapping_entries

PROFILE_KEYS = ("name", "title", "interests", "tags", "exclude_tags", "sources", "max_items", "max_also",
                "per_source", "relevance_floor", "formats", "day", "time", "email", "notify", "notify_env")
# A profile's name is the directory of its files (digests/<name>/): nothing a shell or a URL must quote.
PROFILE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def source_names(document: Any) -> dict[str, str]:
    """The names the `sources:` list gives (compared ignoring case, as source names are), even of broken
    entries, so a profile naming one is not also reported: casefolded name -> name as written."""
    raw = document.get("sources") if isinstance(document, CommentedMap) else None
    names: dict[str, str] = {}
    for entry in raw if isinstance(raw, list) else ():
        name = entry.get("name") if isinstance(entry, CommentedMap) else None
        if isinstance(name, str) and name.strip():
            names.setdefault(name.strip().casefold(), name.strip())
    return names


def digest_profiles(top: Block, settings: Settings, interests: str, known_tags: set[str],
                    sources: dict[str, str], *, smtp: bool) -> tuple[DigestProfile, ...]:
    """The `digests:` list, each profile resolved against settings.digest; () without the key.

    `smtp`: whether feeds.yaml has a settings.email block, which a profile's `email:` recipients need.
    """
    if top.get("digests") in (MISSING, None):
        return ()
    raw = top.get("digests")
    if isinstance(raw, list) and not raw:
        top.report("digests", "digests is empty: list at least one profile (name: ...), or leave the key out "
                              "for one digest for everyone")
    profiles: list[DigestProfile] = []
    seen: dict[str, int] = {}
    for block, line, _index in mapping_entries(top, "digests", "digest profiles (name, interests, tags, ...)",
                                               "profile"):
        profile = _profile(block, line, settings, interests, known_tags, sources, smtp=smtp)
        if profile is None:
            continue
        if profile.name in seen:
            block.report("name", f"duplicate digest profile name {profile.name!r} (first defined at line "
                                 f"{seen[profile.name]})")
            continue
        seen[profile.name] = profile.line
        profiles.append(profile)
    return tuple(profiles)


def _profile(block: Block, line: int, settings: Settings, interests: str, known_tags: set[str],
             sources: dict[str, str], *, smtp: bool) -> DigestProfile | None:
    """One profile of `digests:`; None when its name is missing or unusable (the rest is still checked)."""
    block.check_keys(PROFILE_KEYS)
    name = block.text("name", required=True)
    if name is not None and not PROFILE_NAME_RE.match(name):
        block.report("name", f"profile name {name!r} must be lower-case letters, digits, '-' and '_' (at most 64, "
                             "e.g. ml-team): it names the directory of the profile's digests")
        name = None
    digest = settings.digest
    default = name == DEFAULT_PROFILE
    tags = tag_names(block, "tags", known_tags)
    exclude = tag_names(block, "exclude_tags", known_tags)
    for tag in sorted(set(tags) & set(exclude)):
        block.report("exclude_tags", f"tag {tag!r} is in both tags and exclude_tags")
    email = recipients(block, "email") or ()
    if email and not smtp:
        block.report("email", "email recipients need the SMTP server of settings.email (host, from)")
    profile = DigestProfile(
        name=name or "", line=line,
        title=block.text("title") or (DEFAULT_TITLE if default else f"{DEFAULT_TITLE} ({name})"),
        interests=block.text("interests", one_line=False, nullable=True) or interests,
        directory=digest.directory if default else Path(digest.directory) / (name or "_"),
        tags=tags, exclude_tags=exclude, sources=_sources(block, sources),
        max_items=block.integer("max_items", digest.max_items, 1, 500),
        max_also=block.integer("max_also", digest.max_also, 0, 1000),
        per_source=block.integer("per_source", digest.per_source, 1, 500),
        relevance_floor=relevance_floor(block) if block.get("relevance_floor") is not MISSING
        else digest.relevance_floor,
        formats=digest_formats(block, digest.formats),
        day=block.choice("day", digest.day, WEEKDAYS), time=clock_time(block, digest.time),
        email=email or (settings.email.recipients if default and settings.email is not None else ()),
        notify=_notify(block), notify_env=_notify_env(block))
    return profile if name is not None else None


def _sources(block: Block, known: dict[str, str]) -> tuple[str, ...]:
    """`sources:` of a profile: names of configured sources (ignoring case), as the `sources:` list writes them."""
    names: list[str] = []
    for value, line in block.text_list("sources", "source names") or ():
        name = known.get(value.casefold())
        if name is None:
            shown = key_list(tuple(sorted(known.values(), key=str.casefold))) or "none"
            block.report("sources", f"unknown source {value!r} (sources: {shown})", line)
        elif name in names:
            block.report("sources", f"source {value!r} is listed twice", line)
        else:
            names.append(name)
    return tuple(names)


def _one_or_list(block: Block, key: str, what: str) -> tuple[tuple[str, int], ...]:
    """A text value or a list of them, each with its line."""
    value = block.get(key)
    if isinstance(value, str):
        return ((value.strip(), block.line_of(key)),) if value.strip() else ()
    return block.text_list(key, what) or ()


def _notify(block: Block) -> tuple[str, ...]:
    """`notify:` Apprise URLs, each parsed by Apprise (nothing is sent); messages show only their scheme."""
    urls: list[str] = []
    for url, line in _one_or_list(block, "notify", "Apprise URLs (slack://..., json://...)"):
        problem = apprise_problem(url)
        if problem:
            block.report("notify", f"notify URL {shown_url(url)} {problem}", line)
        elif url in urls:
            block.report("notify", f"notify URL {shown_url(url)} is listed twice", line)
        else:
            urls.append(url)
    return tuple(urls)


def _notify_env(block: Block) -> tuple[str, ...]:
    """`notify_env:` names of environment variables holding Apprise URLs; their values are read at delivery."""
    names: list[str] = []
    for name, line in _one_or_list(block, "notify_env", "environment variable names"):
        if not ENV_NAME_RE.match(name):
            block.report("notify_env", f"notify_env {name!r} is not an environment variable name "
                                       "(letters, digits and _, e.g. TECHWATCH_SLACK_URL)", line)
        elif name not in names:
            names.append(name)
    return tuple(names)
