"""`techwatch feeds add` as users run it: a real subprocess, a real HTTP server, a commented feeds.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from testkit import FIXTURES, fixture_bytes, run_cli

from watch.config import load_config

HTML = "text/html; charset=utf-8"
HOME = ('<!DOCTYPE html><html><head><title>Lab</title>'
        '<link rel="alternate" type="application/rss+xml" title="Lab RSS" href="/feed.xml"></head>'
        "<body>Welcome</body></html>")


@pytest.fixture
def server(server):
    """The conftest server, serving a home page that advertises the lab feed."""
    server.add("/", HOME, content_type=HTML)
    server.add("/feed.xml", fixture_bytes("ai_lab.rss.xml"))
    return server


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(FIXTURES / "feedsfile" / "commented.yaml", path)
    return path


def feeds_add(config: Path, *args: str):
    return run_cli("feeds", "add", *args, "--config", str(config), cwd=config.parent)


def test_add_from_a_home_page_appends_and_keeps_the_file(server, config):
    old = config.read_bytes()
    result = feeds_add(config, server.url("/"), "--tag", "llm", "--tag", "regulation", "--interval", "6h")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Feed: {server.url('/feed.xml')} (advertised by {server.url('/')})" in out
    assert "Title: Example AI Lab News; format rss20; 4 entries" in out
    assert f"Added 'Example AI Lab News' with tags llm, regulation to {config} at line 35" in out

    new = config.read_bytes()
    assert new.startswith(old)  # comments, order, quoting, blank lines: byte for byte
    assert new[len(old):].decode() == ("\n  - name: Example AI Lab News\n"
                                       f"    url: {server.url('/feed.xml')}\n"
                                       "    tags: [llm, regulation]\n    interval: 6h\n")
    added = load_config(config).sources[-1]
    assert (added.name, added.url, added.tags, added.interval_seconds, added.line) == (
        "Example AI Lab News", server.url("/feed.xml"), ("llm", "regulation"), 21600, 35)


def test_add_a_feed_url_directly_with_a_name(server, config):
    result = feeds_add(config, server.url("/feed.xml"), "--name", "Lab: the feed")
    assert result.returncode == 0, result.stderr
    assert "(the URL is the feed)" in result.stdout
    assert load_config(config).sources[-1].name == "Lab: the feed"
    assert [path for path, _ in server.requests] == ["/feed.xml"]


def test_default_name_is_made_unique(server, config):
    server.add("/mirror.xml", fixture_bytes("ai_lab.rss.xml"))
    assert feeds_add(config, server.url("/feed.xml")).returncode == 0
    second = feeds_add(config, server.url("/mirror.xml"))
    assert second.returncode == 0, second.stderr
    assert [s.name for s in load_config(config).sources][-2:] == ["Example AI Lab News", "Example AI Lab News (2)"]


@pytest.mark.parametrize("args", [
    ("{feed}",),  # the same feed URL again
    ("{home}",),  # the home page leads to a feed that is already there
    ("{home}", "--name", "lab NEWS"),  # a name already used, ignoring case
])
def test_duplicate_is_refused_with_exit_2_and_the_file_unchanged(server, config, args):
    assert feeds_add(config, server.url("/feed.xml"), "--name", "Lab NEWS mirror").returncode == 0
    if "--name" in args:
        server.add("/other.xml", fixture_bytes("regulation_fr.atom"))
        server.routes["/"].body = server.routes["/"].body.replace(b"/feed.xml", b"/other.xml")
    before = config.read_bytes()
    values = {"feed": server.url("/feed.xml"), "home": server.url("/")}
    result = feeds_add(config, *(a.format(**values) for a in args))
    assert result.returncode == 2
    assert "already" in result.stderr and "Traceback" not in result.stderr
    assert config.read_bytes() == before


def test_unknown_tag_is_refused_before_any_request(server, config):
    before = config.read_bytes()
    result = feeds_add(config, server.url("/"), "--tag", "lmm")
    assert result.returncode == 2
    assert "unknown tag 'lmm'" in result.stderr and "llm" in result.stderr
    assert config.read_bytes() == before
    assert server.requests == []


def test_bad_interval_is_refused(server, config):
    result = feeds_add(config, server.url("/"), "--interval", "5s")
    assert result.returncode == 2 and "minimum" in result.stderr
    assert server.requests == []


def test_dry_run_changes_nothing(server, config):
    before = config.read_bytes()
    result = feeds_add(config, server.url("/"), "--tag", "llm", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Would add 'Example AI Lab News' with tags llm" in result.stdout and "nothing written" in result.stdout
    assert config.read_bytes() == before
    assert sorted(p.name for p in config.parent.iterdir()) == ["feeds.yaml"]


def test_no_feed_found_is_reported_with_what_was_tried(server, config):
    server.add("/plain", "<html><body>No feed here</body></html>", content_type=HTML)
    del server.routes["/feed.xml"]
    before = config.read_bytes()
    result = feeds_add(config, server.url("/plain"))
    assert result.returncode == 1
    assert f"no feed found at {server.url('/plain')}" in result.stderr
    assert f"{server.url('/feed.xml')}: HTTP 404" in result.stderr
    assert config.read_bytes() == before


@pytest.mark.parametrize("command", ["add", "import", "export"])
def test_help(tmp_path, command):
    result = run_cli("feeds", command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and "--config" in result.stdout
    assert {"add": "--dry-run", "import": "--tag", "export": "--out"}[command] in result.stdout


# A listing page without a feed: offered as `kind: page`

NEWS = ('<!DOCTYPE html><html lang="en"><head><title>Lab blog</title></head><body>'
        '<nav><a href="/about">About the lab and its people</a><a href="/careers">Careers at the lab today</a></nav>'
        '<main><h1>News</h1>' + "".join(
            f'<article class="card"><h2 class="card-title"><a href="/news/{slug}">{title}</a></h2>'
            f'<p class="meta">{shown}</p><p>An excerpt of the post.</p></article>'
            for slug, title, shown in [
                ("open-weights", "We release an open-weights model", "May 2, 2024"),
                ("eu-ai-act", "Notes on the EU AI Act obligations", "14 April 2024"),
                ("gpu-costs", "What GPU hours really cost us", "March 30th, 2024"),
                ("agents", "A small framework for tool-using agents", "2024-03-01"),
                ("evals", "How we evaluate our models", "2024-02-20"),
                ("hiring", "Our research team is growing", "2024-02-01")])
        + "</main><footer><a href='/privacy'>Our privacy policy in full</a></footer></body></html>")
FIRST = [("2024-05-02", "We release an open-weights model", "/news/open-weights"),
         ("2024-04-14", "Notes on the EU AI Act obligations", "/news/eu-ai-act"),
         ("2024-03-30", "What GPU hours really cost us", "/news/gpu-costs"),
         ("2024-03-01", "A small framework for tool-using agents", "/news/agents"),
         ("2024-02-20", "How we evaluate our models", "/news/evals")]


def assert_page_shown(out: str, server) -> None:
    assert f"No feed at or behind {server.url('/news')}:" in out
    assert f"  not used: {server.url('/feed.xml')}: HTTP 404 Not Found" in out
    assert f"Page: {server.url('/news')}, read as kind: page" in out
    assert "Title: Lab blog; articles found by structure; 6 articles" in out
    for when, title, path in FIRST:
        assert f"  {when}  {title}  {server.url(path)}\n" in out
    assert "Our research team is growing" not in out and "... and 1 more" in out


def test_a_page_without_a_feed_is_added_as_kind_page(server, config):
    server.add("/news", NEWS, content_type=HTML)
    del server.routes["/feed.xml"]
    old = config.read_bytes()
    result = feeds_add(config, server.url("/news"), "--tag", "llm")
    assert result.returncode == 0, result.stderr
    assert_page_shown(result.stdout, server)
    assert f"Added 'Lab blog' as kind: page with tags llm to {config} at line 35" in result.stdout

    new = config.read_bytes()
    assert new.startswith(old)  # comments and order kept, byte for byte
    assert new[len(old):].decode() == ("\n  - name: Lab blog\n    kind: page\n"
                                       f"    url: {server.url('/news')}\n    tags: [llm]\n")
    added = load_config(config).sources[-1]
    assert (added.name, added.kind, added.url, added.tags, added.line) == (
        "Lab blog", "page", server.url("/news"), ("llm",), 35)


def test_dry_run_on_a_page_shows_the_same_and_writes_nothing(server, config):
    server.add("/news", NEWS, content_type=HTML)
    del server.routes["/feed.xml"]
    before = config.read_bytes()
    result = feeds_add(config, server.url("/news"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert_page_shown(result.stdout, server)
    assert (f"Would add 'Lab blog' as kind: page to {config} at line 35 (dry run: nothing written)"
            in result.stdout)
    assert config.read_bytes() == before
    assert sorted(p.name for p in config.parent.iterdir()) == ["feeds.yaml"]


def test_a_page_that_advertises_a_working_feed_still_adds_the_feed(server, config):
    server.add("/news", NEWS.replace("</title>", '</title><link rel="alternate" type="application/rss+xml" '
                                     'href="/feed.xml">'), content_type=HTML)
    result = feeds_add(config, server.url("/news"))
    assert result.returncode == 0, result.stderr
    assert f"Feed: {server.url('/feed.xml')} (advertised by {server.url('/news')})" in result.stdout
    assert "kind: page" not in result.stdout and "kind:" not in config.read_text()[-200:]
    assert load_config(config).sources[-1].kind == "feed"


def test_no_feed_and_no_articles_gives_the_error_with_the_page_reason(server, config):
    server.add("/plain", "<html><body>No feed here</body></html>", content_type=HTML)
    del server.routes["/feed.xml"]
    before = config.read_bytes()
    result = feeds_add(config, server.url("/plain"))
    assert result.returncode == 1
    assert f"no feed found at {server.url('/plain')}" in result.stderr
    assert f"{server.url('/feed.xml')}: HTTP 404" in result.stderr
    assert (f"{server.url('/plain')}: as a page (kind: page): no article links found in the HTML "
            "(the page may be rendered by JavaScript)") in result.stderr
    assert "Traceback" not in result.stderr
    assert config.read_bytes() == before
