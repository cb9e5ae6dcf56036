"""Hostile text from feeds never reaches a terminal raw: no escape sequences, C1 controls or bidi overrides.

A local server serves an RSS feed, a JSON Feed, an article page and a failing source whose titles,
authors, texts and reason phrase carry clear-screen, OSC 8 hyperlinks, window-title OSCs, C1 controls,
BEL, NUL and bidi overrides; a source name in feeds.yaml carries them too. After a real `run`, every
output command is run through a pipe and on a pseudo-terminal (where rich draws colours of its own,
so the test looks for the hostile payloads, not for ESC). A second archive is written directly, as an
older version would have stored the same text raw, and must print just as clean.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from httpserver import FeedServer
from testkit import ROOT, run_cli, write_config

from watch.config import load_config
from watch.records import Article, Entry, FetchResult, ModelOutput, ParsedFeed, Summary, TagScore
from watch.store import open_archive

CLEAR = "\x1b[2J\x1b[H"
LINK = "\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\"  # OSC 8: "click here" is the visible text
WINDOW = "\x1b]0;pwned-title\x07"
C1 = "\x9b31m\x9d0;c1-title\x9c"
BIDI = "\u202eevil\u202c \u2066isolate\u2069"
NOISE = "\x07\x00\x7f\x08"

# What must never reach any output: the payloads of the sequences (not only their ESC byte) ...
PAYLOADS = ("[2J", "\x1b[H", "]8;;", "]0;", "pwned-title", "c1-title", "evil.example")
# ... and raw control characters other than what a terminal line needs (rich's own ESC is checked apart).
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# feeds.yaml written by hand: a double-quoted YAML name may spell any character.
HOSTILE_NAME_YAML = r'"Hostile \e[2J\e]8;;http://evil.example/\e\\named\e]8;;\e\\ \x9b31m \u202eeman \a"'
HOSTILE_NAME_SHOWN = "Hostile named eman"  # "\x9b31m" is a whole CSI (8-bit), so "31m" goes with it


def assert_clean(text: str, *, tty: bool = False, what: str = "", escaped: bool = False) -> None:
    """No hostile payload and no raw control character (on a pty, rich's own ESC sequences are allowed).

    `escaped`: JSON, where stored text is kept exactly, its controls written as \\uXXXX: the payloads may
    be there, but only ever escaped.
    """
    for payload in () if escaped else PAYLOADS:
        assert payload not in text, f"{what}: {payload!r} reached the output"
    found = RAW.search(text)
    assert found is None, f"{what}: raw {found.group()!r} at {text[max(0, found.start() - 40):found.end() + 40]!r}"
    if not tty:
        assert "\x1b" not in text, f"{what}: ESC reached piped output"


def run_in_pty(args: list[str], cwd: Path) -> tuple[int, str]:
    """The CLI with stdout and stderr on a pseudo-terminal (isatty() is true: rich draws as on a terminal)."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "watch", *args], cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                            env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=300)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def both(args: list[str], cwd: Path, what: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run through pipes and on a pty; assert both clean; return the piped result and the pty output."""
    escaped = "json" in args or ("export" in args and "csv" not in args)  # JSON and JSON Lines
    piped = run_cli(*args, cwd=cwd)
    assert_clean(piped.stdout, what=f"{what} (stdout)", escaped=escaped)
    assert_clean(piped.stderr, what=f"{what} (stderr)")
    code, tty = run_in_pty(args, cwd)
    assert code == piped.returncode, tty
    assert_clean(tty, tty=True, what=f"{what} (pty)", escaped=escaped)
    return piped, tty


# --------------------------------------------------------------------------------------------------
# The hostile sources


def _rfc822(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def hostile_rss(page_url: str = "") -> bytes:
    """RSS with raw control bytes and numeric references to them (feedparser's loose parser keeps both)."""
    now = datetime.now(UTC)
    items = [
        (f"Clear{CLEAR} screen &#27;[2J entity {BIDI} open-weights model news", "a1",
         f"bob{LINK}{NOISE}",
         f"<p>Body text one{CLEAR} about the new open-weights model {LINK} that was released this week.</p>"
         f"<p>Second &#27;]0;pwned-title&#7; paragraph with {BIDI} text and more words about inference.</p>"),
        (f"Window{WINDOW} title agents framework", "a2", f"carol{WINDOW}",
         f"<p>Agents now run tools in a sandbox{CLEAR}. {WINDOW}The framework adds time limits.</p>"),
    ]
    body = "".join(
        f"<item><title>{title}</title><link>http://127.0.0.1/{guid}</link><guid>{guid}</guid>"
        f"<author>{author}</author><pubDate>{_rfc822(now - timedelta(hours=n + 1))}</pubDate>"
        f"<description><![CDATA[{html}]]></description></item>"
        for n, (title, guid, author, html) in enumerate(items))
    if page_url:
        body = (f"<item><title>Page item</title><link>{page_url}</link><guid>p1</guid>"
                f"<pubDate>{_rfc822(now - timedelta(hours=3))}</pubDate>"
                "<description>Short excerpt.</description></item>")
    title = f"Evil{WINDOW} feed{CLEAR} {BIDI}"
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{title}</title>"
            f"<link>http://127.0.0.1/</link>{body}</channel></rss>").encode()


def hostile_json_feed() -> bytes:
    """A JSON Feed: \\u escapes deliver any character, C1 controls included."""
    now = datetime.now(UTC)
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": f"JSON{C1} feed{LINK}",
        "items": [{
            "id": "j1", "url": "http://127.0.0.1/j1", "title": f"JSON {C1}release {LINK} notes{NOISE}",
            "authors": [{"name": f"eve{CLEAR}{C1}{BIDI}"}],
            "date_published": (now - timedelta(hours=2)).isoformat(),
            "content_html": f"<p>GPU inference costs fall{C1} again{CLEAR}.</p><p>Kubernetes {LINK} {BIDI}.</p>",
        }],
    }).encode()


