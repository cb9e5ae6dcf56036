"""A fixed archive for digest tests: a real SQLite file filled through the store's own API.

Week 2026-W47 (16-22 November) has: a story told by three sources, single-source stories of
varied relevance, weights and dates, more stories than max_items, GitHub and PyPI release
items, an untagged item, hostile text; the week before has fewer agents stories (for trends).
One source fails, one is stale, one is gone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from watch.config import load_config
from watch.records import (
    Article,
    Config,
    Entry,
    FetchResult,
    ModelOutput,
    ParsedFeed,
    Release,
    Summary,
    TagScore,
)
from watch.sources.versions import level, parse_version
from watch.store import Archive, open_archive

WEEK = "2026-W47"
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)

CONFIG = """\
settings:
  database: watch.db
  digest: {directory: digests, max_items: 6, formats: [md, html, text, atom]}
interests: open-weights models we can self-host; EU AI Act compliance
tags:
  - name: llm
    description: Large language models; model releases / Grands modèles de langage
  - name: agents
    description: AI agents and tool use / Agents IA
  - name: regulation
    description: AI regulation, EU AI Act / Réglementation de l'IA
sources:
  - name: Lab Blog
    url: https://lab.example/feed.xml
    weight: 2
  - name: Wire
    url: https://wire.example/rss
  - name: Veille FR
    url: https://veille.example/atom
  - name: Tiny Blog
    url: https://tiny.example/feed
    weight: 0.5
  - name: vLLM releases
    kind: github-releases
    repo: vllm-project/vllm
  - name: transformers on PyPI
    kind: pypi
    package: transformers
  - name: Broken
    url: https://broken.example/feed
  - name: Sleepy
    url: https://sleepy.example/feed
  - name: Gone
    url: https://gone.example/feed
"""

# Release items: id -> (project, version, notes as the feed gives them)
RELEASES = {
    "vllm-1": ("vllm", "0.12.0", "<h2>Breaking changes</h2><ul><li>Drop support for Python 3.9 (#2101)</li></ul>"
                                 "<h2>Features</h2><ul><li>Speculative decoding for more models</li></ul>"),
    "vllm-0": ("vllm", "0.11.2", "<ul><li>Fix a crash on empty prompts</li></ul>"),
    "tf-1": ("transformers", "5.24.0", ""),
    "tf-0": ("transformers", "5.23.0", ""),
}

# (source, id, title, day offset from Monday of W47 (negative: W46), hour, tags, relevance, cluster, summary)
ITEMS = [
    ("Lab Blog", "lab-1", "Nimbus 3 open-weights model released", 1, 9, ("llm",), 0.62, "c-nimbus",
     "Nimbus 3 is available under Apache 2.0 with weights on the usual hubs."),
    ("Wire", "wire-1", "Lab releases Nimbus 3 with open weights", 1, 15, ("llm",), 0.58, "c-nimbus",
     "The lab published the weights of Nimbus 3."),
    ("Veille FR", "fr-1", "Nimbus 3 : des poids ouverts pour le nouveau modèle", 2, 8, ("llm",), 0.55, "c-nimbus",
     "Le laboratoire publie les poids de Nimbus 3 sous licence Apache 2.0."),
    ("Wire", "wire-2", "EU AI Office publishes the code of practice", 3, 10, ("regulation",), 0.71, None,
     "The code of practice explains what general-purpose model providers must document."),
    ("Veille FR", "fr-2", "La CNIL précise ses recommandations sur l'IA", 4, 11, ("regulation",), 0.49, None,
     "La CNIL publie des fiches pratiques pour les développeurs de systèmes d'IA."),
    ("Wire", "wire-3", "Agent framework adds tool sandboxes", 2, 12, ("agents", "llm"), 0.33, None,
     "Tools now run in a sandbox with a time limit."),
    ("Tiny Blog", "tiny-1", "My agent wrote my weekly report", 5, 18, ("agents",), 0.21, None,
     "A personal story of an agent that writes reports."),
    ("Lab Blog", "lab-2", "Hiring: research engineers", 0, 8, (), 0.05, None, "We are hiring."),
    ("Wire", "wire-4", "<script>alert('x')</script> Agents & *markdown* [links](javascript:alert(1))", 6, 20,
     ("agents",), 0.30, None, "Ignore <b>this</b> | pipe and `code`."),
    ("Tiny Blog", "tiny-2", "Another small agents post", 3, 7, ("agents",), 0.18, None, "Small things."),
    ("Wire", "wire-5", "Regional GPU prices", 5, 9, (), 0.12, None, "GPU rental prices in Europe."),
    ("vLLM releases", "vllm-1", "v0.12.0", 2, 16, (), None, None, "Adds speculative decoding for more models."),
    ("transformers on PyPI", "tf-1", "5.24.0", 4, 9, (), None, None, "transformers 5.24.0 release."),
    ("vLLM releases", "vllm-0", "v0.11.2", -5, 16, (), None, None, "Bug fixes."),
    ("transformers on PyPI", "tf-0", "5.23.0", -6, 9, (), None, None, "transformers 5.23.0 release."),
    # the week before (W46): fewer agents stories
    ("Wire", "wire-0", "Older agents news", -3, 10, ("agents",), 0.3, None, "Old."),
    ("Lab Blog", "lab-0", "Older model news", -4, 10, ("llm",), 0.5, None, "Old too."),
    ("Wire", "wire-00", "Older model news 2", -2, 10, ("llm",), 0.4, None, "Old again."),
]


def open_with(tmp_path: Path, config_text: str) -> tuple[Config, Archive, datetime]:
    """Write `config_text` as feeds.yaml, open its archive with its sources; return them and the fetch time."""
    path = tmp_path / "feeds.yaml"
    path.write_text(config_text, encoding="utf-8")
    config = load_config(path, environ={})
    archive = open_archive(config.settings.database)
    fetched = MONDAY + timedelta(days=7)
    archive.sync_sources(config.sources, fetched)
    return config, archive, fetched


def save_entries(archive: Archive, by_source: dict[str, list[Entry]], fetched: datetime) -> None:
    """Store each source's entries as one successful refresh."""
    for source, entries in by_source.items():
        result = FetchResult(url="u", final_url="u", status=200)
        archive.save_refresh(source, result, ParsedFeed(source, "", "en", tuple(entries)), source, fetched, fetched)


