"""Small feed documents shared by several test files."""

from __future__ import annotations

import json

# Well-formed feeds without a single entry, one per format: they parse, and a source serving one is "empty".
EMPTY_FEEDS = {
    "rss": "<?xml version='1.0'?><rss version='2.0'><channel><title>Empty</title><link>https://e.org/</link>"
           "</channel></rss>",
    "atom": "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Empty</title><id>urn:x</id>"
            "<updated>2026-11-01T00:00:00Z</updated></feed>",
    "rdf": "<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
           "xmlns='http://purl.org/rss/1.0/'><channel rdf:about='https://e.org/'><title>Empty</title>"
           "<link>https://e.org/</link><items><rdf:Seq/></items></channel></rdf:RDF>",
    "cdf": "<?xml version='1.0'?><CHANNEL HREF='https://e.org/'><TITLE>Empty</TITLE>"
           "<ABSTRACT>Nothing yet</ABSTRACT></CHANNEL>",
    "json": json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Empty", "items": []}),
}