def hostile_page() -> bytes:
    """An article page whose title, author and text spell escape sequences with character references."""
    para = ("The regulation of AI systems &#27;[2J in Europe keeps changing, and compliance teams &#x9b;31m follow "
            "the AI Act &#27;]8;;http://evil.example/&#27;\\closely&#27;]8;;&#27;\\ as new guidance appears. ")
    return (f"<html><head><title>Page &#27;[2J title &#8238;reversed</title>"
            f"<meta name='author' content='mallory &#27;]0;pwned-title&#7;'></head><body><article>"
            f"<h1>Page &#27;[2J title</h1>{''.join(f'<p>{para * 3}</p>' for _ in range(6))}"
            "</article></body></html>").encode()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    """A real archive filled by `run` from the hostile sources; yields (directory, config path, run result)."""
    root = tmp_path_factory.mktemp("hostile")
    server = FeedServer().start()
    try:
        page = server.add("/article.html", hostile_page(), content_type="text/html")
        server.add("/evil.rss", hostile_rss())
        server.add("/evil.json", hostile_json_feed(), content_type="application/feed+json")
        server.add("/pages.rss", hostile_rss(page_url=page))
        server.add("/broken.xml", "nope", status=500, reason=f"Oops{CLEAR}{WINDOW}\x9b7m bad")
        path = write_config(root, [
            # extract: never, their items link to nowhere; the page source extracts its article page
            {"name": HOSTILE_NAME_YAML, "url": server.url("/evil.rss"), "extract": "never"},
            {"name": "JSON news", "url": server.url("/evil.json"), "extract": "never"},
            {"name": "Pages", "url": server.url("/pages.rss"), "extract": "always"},
            {"name": "Broken", "url": server.url("/broken.xml")},
        ])
        result = run_cli("run", "--config", str(path), cwd=root)
        assert result.returncode == 1, result.stdout + result.stderr  # Broken failed
        yield root, path, result, server
    finally:
        server.stop()


pytestmark = pytest.mark.model


# --------------------------------------------------------------------------------------------------
# What came in: clean in the archive


def test_ingested_text_is_clean_in_the_archive(hostile) -> None:
    root, _path, _result, server = hostile
    assert server.hits("/article.html") == 1  # the page was fetched and extracted
    db = sqlite3.connect(root / "watch.db")
    rows = db.execute("SELECT title, author, content, url FROM items").fetchall()
    assert len(rows) == 4
    for row in rows:
        for value in row:
            if value:
                assert_clean(value, what=f"stored {value[:40]!r}")
    titles = {title for title, *_ in rows}
    assert "JSON release click here notes" in titles  # the OSC 8 link's text is kept
    assert any(t.startswith("Clear screen entity evil isolate") for t in titles)
    contents = " ".join(content for _, _, content, _ in rows)
    assert "Body text one about the new open-weights model click here that" in contents
    assert "\n" in contents  # paragraphs kept in text bodies
    authors = {author for _, author, _, _ in rows}
    assert {"bobclick here", "carol", "eveevil isolate"} <= authors
    page = next(content for _, _, content, _ in rows if "regulation" in content)  # from the extracted page
    assert "The regulation of AI systems in Europe keeps changing" in page and "the AI Act closely as new" in page
    (error,) = db.execute("SELECT last_error FROM sources WHERE name = 'Broken'").fetchone()
    assert error.startswith("HTTP 500 Oops") and "bad" in error
    assert_clean(error, what="stored last_error")


