"""kind: watch — a watched page through a real run_cycle: baseline, ignored noise, one item per real change."""

from __future__ import annotations

import textwrap
from pathlib import Path
from string import Template

import pytest
from fakes import fake_models
from testkit import FIXTURES, run_cli, write_config

from watch.config import load_config
from watch.errors import ConfigError
from watch.http.client import make_client
from watch.pipeline import run_cycle
from watch.records import Source
from watch.sources.kinds import KINDS
from watch.sources.kinds.watch import CHANGES_SUMMARIZER, normalise_line
from watch.store import open_archive

PAGE = Template((FIXTURES / "watch" / "pricing.html").read_text(encoding="utf-8"))
FIRST = {"updated": "May 3, 2026", "views": "1,204", "large_in": "$3.00", "extra": "", "posted": "2026-05-03",
         "time": "14:05 UTC", "comments": "12", "likes": "1.2k", "year": "2026"}
# Everything a page changes on every visit: dates, times, counters, the copyright year, spacing.
NOISE = {"updated": "June 1, 2026", "views": "2,310", "posted": "2026-06-01", "time": "9:12 am",
         "comments": "13", "likes": "1.4k", "year": "2027"}
TINY = "<h2>Acme Tiny</h2>\n<p>A new model for on-device use, priced at $0.05 per million tokens.</p>"


def page(**values: str) -> bytes:
    """The pricing fixture with FIRST's values, some of them replaced."""
    return PAGE.substitute({**FIRST, **values}).encode()


@pytest.mark.parametrize("before, after", [
    ("Last updated: May 3, 2026", "Last updated: June 1, 2026"),
    ("Mis à jour le 3 mai 2026", "Mis à jour le 1er juin 2026"),
    ("Stand: 3. Mai 2026", "Stand: 1. Juni 2026"),
    ("Published 2026-05-03T14:05:00Z", "Published 2026-06-01T09:12:44+02:00"),
    ("Posted 03/05/2026 at 14:05 UTC", "Posted 01/06/2026 at 9:12 pm"),
    ("Updated 3 hours ago", "Updated 2 days ago"),
    ("1,204 views · 12 comments · 1.2k likes", "2,310 views · 13 comments · 1.4k likes"),
    ("Downloads last month 12,345", "Downloads last month 13,002"),
    ("3 500 vues", "4 120 vues"),
    ("© 2025 Acme", "© 2020–2026 Acme"),
    ("Input:  $3.00   per million", "Input: $3.00 per million"),
])
def test_noise_normalises_away(before: str, after: str) -> None:
    assert normalise_line(before) == normalise_line(after)


@pytest.mark.parametrize("before, after", [
    ("Input: $3.00 per million tokens", "Input: $2.50 per million tokens"),
    ("Context window: 128,000 tokens", "Context window: 200,000 tokens"),
    ("Every account starts at 50 requests per minute.", "Every account starts at 60 requests per minute."),
    ("Requires vllm 1.10.12 or later", "Requires vllm 1.10.13 or later"),
    ("Pro: 20 € / mois", "Pro: 25 € / mois"),
])
def test_real_content_numbers_count(before: str, after: str) -> None:
    assert normalise_line(before) != normalise_line(after)


def test_a_lone_date_line_is_dropped() -> None:
    assert normalise_line("May 3, 2026 · 14:05") == ""


def test_parse_keeps_the_text_and_makes_an_item_only_against_a_previous_one() -> None:
    kind = KINDS["watch"]
    source = Source("Acme pricing", "http://127.0.0.1/pricing", kind="watch")
    baseline = kind.parse(source, page(), base_url=source.url)
    assert baseline.entries == () and "Input: $3.00 per million tokens" in (baseline.state or "")
    changed = kind.parse(source, page(large_in="$2.50"), base_url=source.url, previous=baseline.state)
    (entry,) = changed.entries
    assert entry.title == "Acme pricing changed: Acme Large — 1 line added, 1 removed"
    # The same new text makes the same id, another change another one.
    again = kind.parse(source, page(large_in="$2.50", **NOISE), base_url=source.url, previous=baseline.state)
    assert again.entries[0].id == entry.id
    other = kind.parse(source, page(large_in="$2.00"), base_url=source.url, previous=baseline.state)
    assert other.entries[0].id != entry.id


@pytest.fixture
def watched(tmp_path, server):
    server.add("/pricing", page(), content_type="text/html; charset=utf-8")
    path = write_config(tmp_path, [{"name": "Acme pricing", "kind": "watch", "url": server.url("/pricing")}])
    config = load_config(path)
    archive = open_archive(config.settings.database)
    with make_client(config.settings.fetch) as client:
        yield config, archive, client
    archive.close()


