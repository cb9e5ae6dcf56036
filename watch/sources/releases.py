"""Release sources: GitHub releases, PyPI, Hugging Face models and changelog pages → release entries."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, time
from html import escape, unescape
from urllib.parse import unquote

from ..dedup import canonical_url, entry_id, link_fields
from ..errors import ParseError
from ..records import Entry, FetchSettings, ParsedFeed, Release, Source
from ..text.textsafe import strip_controls
from .changelog import html_to_markdown, parse_changelog, parse_changelog_html
from .parse import clean_feed, iso_datetime, parse_feed
from .versions import Version, find_version, level, parse_version, passes_filter

# A changelog holds a project's whole history; the newest releases are news, the rest is archive.
CHANGELOG_RELEASES = 10
_MIN_LEVEL = {"all": "patch", "minor": "minor", "major": "major"}
_GITHUB_TAG = re.compile(r"/releases/tag/([^/?#]+)")


_NOTES_OPEN = '<pre class="release-notes">'


def notes_html(markdown: str) -> str:
    """Markdown release notes as the feed_html of an item: escaped, verbatim (see notes_text)."""
    return f"{_NOTES_OPEN}{escape(markdown)}</pre>"


def notes_text(feed_html: str) -> str:
    """The notes of a release item as Markdown: verbatim if notes_html() stored them, else converted from HTML."""
    if feed_html.startswith(_NOTES_OPEN) and feed_html.endswith("</pre>"):
        return strip_controls(unescape(feed_html[len(_NOTES_OPEN):-len("</pre>")]))
    return strip_controls(html_to_markdown(feed_html))  # entities may spell control characters


def github_api_request(source: Source, settings: FetchSettings) -> tuple[str, dict[str, str]] | None:
    """(url, headers) of the REST API call for a github-releases source when a token is set, else None
    (the public Atom feed is used; a source given its own `url` always uses that)."""
    if source.kind != "github-releases" or not source.repo or not settings.github_token:
        return None
    if source.url != f"https://github.com/{source.repo}/releases.atom":
        return None
    return (f"{settings.github_api}/repos/{source.repo}/releases?per_page=30",
            {"Authorization": f"Bearer {settings.github_token}", "Accept": "application/vnd.github+json",
             "X-GitHub-Api-Version": "2022-11-28"})


def parse_source(source: Source, content: bytes, *, base_url: str, content_type: str = "",
                 now: datetime | None = None) -> ParsedFeed:
    """Read a fetched document of `source` (a feed, or a release source of any kind) into entries."""
    if source.kind == "feed":
        return parse_feed(content, source_name=source.name, base_url=base_url, content_type=content_type, now=now)
    return clean_feed(_parse_releases(source, content, base_url, content_type, now))


def _parse_releases(source: Source, content: bytes, base_url: str, content_type: str,
                    now: datetime | None) -> ParsedFeed:
    if source.kind == "changelog":
        return _changelog(source, content, base_url, content_type)
    if source.kind == "huggingface":
        return _huggingface(source, content)
    if source.kind == "github-releases" and content.lstrip()[:1] == b"[":
        return _github_api(source, content)
    feed = parse_feed(content, source_name=source.name, base_url=base_url, content_type=content_type, now=now)
    entries = []
    versioned = 0
    for entry in feed.entries:
        version = _feed_version(source, entry)
        versioned += version is not None
        if version is not None and _wanted(source, version):
            entries.append(_as_release(source, entry, version))
    if feed.entries and not versioned:
        what = "links to /releases/tag/" if source.kind == "github-releases" else "names a version"
        raise ParseError(f"not a releases feed: none of its {len(feed.entries)} entries {what} "
                         "(for a commits or news feed use kind: feed)")
    return dataclasses.replace(feed, entries=tuple(entries))


def _github_api(source: Source, content: bytes) -> ParsedFeed:
    """GET /repos/{owner}/{repo}/releases: drafts left out, GitHub's own pre-release flag kept."""
    try:
        releases = json.loads(_decode(content))
    except json.JSONDecodeError as exc:
        raise ParseError(f"not a GitHub releases list (invalid JSON: {exc})") from exc
    entries = []
    for release in releases if isinstance(releases, list) else ():
        if not isinstance(release, dict) or release.get("draft") or not release.get("tag_name"):
            continue
        tag = str(release["tag_name"])
        version = parse_version(tag) or find_version(tag, source.project) or find_version(
            str(release.get("name") or ""), source.project)
        if version is None:
            continue
        if release.get("prerelease") and not version.prerelease:
            version = dataclasses.replace(version, prerelease=True)
        if not _wanted(source, version):
            continue
        url = str(release.get("html_url") or f"https://github.com/{source.repo}/releases/tag/{tag}")
        entry = Entry(id="", source=source.name, guid=str(release.get("id") or tag), **link_fields(url),
                      title=str(release.get("name") or tag),
                      author=(release.get("author") or {}).get("login"),
                      published=iso_datetime(release.get("published_at") or release.get("created_at")),
                      feed_html=notes_html(str(release.get("body") or "")))
        entries.append(_as_release(source, entry, version))
    return ParsedFeed(title=f"{source.project or source.name} releases", link=f"https://github.com/{source.repo}",
                      language=None, entries=tuple(entries), format="github-api")


