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
