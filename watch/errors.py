"""Exception hierarchy: foreign errors are translated into these where they happen (house rule 4).

```
WatchError                    exit code 1 unless stated
├── ConfigError               feeds.yaml or the environment (exit 2)
├── FetchError                network, HTTP status, size cap (.url, .status, .retry_after)
│   ├── EgressRefused         a feed's URL points at a non-public address or scheme
│   ├── RobotsDisallowed      robots.txt forbids the page
│   └── RenderError           headless chromium missing, timed out, or failed (`render: chromium`)
├── ParseError                not a readable feed or release document
│   └── LayoutChanged         a listing page suddenly gives no or far too many articles
├── ExtractError              no article text in a page
├── ModelError                the model cannot load or failed
├── StoreError                the archive cannot be opened or migrated
│   └── SearchSyntaxError     the search text is not valid FTS5 syntax
├── LockHeld                  another process holds the archive lock (exit 3)
├── QueryError                a query the archive cannot answer (exit 2)
├── BrowseError               Datasette missing or failing
├── DeliveryError             a digest not written or not sent
└── DiscoveryError            no usable feed at or behind a URL (.tried)
```
"""

from __future__ import annotations


class WatchError(Exception):
    """Base class of every error techwatch reports to a user."""

    exit_code = 1


class ConfigError(WatchError):
    """feeds.yaml or the environment is invalid; the message names file, line and field."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.path, self.line, self.field = path, line, field
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")


class FetchError(WatchError):
    """A source or page could not be fetched (network, HTTP status, size cap)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        self.url, self.status, self.retry_after = url, status, retry_after
        super().__init__(message)


class EgressRefused(FetchError):
    """A URL that came from a feed points at a non-public address (or a scheme) techwatch does not fetch."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching the page: a lasting answer, remembered like a 4xx."""


class RenderError(FetchError):
    """A page could not be rendered by headless chromium (not installed, timed out, too large, crashed)."""


class ParseError(WatchError):
    """A fetched document is not a feed that can be read."""


class LayoutChanged(ParseError):
    """A listing page gave no articles, or many times its usual count: nothing was added from it."""


class ExtractError(WatchError):
    """Article text could not be extracted from a page."""


class ModelError(WatchError):
    """The model could not be loaded or failed on an input."""


class StoreError(WatchError):
    """The archive could not be opened or migrated."""


class SearchSyntaxError(StoreError):
    """The search text is not valid FTS5 query syntax."""


class LockHeld(WatchError):
    """Another techwatch process holds the archive lock; nothing was done (`holder` says who)."""

    exit_code = 3

    def __init__(self, message: str, *, database: object, holder: dict | None) -> None:
        self.database, self.holder = database, holder or {}
        super().__init__(message)


class QueryError(WatchError):
    """A query command was given something it cannot answer (bad date, unknown tag, ambiguous id)."""

    exit_code = 2


class BrowseError(WatchError):
    """Datasette is missing or could not serve the archive."""


class DeliveryError(WatchError):
    """A digest could not be written or sent."""


class DiscoveryError(WatchError):
    """No usable feed was found at or behind a URL; `tried` lists every address attempted."""

    def __init__(self, message: str, *, url: str = "", tried: tuple[str, ...] = ()) -> None:
        self.url, self.tried = url, tried
        super().__init__(message)
