"""dedup.py: canonical URLs, ids and content hashes."""

from __future__ import annotations

import pytest

from watch.dedup import canonical_url, content_hash, entry_id


@pytest.mark.parametrize(("url", "expected"), [
    ("https://Example.com/a/?utm_source=x&utm_medium=y", "https://example.com/a"),
    ("http://www.example.com:80/a#frag", "https://example.com/a"),
    ("https://example.com:8443/a?b=2&a=1", "https://example.com:8443/a?a=1&b=2"),
    ("https://example.com/a?fbclid=1&gclid=2&id=7", "https://example.com/a?id=7"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com//a//b/", "https://example.com/a/b"),
    ("", ""),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_entry_id_stable_and_distinct():
    assert entry_id("S", "guid-1") == entry_id("S", "guid-1")
    assert entry_id("S", "guid-1") != entry_id("S", "guid-2")
    assert entry_id("S", "guid-1") != entry_id("T", "guid-1")
    assert len(entry_id("S", "x")) == 20


def test_content_hash_separates_fields():
    assert content_hash("ab", "c") != content_hash("a", "bc")
    assert content_hash("x", None) == content_hash("x", "")
    assert content_hash("x") != content_hash("y")
