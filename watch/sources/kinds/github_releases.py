"""kind: github-releases — a repository's releases: the public Atom feed, or the REST API with a token."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from urllib.parse import unquote

from ...dedup import entry_id, link_fields
from ...errors import FetchError, ParseError
from ...records import Entry, FetchSettings, ParsedFeed, Source
from ..parse import iso_datetime
from ..releases import as_release, decode, notes_html, releases_feed, wanted
from ..versions import Version, find_version, parse_version
from .base import SourceKind

_GITHUB_TAG = re.compile(r"/releases/tag/([^/?#]+)")


class GitHubReleases(SourceKind):
    """GitHub releases (tags only, never commits), one item per tag whichever way they were read."""

    name = "github-releases"
    target = "repo"
    address = "https://github.com/{}/releases.atom"
    example = "vllm-project/vllm"
    target_form = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    target_form_text = "owner/name"

    def api_request(self, source: Source, settings: FetchSettings) -> tuple[str, dict[str, str]] | None:
        """The REST API call when a token is set (a source given its own `url` always uses that)."""
        if not source.repo or not settings.github_token:
            return None
        if source.url != self.target_url(source.repo):
            return None
        return (f"{settings.github_api}/repos/{source.repo}/releases?per_page=30",
                {"Authorization": f"Bearer {settings.github_token}", "Accept": "application/vnd.github+json",
                 "X-GitHub-Api-Version": "2022-11-28"})

    def api_failure(self, error: FetchError) -> FetchError:
        """A refused API call names the token and the rate limit."""
        if error.status not in (401, 403):
            return error
        return FetchError(f"{error} from the GitHub API: check the token (settings.fetch.github_token_env) "
                          "or the rate limit", url=error.url, status=error.status, retry_after=error.retry_after)

    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """Releases from the API's JSON list or the Atom feed, each identified by its tag."""
        if content.lstrip()[:1] == b"[":
            feed = _api_releases(source, content)
        else:
            feed = releases_feed(source, content, base_url, content_type, now,
                                 version_of=lambda entry: _tag_version(source, entry),
                                 missing="links to /releases/tag/")
        return dataclasses.replace(feed, entries=tuple(_by_tag(source, e) for e in feed.entries))


def _tag_version(source: Source, entry: Entry) -> Version | None:
    """The version of a release entry of the Atom feed: its tag (a commit has none)."""
    tag = _GITHUB_TAG.search(entry.url or "")
    if tag is None:
        return None
    name = unquote(tag.group(1))
    return parse_version(name) or find_version(name, source.project) or find_version(entry.title or "",
                                                                                     source.project)


def _by_tag(source: Source, entry: Entry) -> Entry:
    """One id per tag, whether the release came from the Atom feed or the API (a token set later)."""
    tag = _GITHUB_TAG.search(entry.url or "")
    if not tag:
        return entry
    key = f"release:{unquote(tag.group(1))}"
    return dataclasses.replace(entry, id=entry_id(source.name, key), guid=key)


def _api_releases(source: Source, content: bytes) -> ParsedFeed:
    """GET /repos/{owner}/{repo}/releases: drafts left out, GitHub's own pre-release flag kept."""
    try:
        releases = json.loads(decode(content))
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
        if not wanted(source, version):
            continue
        url = str(release.get("html_url") or f"https://github.com/{source.repo}/releases/tag/{tag}")
        entry = Entry(id="", source=source.name, guid=str(release.get("id") or tag), **link_fields(url),
                      title=str(release.get("name") or tag),
                      author=(release.get("author") or {}).get("login"),
                      published=iso_datetime(release.get("published_at") or release.get("created_at")),
                      feed_html=notes_html(str(release.get("body") or "")))
        entries.append(as_release(source, entry, version))
    return ParsedFeed(title=f"{source.project or source.name} releases", link=f"https://github.com/{source.repo}",
                      language=None, entries=tuple(entries), format="github-api")
