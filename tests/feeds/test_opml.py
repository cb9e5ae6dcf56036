"""OPML: reading with listparser, writing OPML 2.0, and `feeds import` / `feeds export` through the CLI.

The CLI runs in-process here (click's CliRunner) to stay fast; test_feedsfile_cli.py runs real subprocesses.
"""

from __future__ import annotations

import shutil
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import listparser
import pytest
from click.testing import CliRunner, Result
from testkit import FIXTURES, fixture_bytes

from watch.cli.main import cli
from watch.config import load_config
from watch.errors import ParseError
from watch.feeds.feedsfile import NewSource, append_sources
from watch.feeds.opml import OpmlFeed, read_opml, write_opml
from watch.feeds.subscribe import import_opml
from watch.records import Source

NESTED = FIXTURES / "opml" / "nested.opml"
HOSTILE = ['Tom & Jerry', '<script>alert("x")</script>', "O'Reilly \"Radar\"", "a > b < c", "Siècle &amp; Co",
           "comma, slash / and ; semicolon"]


def techwatch(*args: str) -> Result:
    """Run the CLI in-process, as `techwatch ARGS`."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(FIXTURES / "feedsfile" / "commented.yaml", path)
    return path


# --------------------------------------------------------------------------------------------------
# read_opml


def test_read_nested_opml():
    feeds = read_opml(NESTED.read_bytes())
    assert feeds[:3] == [
        OpmlFeed("Lab news (duplicate URL)", "http://lab.example.org/feed.xml", "https://lab.example.org/",
                 ("AI/Labs",)),
        OpmlFeed("Model Makers", "https://models.example.com/rss.xml", "https://models.example.com/", ("AI/Labs",)),
        OpmlFeed("Loi & IA", "https://loi.example.fr/feed", "", ("AI/regulation",)),
    ]
    assert [f.title for f in feeds[3:]] == ["veille fr", "Gopher hole", "Top level"]
    assert feeds[-1].categories == ("llm", "Fun/Games")  # category attribute, comma separated


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16", None])
def test_read_keeps_accents_whatever_the_declared_encoding(encoding):
    body = '<opml version="1.0"><body><outline text="Siècle Numérique" xmlUrl="https://s.example/feed"/></body></opml>'
    data = (f'<?xml version="1.0" encoding="{encoding}"?>\n{body}'.encode(encoding) if encoding
            else body.encode("utf-8"))  # no declaration: XML says UTF-8
    assert read_opml(data)[0].title == "Siècle Numérique"


@pytest.mark.parametrize(("data", "match"), [
    (b"", "not an OPML file"),
    (b"just some text", "not an OPML file"),
    (b"<html><body><a href='https://x.example/feed'>feed</a></body></html>", "not an OPML file"),
    (fixture_bytes("ai_lab.rss.xml"), "not an OPML file"),
    (b'<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Folder"/></body></opml>',
     "lists no feeds"),
])
def test_non_opml_input_is_a_clear_parse_error(data, match):
    with pytest.raises(ParseError, match=match):
        read_opml(data)


# --------------------------------------------------------------------------------------------------
# write_opml


def test_write_is_opml_2_that_listparser_reads_back():
    sources = [Source("Lab news", "https://lab.example.org/feed.xml?a=1&b=2", tags=("llm", "agents")),
               Source("Untagged", "https://u.example/rss")]
    text = write_opml(sources, "My sources")
    root = ElementTree.fromstring(text.encode("utf-8"))  # well-formed XML
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "My sources"
    assert parsedate_to_datetime(root.findtext("head/dateCreated")) is not None  # RFC 822, as OPML asks
    parsed = listparser.parse(text.encode("utf-8"))
    assert parsed.version == "opml2" and not parsed.bozo
    assert [(f.title, f.url, f.categories) for f in parsed.feeds] == [
        ("Lab news", "https://lab.example.org/feed.xml?a=1&b=2", [["llm"], ["agents"]]),
        ("Untagged", "https://u.example/rss", []),
    ]


def test_hostile_names_round_trip():
    sources = [Source(name, f"https://h{i}.example/feed?x=1&y=<2>") for i, name in enumerate(HOSTILE)]
    text = write_opml(sources, 'Title & "quotes" <ok>')
    assert "<script>" not in text
    assert [(f.title, f.url) for f in read_opml(text.encode("utf-8"))] == [(s.name, s.url) for s in sources]
    assert listparser.parse(text.encode("utf-8")).meta.title == 'Title & "quotes" <ok>'


# --------------------------------------------------------------------------------------------------
# import / export


def test_import_skips_what_is_present_and_maps_categories_to_known_tags(config):
    old = config.read_bytes()
    report = import_opml(config, load_config(config), NESTED.read_bytes())
    assert [(s.name, s.url, s.tags) for s, _ in report.added] == [
        ("Model Makers", "https://models.example.com/rss.xml", ()),
        ("Loi & IA", "https://loi.example.fr/feed", ("regulation",)),  # folder "regulation" is a known tag
        ("Top level", "https://top.example.net/atom.xml", ("llm",)),  # category="llm,/Fun/Games"
    ]
    assert [(f.title, reason) for f, reason in report.skipped] == [
        ("Lab news (duplicate URL)", "already present as 'Lab news'"),  # http vs https: the same feed
        ("veille fr", "the name 'Veille FR' is already used by another source"),
        ("Gopher hole", "not an http(s) feed address"),
    ]
    assert config.read_bytes().startswith(old)
    loaded = load_config(config)
    assert [s.name for s in loaded.sources] == ["Lab news", "Veille FR", "Model Makers", "Loi & IA", "Top level"]
    assert [line for _, line in report.added] == [s.line for s in loaded.sources[2:]]


def test_import_cli_with_tags_then_again_adds_nothing(config):
    old = config.read_bytes()
    first = techwatch("feeds", "import", str(NESTED), "--tag", "llm", "--config", str(config))
    assert first.exit_code == 0, first.stderr
    assert "3 added, 3 skipped" in first.stdout
    assert "skipped    Gopher hole: not an http(s) feed address" in first.stdout
    assert config.read_bytes().startswith(old)
    tags = {s.name: s.tags for s in load_config(config).sources}
    assert tags["Model Makers"] == ("llm",) and tags["Loi & IA"] == ("llm", "regulation")

    after_first = config.read_bytes()
    again = techwatch("feeds", "import", str(NESTED), "--config", str(config))
    assert again.exit_code == 0 and "0 added, 6 skipped" in again.stdout
    assert config.read_bytes() == after_first


def test_import_dry_run_and_errors_leave_the_file_alone(config, tmp_path):
    old = config.read_bytes()
    dry = techwatch("feeds", "import", str(NESTED), "--dry-run", "--config", str(config))
    assert dry.exit_code == 0 and "would add  Model Makers" in dry.stdout and "3 would be added" in dry.stdout
    feed = tmp_path / "feed.xml"
    feed.write_bytes(fixture_bytes("ai_lab.rss.xml"))
    not_opml = techwatch("feeds", "import", str(feed), "--config", str(config))
    assert not_opml.exit_code == 1 and "not an OPML file" in not_opml.stderr
    assert "Traceback" not in not_opml.stderr
    bad_tag = techwatch("feeds", "import", str(NESTED), "--tag", "nope", "--config", str(config))
    assert bad_tag.exit_code == 2 and "unknown tag 'nope'" in bad_tag.stderr
    assert config.read_bytes() == old


def test_export_then_listparser_gives_the_same_urls_names_and_categories(config, tmp_path):
    append_sources(config, [NewSource(name, f"https://h{i}.example/feed?a=1&b=2", ("llm",))
                            for i, name in enumerate(HOSTILE)])
    sources = load_config(config).sources
    to_stdout = techwatch("feeds", "export", "--config", str(config))
    assert to_stdout.exit_code == 0 and not to_stdout.stderr
    out = tmp_path / "sources.opml"
    to_file = techwatch("feeds", "export", "--out", str(out), "--config", str(config))
    assert to_file.exit_code == 0 and f"Exported {len(sources)} sources to {out}" in to_file.stderr
    for document in (to_stdout.stdout, out.read_text(encoding="utf-8")):
        parsed = listparser.parse(document.encode("utf-8"))
        assert parsed.version == "opml2"
        assert [(f.title, f.url, [c[0] for c in f.categories]) for f in parsed.feeds] == [
            (s.name, s.url, list(s.tags)) for s in sources]


def test_export_import_round_trip_into_an_empty_list(config, tmp_path):
    exported = tmp_path / "out.opml"
    assert techwatch("feeds", "export", "--out", str(exported), "--config", str(config)).exit_code == 0
    fresh = tmp_path / "fresh" / "feeds.yaml"
    fresh.parent.mkdir()
    taxonomy = config.read_text(encoding="utf-8").split("# --- sources")[0]
    # load_config refuses an empty `sources:` list, so the new file starts with one source of its own.
    fresh.write_text(taxonomy + "sources:\n  - name: Own\n    url: https://own.example/feed\n", encoding="utf-8")
    result = techwatch("feeds", "import", str(exported), "--config", str(fresh))
    assert result.exit_code == 0, result.stderr
    original = load_config(config).sources
    imported = load_config(fresh).sources[1:]
    assert [(s.name, s.url, s.tags) for s in imported] == [(s.name, s.url, s.tags) for s in original]
