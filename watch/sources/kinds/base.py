"""What a kind of source says about itself: how feeds.yaml names it, where it is read from, how it is parsed."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar

import httpx

from ...errors import FetchError
from ...http.client import HostLimiter
from ...records import FetchResult, FetchSettings, ParsedFeed, Source, Summary
from ..parse import clean_feed


class SourceKind(ABC):
    """One `kind:` of feeds.yaml. The refresh path, the config check and the digest ask it; none branches on names."""

    name: ClassVar[str]
    # Its items are releases: listed by project and version in the digest, summarized from their notes,
    # and their pages are not fetched unless the source says `extract:`.
    releases: ClassVar[bool] = True
    # The feeds.yaml key naming what to follow (repo, package, author), the address template it fills,
    # an example value for messages, and the form the value must have. None: the source gives a `url`.
    target: ClassVar[str | None] = None
    address: ClassVar[str] = ""
    example: ClassVar[str] = ""
    target_form: ClassVar[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    target_form_text: ClassVar[str] = "a name of letters, digits, '.', '_' or '-'"
    # Feeds are parsed by pure-Python feedparser, in the process pool when there are many; release
    # documents are small and parsed where they are fetched.
    parse_in_pool: ClassVar[bool] = False
    # It reads a web page's article list, which feeds.yaml may correct (item, title, link, date, include, exclude).
    listing_rules: ClassVar[bool] = False
    # Its page may be built by JavaScript: feeds.yaml may say `render: chromium` to render it headless first.
    renders: ClassVar[bool] = False

    @property
    def default_extract(self) -> str:
        """The `extract:` mode when feeds.yaml gives none: release notes are the text, news links to it."""
        return "never" if self.releases else "auto"

    def identity(self, value: str) -> str:
        """The form under which two values of `target` name the same thing (for the duplicate check)."""
        return value.strip().casefold()

    def target_url(self, value: str) -> str:
        """The address a source is read from, given its `target` value."""
        return self.address.format(value)

    def default_project(self, value: str) -> str:
        """The project name releases are listed under when feeds.yaml gives no `project`."""
        return value.split("/")[-1]

    def api_request(self, source: Source, settings: FetchSettings) -> tuple[str, dict[str, str]] | None:
        """(url, headers) of an API call that replaces the public address (a token is set), or None."""
        return None

    def assemble(self, client: httpx.Client, source: Source, settings: FetchSettings, limiter: HostLimiter | None,
                 previous: str | None) -> FetchResult | None:
        """A document this kind builds from several API calls (raises FetchError); None: fetch `url` as usual."""
        return None

    def api_failure(self, error: FetchError) -> FetchError:
        """The error of a failed API call, with what the user should check."""
        return error

    def own_summary(self, feed_html: str) -> Summary | None:
        """A summary this kind writes itself from an item's feed_html, in place of the model's; None for none."""
        return None

    @abstractmethod
    def read(self, source: Source, content: bytes, base_url: str, content_type: str,
             now: datetime | None) -> ParsedFeed:
        """Entries of a fetched document of this kind; raises ParseError when it is not one."""

    def parse(self, source: Source, content: bytes, *, base_url: str, content_type: str = "",
              now: datetime | None = None, previous: str | None = None) -> ParsedFeed:
        """Entries of a fetched document, cleaned as every parsed feed is.

        `previous` is the state this kind kept from its last parse of the source (ParsedFeed.state);
        stateless kinds ignore it.
        """
        feed = self.read(source, content, base_url, content_type, now)
        return clean_feed(feed) if self.releases else feed