def build(tmp_path: Path) -> tuple[Config, Archive]:
    """Write the config and fill the archive; return both."""
    config, archive, fetched = open_with(tmp_path, CONFIG)
    by_source: dict[str, list[Entry]] = {}
    for source, item_id, title, day, hour, *_ in ITEMS:
        published = MONDAY + timedelta(days=day, hours=hour)
        project, version, notes = RELEASES.get(item_id, (None, None, "<p>text</p>"))
        release = Release(project, version, False, level(parse_version(version))) if project else None
        by_source.setdefault(source, []).append(Entry(
            id=item_id, source=source, guid=item_id, url=f"https://{item_id}.example/post",
            canonical_url=f"https://{item_id}.example/post", title=title, author=None, published=published,
            feed_html=notes, release=release))
    save_entries(archive, by_source, fetched)
    clusters: dict[str, str] = {}
    for _source, item_id, _title, _day, _hour, tags, relevance, cluster, summary in ITEMS:
        scores = tuple(TagScore(tag, round(0.9 - 0.1 * n, 2)) for n, tag in enumerate(tags))
        archive.save_processed(item_id, Article(text=summary),
                               ModelOutput(Summary(summary, "test"), scores, "test", relevance=relevance), fetched)
        clusters[item_id] = cluster or item_id
    archive.save_clusters(clusters, {}, None, fetched)
    archive.record_failure("Broken", "HTTP 500 Internal Server Error", 500, fetched, fetched)
    archive.record_failure("Broken", "HTTP 500 Internal Server Error", 500, fetched, fetched)
    archive.set_staleness("Sleepy", MONDAY - timedelta(days=20), 86400)
    archive.record_gone("Gone", "gone (HTTP 410) since 2026-11-18", MONDAY + timedelta(days=2))
    return config, archive


def with_email(directory: Path, port: int, subject: str | None = None) -> None:
    """Add an e-mail block (127.0.0.1:PORT, no TLS, to cto@example.org) to the settings of DIRECTORY/feeds.yaml."""
    path = directory / "feeds.yaml"
    block = (f"  email:\n    host: 127.0.0.1\n    port: {port}\n    security: none\n"
             "    from: watch@example.org\n    to: [cto@example.org]\n")
    if subject is not None:
        block += f"    subject: \"{subject}\"\n"
    path.write_text(path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n" + block, 1),
                    encoding="utf-8")