def test_run_lines_are_clean(hostile) -> None:
    root, path, result, _server = hostile
    assert_clean(result.stdout, what="run stdout")
    assert_clean(result.stderr, what="run stderr")
    assert "FAILED     Broken: HTTP 500 Oops" in result.stdout
    assert f"new        {HOSTILE_NAME_SHOWN}: 2 new" in result.stdout  # the hostile name, shown clean
    code, tty = run_in_pty(["run", "--all", "--config", str(path)], root)
    assert code == 1 and "Total: 4 sources" in tty
    assert_clean(tty, tty=True, what="run on a pty")
    assert "Hostile named" in tty and "FAILED     Broken: HTTP 500 Oops" in tty


@pytest.mark.parametrize("fmt", ["table", "csv", "md", "json"])
def test_search_is_clean_in_every_format(hostile, fmt: str) -> None:
    root, path, _result, _server = hostile
    piped, tty = both(["search", "--format", fmt, "--config", str(path)], root, f"search --format {fmt}")
    assert piped.returncode == 0, piped.stderr
    assert "click" in piped.stdout and "click" in tty  # the hostile items are listed
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(piped.stdout)))
        assert len(rows) == 4 and "JSON release click here notes" in {r["title"] for r in rows}
    if fmt == "json":
        hits = json.loads(piped.stdout)
        assert len(hits) == 4 and not any(RAW.search(h["title"] + h["snippet"] + h["summary"]) for h in hits)


def test_search_with_a_query_highlights_clean_snippets(hostile) -> None:
    root, path, _result, _server = hostile
    piped, tty = both(["search", "sandbox", "--config", str(path)], root, "search sandbox")
    assert "sandbox" in piped.stdout and "sandbox" in tty
    md = run_cli("search", "sandbox", "--format", "md", "--config", str(path), cwd=root)
    assert "**sandbox**" in md.stdout
    assert_clean(md.stdout, what="search md with a match")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_show_is_clean(hostile, fmt: str) -> None:
    root, path, _result, _server = hostile
    hits = json.loads(run_cli("search", "--format", "json", "--config", str(path), cwd=root).stdout)
    for hit in hits:
        piped, _tty = both(["show", hit["id"], "--format", fmt, "--config", str(path)], root, f"show {hit['title']}")
        assert piped.returncode == 0, piped.stderr
        assert hit["title"][:20] in piped.stdout
    if fmt == "json":
        detail = json.loads(run_cli("show", hits[0]["id"], "--format", "json", "--config", str(path), cwd=root).stdout)
        assert detail["content"]


def test_feeds_list_and_check_are_clean(hostile) -> None:
    root, path, _result, _server = hostile
    piped, tty = both(["feeds", "list", "--config", str(path)], root, "feeds list")
    lines = piped.stdout.splitlines()
    assert len(lines) == 4 and all(line.count("\t") == 5 for line in lines)  # no tab or newline inside a field
    assert lines[0].startswith(f"{HOSTILE_NAME_SHOWN}\t") and re.search(r"failing x\d: HTTP 500 Oops", lines[3])
    piped, tty = both(["feeds", "check", "--config", str(path)], root, "feeds check")
    assert "FAILED     Broken: HTTP 500 Oops" in piped.stdout and "Hostile named" in tty


def test_stats_is_clean(hostile) -> None:
    root, path, _result, _server = hostile
    piped, tty = both(["stats", "--config", str(path)], root, "stats")
    assert "Hostile named" in piped.stdout and "Broken" in piped.stdout and "Oops" in tty
    piped, _tty = both(["stats", "--format", "json", "--config", str(path)], root, "stats json")
    assert json.loads(piped.stdout)["items"] == 4


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_to_stdout_is_clean(hostile, fmt: str) -> None:
    root, path, _result, _server = hostile
    piped, _tty = both(["export", "--format", fmt, "--config", str(path)], root, f"export {fmt}")
    assert "4 items exported" in piped.stderr
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(piped.stdout)))
        assert len(rows) == 4 and all(r["content"] for r in rows)
        assert any("\n" in r["content"] for r in rows)  # line breaks of the text kept (CSV quotes them)