def _feed_version(source: Source, entry: Entry) -> Version | None:
    """The version of a GitHub release (its tag, never a commit) or a PyPI release (its title)."""
    if source.kind == "github-releases":
        tag = _GITHUB_TAG.search(entry.url or "")
        if tag is None:
            return None
        name = unquote(tag.group(1))
        return parse_version(name) or find_version(name, source.project) or find_version(entry.title or "",
                                                                                         source.project)
    return find_version(entry.title or "", source.project)


def _wanted(source: Source, version: Version) -> bool:
    return passes_filter(version, include_prereleases=source.prereleases, min_level=_MIN_LEVEL[source.releases])


def _release(source: Source, version: Version) -> Release:
    return Release(project=source.project or source.name, version=version.text, prerelease=version.prerelease,
                   level=level(version))


def _as_release(source: Source, entry: Entry, version: Version) -> Entry:
    project = source.project or source.name
    title = (entry.title or "").strip()
    # "v5.24.0" or "5.24.0" alone says nothing a reader needs; a named release keeps its name.
    bare = not title or parse_version(title) is not None or title.lower().lstrip("v") == version.text.lower()
    if bare:
        title = f"{project} {version.text}"
    elif project.lower() not in title.lower():
        title = f"{project} {title}"
    entry = dataclasses.replace(entry, title=title, release=_release(source, version))
    tag = _GITHUB_TAG.search(entry.url or "") if source.kind == "github-releases" else None
    if tag:
        # One id per tag, whether the release came from the Atom feed or the API (a token set later).
        key = f"release:{unquote(tag.group(1))}"
        entry = dataclasses.replace(entry, id=entry_id(source.name, key), guid=key)
    return entry


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _changelog(source: Source, content: bytes, base_url: str, content_type: str) -> ParsedFeed:
    text = _decode(content)
    is_html = "html" in content_type.lower() or text.lstrip()[:1] == "<"
    releases = parse_changelog_html(text) if is_html else parse_changelog(text)
    if not releases:
        raise ParseError("no version headings found: not a changelog (expected e.g. '## 1.2.0 (2024-05-01)' "
                         "or '## [1.2.0] - 2024-05-01')")
    project = source.project or source.name
    entries = []
    for position, release in enumerate(releases[:CHANGELOG_RELEASES]):
        if not _wanted(source, release.version):
            continue
        if release.date is None and position > 0:
            # Without a date, only the version on top is known to be current: the older ones would be
            # filed as released today. Later polls add each new version on top, when it appears.
            continue
        anchor = re.sub(r"[^\w\- ]", "", release.heading.lower()).strip().replace(" ", "-")
        url = f"{base_url.split('#')[0]}#{anchor}"
        published = datetime.combine(release.date, time(), UTC) if release.date else None
        entries.append(Entry(
            id=entry_id(source.name, f"version:{release.version.text}"), source=source.name,
            # The page is the same for every release: the anchor is what tells them apart (and links to it).
            guid=f"version:{release.version.text}", url=url, canonical_url=url,
            title=f"{project} {release.version.text}", author=None, published=published,
            feed_html=notes_html(release.notes), release=_release(source, release.version)))
    return ParsedFeed(title=f"{project} changelog", link=base_url, language=None, entries=tuple(entries),
                      format="changelog")


def _huggingface(source: Source, content: bytes) -> ParsedFeed:
    """The Hub's public model list of an author, newest first: each new model is a release of the family."""
    try:
        models = json.loads(_decode(content))
    except json.JSONDecodeError as exc:
        raise ParseError(f"not a Hugging Face model list (invalid JSON: {exc})") from exc
    if not isinstance(models, list):
        raise ParseError("not a Hugging Face model list (expected a JSON array of models)")
    project = source.project or source.name
    entries = []
    for model in models:
        model_id = model.get("id") or model.get("modelId") if isinstance(model, dict) else None
        if not isinstance(model_id, str) or not model_id:
            continue
        name = model_id.split("/")[-1]
        when = iso_datetime(model.get("createdAt") or model.get("lastModified"))
        url = f"https://huggingface.co/{model_id}"
        found = find_version(name)
        entries.append(Entry(
            id=entry_id(source.name, f"model:{model_id}"), source=source.name, guid=f"model:{model_id}", url=url,
            canonical_url=canonical_url(url), title=f"New model: {model_id}", author=model_id.split("/")[0],
            published=when, feed_html="",
            release=Release(project=project, version=name, prerelease=bool(found and found.prerelease),
                            level="major")))
    return ParsedFeed(title=f"{project} on Hugging Face", link="https://huggingface.co/" + project, language=None,
                      entries=tuple(entries), format="huggingface-json")