def items(archive) -> list[tuple[str, str, str, str]]:
    """(title, url, content, summary) of every archived item, oldest first."""
    return archive.db.execute(
        "SELECT i.title, i.url, i.content, s.text FROM items i JOIN summaries s ON s.item_id = i.id "
        f"WHERE s.model = '{CHANGES_SUMMARIZER}' ORDER BY i.rowid").fetchall()


def test_watched_page_through_run_cycle(watched, server) -> None:
    config, archive, client = watched
    assert config.sources[0].extract == "never"

    first = run_cycle(config, archive, client, lambda: pytest.fail("model loaded for a baseline"))
    (report,) = first.sources
    assert (report.status, report.new_items) == ("unchanged", 0)
    assert "baseline recorded" in report.notes[0]
    assert archive.counts()["items"] == 0

    # the same bytes: skipped by the body hash, the stored text stays
    run_cycle(config, archive, client, lambda: pytest.fail("model loaded"), force=True)
    # only dates, times, counters and the copyright year moved
    server.add("/pricing", page(**NOISE), content_type="text/html; charset=utf-8")
    noise = run_cycle(config, archive, client, lambda: pytest.fail("model loaded for noise"), force=True)
    assert (noise.sources[0].status, noise.new_items) == ("unchanged", 0) and not noise.sources[0].notes
    assert archive.counts()["items"] == 0

    # a price changes (and the noise moves again)
    server.add("/pricing", page(large_in="$2.50", updated="June 2, 2026", views="2,999"),
               content_type="text/html; charset=utf-8")
    price = run_cycle(config, archive, client, fake_models, force=True)
    assert (price.sources[0].status, price.new_items, price.processed.processed) == ("new", 1, 1)
    ((title, url, content, summary),) = items(archive)
    assert title == "Acme pricing changed: Acme Large — 1 line added, 1 removed"
    assert url.startswith(server.url("/pricing#change-"))
    assert "-- Input: $3.00 per million tokens" in content and "+- Input: $2.50 per million tokens" in content
    assert "views" not in content and "June" not in content  # only the change and a line of context
    assert summary == "Added: Input: $2.50 per million tokens. Removed: Input: $3.00 per million tokens"

    # a second real change: a new section
    server.add("/pricing", page(large_in="$2.50", extra=TINY), content_type="text/html; charset=utf-8")
    tiny = run_cycle(config, archive, client, fake_models, force=True)
    assert tiny.new_items == 1
    second = items(archive)[1]
    assert second[0] == "Acme pricing changed: Acme Tiny — 2 lines added"
    assert "+A new model for on-device use, priced at $0.05 per million tokens." in second[2]
    assert second[3].startswith("Added: Acme Tiny; A new model for on-device use")
    assert archive.counts()["items"] == 2


def test_page_without_text_fails_the_source(watched, server) -> None:
    config, archive, client = watched
    server.add("/pricing", b"<html><body><div id='root'></div><script>render()</script></body></html>",
               content_type="text/html")
    (report,) = run_cycle(config, archive, client, fake_models).sources
    assert report.status == "failed" and "no text found on the page" in report.error


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_watch_needs_a_url(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: Pricing\n    kind: watch\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert f"{path}:2: " in str(info.value) and "url" in str(info.value)


def test_watch_refuses_release_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: Pricing\n    kind: watch\n    url: https://a.example/pricing\n"
                           "    repo: acme/api\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert f"{path}:5: " in str(info.value) and "'repo' is only for release sources" in str(info.value)


def test_watch_defaults_to_extract_never(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: Pricing\n    kind: watch\n    url: https://a.example/pricing\n")
    (source,) = load_config(path, environ={}).sources
    assert (source.kind, source.extract, source.url) == ("watch", "never", "https://a.example/pricing")


def test_feeds_check_says_what_a_watch_source_watches(tmp_path: Path, server) -> None:
    server.add("/pricing", page(), content_type="text/html; charset=utf-8")
    path = write_config(tmp_path, [{"name": "Acme pricing", "kind": "watch", "url": server.url("/pricing")}])
    before = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert before.returncode == 0, before.stdout + before.stderr
    lines = before.stdout.splitlines()
    assert any(line.startswith("  ok         Acme pricing: HTTP 200,") and line.endswith("ms, watch") for line in lines)
    watching = next(line for line in lines if "watching the main text:" in line)
    chars = int(watching.split("watching the main text: ")[1].split(" characters")[0].replace(",", ""))
    assert chars > 200 and watching.endswith("no baseline yet: the first run records it")
    sample = next(line for line in lines if line.strip().startswith("text: "))
    assert len(sample.strip()) <= len("text: ") + 162 and sample.rstrip().endswith("…")
    assert "no entries" not in before.stdout  # a watched page is not an empty feed
    assert run_cli("run", "--config", str(path), cwd=tmp_path).returncode == 0
    after = run_cli("feeds", "check", "--config", str(path), cwd=tmp_path)
    assert f"watching the main text: {chars:,} characters, baseline recorded 20" in after.stdout, after.stdout