def test_feeds_add_writes_a_clean_name(tmp_path: Path, hostile) -> None:
    _root, _path, _result, server = hostile
    path = write_config(tmp_path, [{"name": "Existing", "url": "https://existing.example/feed"}])
    before = path.read_bytes()
    piped = run_cli("feeds", "add", server.url("/evil.rss"), "--config", str(path), cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert_clean(piped.stdout + piped.stderr, what="feeds add")
    text = path.read_text(encoding="utf-8")
    assert path.read_bytes().startswith(before)
    added = text[len(before.decode()):]
    assert "name: Evil feed evil isolate\n" in added, added
    assert not RAW.search(text) and "\x1b" not in text and "\\e" not in added and "\\x" not in added
    assert load_config(path).sources[-1].name == "Evil feed evil isolate"
    # --name given with control characters and a line break: cleaned too
    piped = run_cli("feeds", "add", server.url("/evil.json"), "--name", "Mine\x1b[2J\nsecond line", "--config",
                    str(path), cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert load_config(path).sources[-1].name == "Mine second line"


def test_feeds_import_writes_clean_names(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "Existing", "url": "https://existing.example/feed"}])
    opml = tmp_path / "reader.opml"
    opml.write_text(
        "<?xml version='1.0' encoding='utf-8'?><opml version='2.0'><head><title>x</title></head><body>"
        "<outline type='rss' text='Bidi \u202eevil\u202c and C1 \u009b31m here' xmlUrl='https://a.example/feed'/>"
        "<outline type='rss' text='Tab\tand&#10;newline' xmlUrl='https://b.example/feed'/>"
        "</body></opml>", encoding="utf-8")
    done = run_cli("feeds", "import", str(opml), "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_clean(done.stdout + done.stderr, what="feeds import")
    names = [s.name for s in load_config(path).sources]
    assert names == ["Existing", "Bidi evil and C1 here", "Tab and newline"]
    assert not RAW.search(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# An archive written by an older version: the same text, stored raw


OLD_CONFIG = """\
settings:
  database: old.db
tags:
  - name: llm
    description: Large language models
sources:
  - name: Old source
    url: https://old.example/feed
  - name: Failing
    url: https://failing.example/feed
"""


@pytest.fixture
def old_archive(tmp_path: Path) -> Path:
    """Hostile text put straight into the archive through the store, as no cleaning stood in the way."""
    path = tmp_path / "feeds.yaml"
    path.write_text(OLD_CONFIG, encoding="utf-8")
    config = load_config(path, environ={})
    archive = open_archive(config.settings.database)
    now = datetime.now(UTC)
    archive.sync_sources(config.sources, now)
    raw_title = f"Old{CLEAR} title {LINK} {WINDOW}{C1}{BIDI}{NOISE}"
    entry = Entry(id="old-1", source="Old source", guid="old-1", url=f"https://old.example/1{CLEAR}",
                  canonical_url="https://old.example/1", title=raw_title, author=f"ann{WINDOW}{C1}",
                  published=now - timedelta(days=1), feed_html="<p>x</p>")
    archive.save_refresh("Old source", FetchResult(url="u", final_url="u", status=200),
                         ParsedFeed("Old source", "", "en", (entry,)), "h", now, now)
    text = f"Stored text{CLEAR} with {LINK} and\nlines {WINDOW}{C1} {BIDI} model sandbox{NOISE}"
    archive.save_processed("old-1", Article(text=text, author=f"ann{C1}"),
                           ModelOutput(Summary(f"Summary{CLEAR} {LINK} sandbox{C1}", f"model{WINDOW}"),
                                       (TagScore("llm", 0.9),), "test"), now)
    archive.save_clusters({"old-1": "old-1"}, {}, None, now)
    archive.record_failure("Failing", f"HTTP 500 Boom{CLEAR}{WINDOW}{C1}{BIDI}", 500, now, now)
    archive.close()
    return path


def test_an_older_archive_prints_clean(old_archive: Path) -> None:
    cwd = old_archive.parent
    config = ["--config", str(old_archive)]
    for fmt in ("table", "csv", "md", "json"):
        piped, tty = both(["search", "--format", fmt, *config], cwd, f"old search {fmt}")
        assert "click here" in piped.stdout or fmt == "table"
        assert "Old" in tty
    piped, _ = both(["search", "sandbox", "--format", "md", *config], cwd, "old search with a match")
    assert "sandbox" in piped.stdout
    piped, tty = both(["show", "old-1", *config], cwd, "old show")
    assert "Stored text with click here and" in piped.stdout and "lines" in piped.stdout
    assert "ann" in piped.stdout and "Summary click here sandbox" in piped.stdout
    piped, _ = both(["show", "old-1", "--format", "json", *config], cwd, "old show json")
    assert "\\u001b[2J" in piped.stdout and "\\u009b" in piped.stdout and "\\u202e" in piped.stdout  # escaped
    assert json.loads(piped.stdout)["title"].startswith("Old\x1b[2J")  # JSON keeps the exact stored value
    piped, tty = both(["stats", *config], cwd, "old stats")
    assert "HTTP 500 Boom" in piped.stdout
    piped, _ = both(["export", "--format", "csv", *config], cwd, "old export csv")
    assert "Old title click here" in piped.stdout
    both(["export", *config], cwd, "old export jsonl")
    piped, tty = both(["feeds", "list", *config], cwd, "old feeds list")
    assert "failing x1: HTTP 500 Boom" in piped.stdout
